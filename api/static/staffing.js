// Staffing: operators required (Erlang C/A) beside those logged in, per half-hour; understaffed listed.
"use strict";
const form = document.getElementById("staffing-form");
const LOCALE = document.documentElement.lang || "ru";
const timeFormat = new Intl.DateTimeFormat(LOCALE, { weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TZ });
const numberFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 1 });
let staffingChart = null;

function query() {
  const data = new FormData(form);
  const params = new URLSearchParams({ mode: data.get("mode"), sl_target: data.get("sl_target"), sl_seconds: data.get("sl_seconds") });
  if (data.get("mode") === "past" || data.get("since")) {
    params.set("since", data.get("since"));
    params.set("until", data.get("until") + "T23:59:59");
  }
  return params;
}

async function load(event) {
  if (event) event.preventDefault();
  const params = query();
  for (const fmt of ["csv", "xlsx"]) {
    const link = new URLSearchParams(params); link.set("format", fmt);
    document.getElementById("export-" + fmt).href = "/api/reports/staffing?" + link.toString();
  }
  const report = await api("/api/reports/staffing?" + params.toString());
  const patience = report.patience_s === null ? t("unknown") : numberFormat.format(report.patience_s) + " " + t("seconds");
  document.getElementById("staffing-model").textContent =
    t("model") + ": " + (report.model === "erlang_a" ? "Erlang A" : "Erlang C") + " · " + t("patience") + ": " + patience +
    " · " + t("sl_target") + " " + report.sl_target + "% / " + report.sl_seconds + " " + t("seconds");
  const labels = report.rows.map((row) => timeFormat.format(new Date(row.interval_start)));
  if (staffingChart) staffingChart.destroy();
  staffingChart = new Chart(document.getElementById("staffing-chart"), {
    type: "bar",
    data: { labels, datasets: [
      { type: "line", label: t("agents_logged_in"), data: report.rows.map((r) => r.agents_logged_in), borderColor: "#1e8449", stepped: true, pointRadius: 0 },
      { label: t("agents_required"), data: report.rows.map((r) => r.agents_required), backgroundColor: report.rows.map((r) => (r.understaffed ? "#c0392b" : "#aab7c4")) },
    ] },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  const body = document.querySelector("#staffing-table tbody");
  const short = report.rows.filter((row) => row.understaffed);
  body.replaceChildren(...short.map((row) => el("tr", { class: "late" },
    el("td", {}, timeFormat.format(new Date(row.interval_start))),
    el("td", {}, numberFormat.format(row.offered)),
    el("td", {}, row.aht_s === null ? "—" : numberFormat.format(row.aht_s)),
    el("td", {}, String(row.agents_required)),
    el("td", {}, numberFormat.format(row.agents_logged_in)),
    el("td", {}, row.sl_forecast_pct === null ? "—" : numberFormat.format(row.sl_forecast_pct) + "%"))));
  document.getElementById("staffing-none").hidden = short.length > 0;
}

form.addEventListener("submit", load);
load();
