// Analytics: topic share per day (stacked bars, base stated), keyword trends, incidents.
"use strict";
const rangeForm = document.getElementById("range");
const PALETTE = ["#2471a3", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#16a085", "#7f8c8d", "#2c3e50"];
let shareChart = null, trendChart = null;

async function load(event) {
  if (event) event.preventDefault();
  const data = new FormData(rangeForm);
  const params = new URLSearchParams({ since: data.get("since"), until: data.get("until") + "T23:59:59" });
  const share = await api("/api/analytics/topic-share?" + params.toString());
  const days = [...new Set(share.rows.map((r) => r.day))].sort();
  const topics = [...new Set(share.rows.map((r) => r.topic))].sort();
  const datasets = topics.map((topic, i) => ({
    label: topicName(topic) || "—", backgroundColor: PALETTE[i % PALETTE.length],
    data: days.map((day) => { const row = share.rows.find((r) => r.day === day && r.topic === topic); return row ? row.share_pct : 0; }),
  }));
  const bases = days.map((day) => { const row = share.rows.find((r) => r.day === day); return row ? day + ": " + row.base_count : ""; });
  document.getElementById("share-base").textContent = t("base") + ": " + t("base_" + share.base) + " (" + bases.join(", ") + ")";
  if (shareChart) shareChart.destroy();
  shareChart = new Chart(document.getElementById("share-chart"), {
    type: "bar", data: { labels: days, datasets },
    options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, max: 100, ticks: { callback: (v) => v + "%" } } } },
  });
  const trends = await api("/api/analytics/keyword-trends?day=" + data.get("until"));
  if (trendChart) trendChart.destroy();
  trendChart = new Chart(document.getElementById("trend-chart"), {
    type: "bar", data: { labels: trends.rows.map((r) => r.term), datasets: [{ label: "×", data: trends.rows.map((r) => r.lift), backgroundColor: "#d68910" }] },
    options: { animation: false, indexAxis: "y", maintainAspectRatio: false },
  });
  const incidents = await api("/api/incidents?" + params.toString());
  const list = document.getElementById("incidents");
  list.replaceChildren(...incidents.items.map((i) => el("li", {}, new Date(i.window_start).toLocaleString() + " · " + topicName(i.topic) + " · " + i.key_words + " · " + i.call_count)));
}

rangeForm.addEventListener("submit", load);
load();
