// Supervisor reports: each table loads from its endpoint and links its CSV and XLSX export.
"use strict";
const reportsForm = document.getElementById("reports-form");
const LOCALE = document.documentElement.lang || "ru";
const number = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 2 });

function endpoint(report, data) {
  const base = new URLSearchParams({ since: data.get("since"), until: data.get("until") + "T23:59:59" });
  if (report === "occupancy-agent" || report === "occupancy-queue") {
    base.set("by", report.slice("occupancy-".length)); base.set("wrapup_s", data.get("wrapup_s") || "0");
    return ["/api/reports/occupancy", base];
  }
  if (report === "intervals") { base.set("minutes", data.get("minutes")); base.set("by", data.get("by")); }
  return ["/api/reports/" + report, base];
}

function cell(value) {
  if (value === null || value === undefined) return "—";
  return typeof value === "number" ? number.format(value) : String(value);
}

async function loadReports(event) {
  if (event) event.preventDefault();
  const data = new FormData(reportsForm);
  for (const section of document.querySelectorAll("section.report")) {
    const [path, params] = endpoint(section.dataset.report, data);
    for (const link of section.querySelectorAll("a.export")) {
      const query = new URLSearchParams(params); query.set("format", link.dataset.format);
      link.href = path + "?" + query.toString();
    }
    const report = await api(path + "?" + params.toString());
    section.querySelector("thead").replaceChildren(el("tr", {}, ...report.columns.map((c) => el("th", {}, t("col_" + c) === "col_" + c ? c : t("col_" + c)))));
    section.querySelector("tbody").replaceChildren(...report.rows.map((row) => el("tr", {}, ...report.columns.map((c) => el("td", {}, cell(row[c]))))));
  }
}

reportsForm.addEventListener("submit", loadReports);
loadReports();
