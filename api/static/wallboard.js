// Wallboard: Server-Sent Events keep the views; waits tick locally every second.
"use strict";
const state = { views: {}, kpis: [], lastEvent: Date.now() };
const history = { labels: [], waiting: [], sl: [] };
let chart = null;

function kpiFor(pbx, queue) {
  return (state.kpis || []).find((row) => row.key === queue && row.pbx === pbx) || null;
}

function render() {
  const queuesBox = document.getElementById("queues");
  const waitingBody = document.getElementById("waiting");
  const agentsBody = document.getElementById("agents");
  const banner = document.getElementById("banner");
  queuesBox.replaceChildren(); waitingBody.replaceChildren(); agentsBody.replaceChildren();
  // A view that is not live comes without numbers: say since when, never show a frozen picture.
  const notLive = Object.values(state.views).filter((view) => view.live === false).map((view) =>
    t("not_live_since") + " " + (view.not_live_since ? new Date(view.not_live_since).toLocaleTimeString([], { hour12: false }) : "—") + ": " + view.pbx);
  const down = Object.values(state.views).filter((view) => !view.connected && view.live !== false).map((view) => view.pbx);
  const stale = Date.now() - state.lastEvent > 45000;
  banner.hidden = !(notLive.length || down.length || stale);
  banner.textContent = notLive.length ? notLive.join("; ") : down.length ? t("pbx_down") + ": " + down.join(", ") : stale ? t("live_stale") : "";
  const now = Date.now();
  for (const view of Object.values(state.views)) {
    for (const queue of view.queues) {
      const members = queue.members || [];
      const count = (s) => members.filter((m) => m.state === s).length;
      const longest = queue.waiting.reduce((max, c) => Math.max(max, (now - Date.parse(c.joined_at)) / 1000), 0);
      const kpi = kpiFor(view.pbx, queue.name);
      queuesBox.append(el("article", { class: "card", "data-queue": queue.name },
        el("h2", {}, queue.name),
        el("div", { class: "big waiting-count", "data-queue": queue.name }, String(queue.waiting.length)),
        el("div", { class: "label" }, t("waiting")),
        el("div", { class: "row" },
          el("span", {}, t("longest_wait") + " ", el("b", { class: "tick", "data-since": queue.waiting.length ? String(Date.parse(queue.waiting[0].joined_at)) : "" }, clock(longest))),
          el("span", {}, t("agents_free") + " ", el("b", {}, String(count("free")))),
          el("span", {}, t("agents_talking") + " ", el("b", {}, String(count("talking")))),
          el("span", {}, t("agents_paused") + " ", el("b", {}, String(count("paused"))))),
        kpi ? el("div", { class: "row kpi" },
          el("span", {}, t("offered") + " ", el("b", {}, String(kpi.offered))),
          el("span", {}, t("answered") + " ", el("b", {}, String(kpi.answered))),
          el("span", {}, t("abandoned") + " ", el("b", {}, String(kpi.abandoned))),
          el("span", {}, t("service_level") + " ", el("b", {}, kpi.service_level_pct === null ? "—" : Math.round(kpi.service_level_pct) + "%"))) : ""));
      for (const caller of queue.waiting) {
        waitingBody.append(el("tr", {},
          el("td", {}, queue.name),
          el("td", {}, caller.caller_name || caller.caller_number || "—"),
          el("td", {}, topicName(caller.topic)),
          el("td", {}, el("span", { class: "tick", "data-since": String(Date.parse(caller.joined_at)) }, clock((now - Date.parse(caller.joined_at)) / 1000)))));
      }
    }
    const order = { talking: 0, ringing: 1, free: 2, paused: 3, unavailable: 4 };
    const agents = [...view.agents].sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.name.localeCompare(b.name));
    for (const agent of agents) {
      agentsBody.append(el("tr", { class: "ag-" + agent.state },
        el("td", {}, agent.name),
        el("td", {}, t("ag_" + agent.state)),
        el("td", {}, agent.pause_reason || ""),
        el("td", {}, (agent.queues || []).join(", "))));
    }
  }
}

function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll(".tick[data-since]")) {
    const since = Number(node.dataset.since);
    if (since) node.textContent = clock((now - since) / 1000);
  }
  if (Date.now() - state.lastEvent > 45000) render();
}

function sample() {
  let waiting = 0;
  for (const view of Object.values(state.views)) for (const queue of view.queues) waiting += queue.waiting.length;
  const rows = state.kpis || [];
  const answered = rows.reduce((sum, row) => sum + row.answered, 0);
  const within = rows.reduce((sum, row) => sum + row.answered_within_sl, 0);
  const label = bucketLabel(new Date());
  if (history.labels[history.labels.length - 1] === label) {
    history.waiting[history.waiting.length - 1] = Math.max(history.waiting[history.waiting.length - 1], waiting);
    history.sl[history.sl.length - 1] = answered ? (100 * within) / answered : null;
  } else {
    history.labels.push(label); history.waiting.push(waiting); history.sl.push(answered ? (100 * within) / answered : null);
    if (history.labels.length > 24 * 60) { history.labels.shift(); history.waiting.shift(); history.sl.shift(); }
  }
  if (chart) chart.update("none");
}

const STEP_MIN = 5;
function bucketLabel(date) {
  const floored = new Date(date.getTime() - (date.getTime() % (STEP_MIN * 60000)));
  return floored.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// The day so far comes from the records; live samples then extend it.
async function loadToday() {
  const today = await api("/api/live/today?step_min=" + STEP_MIN);
  const slByHour = {};
  for (const row of today.service_level_by_hour) slByHour[row.hour.slice(11, 13)] = row.service_level_pct;
  history.labels.length = 0; history.waiting.length = 0; history.sl.length = 0;
  for (const point of today.waiting) {
    const at = new Date(point.at);
    history.labels.push(bucketLabel(at));
    history.waiting.push(point.waiting);
    history.sl.push(slByHour[String(at.getHours()).padStart(2, "0")] ?? null);
  }
  if (chart) chart.update("none");
}

function setupChart() {
  chart = new Chart(document.getElementById("today-chart"), {
    type: "line",
    data: { labels: history.labels, datasets: [
      { label: t("waiting"), data: history.waiting, yAxisID: "y", borderColor: "#c0392b", stepped: true, pointRadius: 0 },
      { label: t("service_level") + " %", data: history.sl, yAxisID: "sl", borderColor: "#2471a3", pointRadius: 0 } ] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, sl: { position: "right", min: 0, max: 100 } } },
  });
}

function connect() {
  const source = new EventSource("/api/live/stream");
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.views = {}; for (const view of data.views) state.views[view.pbx] = view;
    state.kpis = data.kpis || []; state.lastEvent = Date.now(); render(); sample();
  });
  source.addEventListener("view", (event) => {
    const view = JSON.parse(event.data); state.views[view.pbx] = view; state.lastEvent = Date.now(); render(); sample();
  });
  source.addEventListener("kpis", (event) => { state.kpis = JSON.parse(event.data); state.lastEvent = Date.now(); render(); sample(); });
  source.addEventListener("ping", () => { state.lastEvent = Date.now(); });
  source.onopen = () => { state.lastEvent = Date.now(); render(); };
  // EventSource reconnects by itself; until then the board says its numbers may be old.
  source.onerror = () => { state.lastEvent = 0; render(); };
}

setupChart();
loadToday().catch(() => {}).finally(connect);
setInterval(tick, 1000);
setInterval(sample, 60000);
