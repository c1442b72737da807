// Analytics: topic share per period out of a stated base (a bar opens its calls, a call plays from the
// second the topic comes up), frequent words with their measure, incidents with why and acknowledge.
"use strict";
const rangeForm = document.getElementById("range");
const termsForm = document.getElementById("terms-form");
const LANG = document.documentElement.lang || "ru";
const NUM = new Intl.NumberFormat(LANG, { maximumFractionDigits: 1 });
const WHEN = new Intl.DateTimeFormat(LANG, { dateStyle: "short", timeStyle: "short", hourCycle: "h23", timeZone: TZ });
const PALETTE = ["#2471a3", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#16a085", "#7f8c8d", "#2c3e50"];
let shareChart = null, trendChart = null;

function range() {
  const data = new FormData(rangeForm);
  return { data, params: new URLSearchParams({ since: data.get("since"), until: data.get("until") + "T23:59:59" }) };
}

function topicText(id) { return id ? (TOPICS[id] || id + " ?") : t("no_topic"); }

async function loadShare() {
  const { data, params } = range();
  params.set("period", data.get("period")); params.set("base", data.get("base"));
  const share = await api("/api/analytics/topic-periods?" + params.toString());
  const periods = [...new Set(share.rows.map((r) => r.period_start))].sort();
  const topics = [...new Set(share.rows.map((r) => r.topic))].sort();
  const cell = (period, topic) => share.rows.find((r) => r.period_start === period && r.topic === topic);
  const datasets = topics.map((topic, i) => ({
    label: topicText(topic), topic, backgroundColor: PALETTE[i % PALETTE.length],
    data: periods.map((period) => (cell(period, topic) || { share_pct: 0 }).share_pct),
  }));
  const bases = periods.map((period) => period + ": " + NUM.format(share.rows.find((r) => r.period_start === period).base_count));
  document.getElementById("share-base").textContent = t("base") + ": " + t("base_" + share.base) + " (" + bases.join(", ") + ")";
  if (shareChart) shareChart.destroy();
  shareChart = new Chart(document.getElementById("share-chart"), {
    type: "bar", data: { labels: periods, datasets },
    options: { animation: false, maintainAspectRatio: false,
      onClick: (_event, elements) => { if (elements.length) drill(periods[elements[0].index], datasets[elements[0].datasetIndex].topic); },
      plugins: { tooltip: { callbacks: { label: (item) => {
        const row = cell(periods[item.dataIndex], datasets[item.datasetIndex].topic);
        return row ? `${item.dataset.label}: ${NUM.format(row.share_pct)}% (${row.calls} / ${row.base_count})` : "";
      } } } },
      scales: { x: { stacked: true }, y: { stacked: true, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
  shareChart.canvas.dataset.ready = "1";
}

async function drill(period, topic) {
  const { data } = range();
  const params = new URLSearchParams({ start: period, topic, period: data.get("period"), base: data.get("base") });
  const result = await api("/api/analytics/topic-calls?" + params.toString());
  const box = document.getElementById("drill");
  box.hidden = false;
  document.getElementById("drill-title").textContent = topicText(topic) + " · " + period + " · " + result.items.length;
  const player = document.getElementById("drill-player");
  document.getElementById("drill-calls").replaceChildren(...result.items.map((call) => {
    const play = call.audio_url ? el("button", { type: "button", class: "play" }, "▶ " + clock(call.offset_s || 0)) : "";
    if (play) play.addEventListener("click", () => {
      const seek = () => { player.currentTime = call.offset_s || 0; player.play().catch(() => {}); };
      player.addEventListener("loadedmetadata", seek, { once: true });
      player.dataset.recording = String(call.recording_id);
      player.src = call.audio_url; player.load();
    });
    return el("tr", { "data-call": String(call.call_id), "data-offset": String(call.offset_s ?? 0) }, el("td", {}, WHEN.format(new Date(call.started_at))),
      el("td", {}, call.caller_number || "—"), el("td", {}, call.queue || ""), el("td", {}, call.agent || ""), el("td", {}, play));
  }));
}

async function loadTerms(event) {
  if (event) event.preventDefault();
  const { params } = range();
  const form = new FormData(termsForm);
  params.set("order", form.get("order")); params.set("min_calls", form.get("min_calls") || "3");
  const terms = await api("/api/analytics/frequent-terms?" + params.toString());
  document.getElementById("terms-measure").textContent = t("terms_measure")
    .replace("{n}", NUM.format(terms.transcribed_calls)).replace("{p}", NUM.format(terms.previous_transcribed_calls)).replace("{m}", terms.min_calls);
  if (trendChart) trendChart.destroy();
  trendChart = new Chart(document.getElementById("trend-chart"), {
    type: "bar", data: { labels: terms.rows.map((r) => r.term),
      datasets: [{ label: t("share_of_transcribed"), data: terms.rows.map((r) => r.share_pct), backgroundColor: "#d68910" }] },
    options: { animation: false, indexAxis: "y", maintainAspectRatio: false, scales: { x: { min: 0, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
  const change = (row) => (row.change_pp === null ? "—" : (row.change_pp > 0 ? "+" : "") + NUM.format(row.change_pp));
  document.querySelector("#terms-table tbody").replaceChildren(...terms.rows.map((row) => el("tr", {},
    el("td", {}, row.term), el("td", {}, NUM.format(row.calls)), el("td", {}, NUM.format(row.share_pct) + "%"),
    el("td", {}, NUM.format(row.count)), el("td", {}, change(row)))));
}

async function loadIncidents() {
  const { params } = range();
  const incidents = await api("/api/incidents?" + params.toString());
  const list = document.getElementById("incidents");
  list.replaceChildren(...incidents.items.map((item) => {
    const status = item.acknowledged_at
      ? el("span", { class: "muted ack" }, t("acknowledged") + ": " + item.acknowledged_by + ", " + WHEN.format(new Date(item.acknowledged_at)))
      : el("button", { type: "button", class: "ack" }, t("acknowledge"));
    if (!item.acknowledged_at) status.addEventListener("click", async () => { await api("/api/incidents/" + item.id + "/acknowledge", { method: "POST" }); loadIncidents(); });
    return el("li", { "data-incident": String(item.id) }, el("b", {}, WHEN.format(new Date(item.window_start)) + " · " + topicText(item.topic)),
      el("div", { class: "reason" }, t("why_raised") + ": " + item.reason), status);
  }));
}

async function load(event) {
  if (event) event.preventDefault();
  document.getElementById("drill").hidden = true;
  await Promise.all([loadShare(), loadTerms(), loadIncidents()]);
}

rangeForm.addEventListener("submit", load);
termsForm.addEventListener("submit", loadTerms);
load();
