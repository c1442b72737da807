// Wallboard: Server-Sent Events keep the views and the server's alerts; times tick locally every second.
"use strict";
const BOARD = document.getElementById("board");
const TV = BOARD.dataset.tv !== "";
const LANG = document.documentElement.lang || "ru";
const NUM = new Intl.NumberFormat(LANG, { maximumFractionDigits: 0 });
const HHMM = new Intl.DateTimeFormat(LANG, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: TZ });
const STREAM = TV ? "/api/tv/stream" : "/api/live/stream";
const TODAY = TV ? "/api/tv/today" : "/api/live/today?step_min=5";
const state = { views: {}, kpis: [], alerts: [], callbacks: {}, supervisorAlerts: [], lastEvent: Date.now() };
const curve = { dayStart: null, waiting: [], sl: [] };
let chart = null;
let source = null;

function kpiFor(pbx, queue) {
  return (state.kpis || []).find((row) => row.key === queue && row.pbx === pbx) || null;
}

function levelOf(pbx, queue) {
  const levels = state.alerts.filter((a) => a.pbx === pbx && a.queue === queue).map((a) => a.level);
  return levels.includes("red") ? "red" : levels.includes("amber") ? "amber" : "";
}

// Topic names come from the catalogue; an id the catalogue does not know is shown as it is, marked.
function topicLabel(id) {
  if (!id) return "";
  if (TOPICS[id]) return TOPICS[id];
  return el("span", { class: "unknown-topic", title: t("topic_unknown") }, id + " ?");
}

function ticking(sinceMs) {
  return el("span", { class: "tick", "data-since": String(sinceMs) }, clock((Date.now() - sinceMs) / 1000));
}

function renderAlerts() {
  const list = document.getElementById("alerts");
  list.replaceChildren(...state.alerts.map((a) => el("li", { class: "alert " + a.level, "data-queue": a.queue },
    el("b", {}, a.queue), " · " + t("al_" + a.metric) + ": ",
    a.metric === "service_level" ? NUM.format(a.value) + "%" : a.metric === "longest_wait" ? clock(a.value) : NUM.format(a.value),
    " (" + t("threshold") + " " + (a.metric === "longest_wait" ? clock(a.threshold) : NUM.format(a.threshold) + (a.metric === "service_level" ? "%" : "")) + ")")));
  if (!state.alerts.length) list.append(el("li", { class: "alert none" }, t("no_alerts")));
}

function queueCard(view, queue, now) {
  const members = queue.members || [];
  const count = (s) => members.filter((m) => m.state === s).length;
  const longestSince = queue.waiting.length ? Math.min(...queue.waiting.map((c) => Date.parse(c.joined_at))) : 0;
  const kpi = kpiFor(view.pbx, queue.name);
  const callbacks = state.callbacks[queue.name] ?? 0;  // promised callbacks not yet done (hotline.callbacks)
  const level = levelOf(view.pbx, queue.name);
  return el("article", { class: "card" + (level ? " level-" + level : ""), "data-queue": queue.name, "data-level": level || "ok" },
    el("h2", {}, queue.name),
    el("div", { class: "big waiting-count", "data-queue": queue.name }, NUM.format(queue.waiting.length)),
    el("div", { class: "label" }, t("waiting")),
    el("div", { class: "row" },
      el("span", {}, t("longest_wait") + " ", longestSince ? ticking(longestSince) : el("b", {}, clock(0))),
      el("span", {}, t("agents_free") + " ", el("b", {}, NUM.format(count("free")))),
      el("span", {}, t("agents_talking") + " ", el("b", {}, NUM.format(count("talking")))),
      el("span", {}, t("agents_paused") + " ", el("b", {}, NUM.format(count("paused")))),
      el("span", {}, t("callbacks_pending") + " ", el("b", { class: "callbacks-count", "data-queue": queue.name }, NUM.format(callbacks)))),
    kpi ? el("div", { class: "row kpi" },
      el("span", {}, t("offered") + " ", el("b", {}, NUM.format(kpi.offered))),
      el("span", {}, t("answered") + " ", el("b", {}, NUM.format(kpi.answered))),
      el("span", {}, t("abandoned_today") + " ", el("b", {}, NUM.format(kpi.abandoned))),
      el("span", {}, t("sl_today") + " ", el("b", { class: "sl" }, kpi.service_level_pct === null ? "—" : NUM.format(kpi.service_level_pct) + "%"))) : "");
}

function agentRow(agent, calls) {
  const call = calls.find((c) => c.state === "talking" && (c.agent === agent.name || (agent.talking_to && c.caller_number === agent.talking_to)));
  const since = agent.state_since ? Date.parse(agent.state_since) : 0;
  const callCell = call ? el("span", { class: "call" },
    (call.caller_name || call.caller_number || agent.talking_to || "—") + " · ", topicLabel(call.topic), " · ",
    ticking(Date.parse(call.answered_at || call.started_at))) : agent.talking_to || "";
  return el("tr", { class: "ag-" + agent.state },
    el("td", {}, agent.name),
    el("td", {}, t("ag_" + agent.state)),
    el("td", {}, since ? ticking(since) : "—"),
    el("td", {}, callCell),
    el("td", {}, agent.state === "paused" && agent.pause_reason ? agent.pause_reason + (since ? " · " : "") : "", agent.state === "paused" && since ? ticking(since) : ""),
    el("td", {}, (agent.queues || []).join(", ")));
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
      queuesBox.append(queueCard(view, queue, now));
      for (const caller of queue.waiting) {
        waitingBody.append(el("tr", {},
          el("td", {}, queue.name),
          el("td", {}, caller.caller_name || caller.caller_number || "—"),
          el("td", {}, topicLabel(caller.topic)),
          el("td", {}, ticking(Date.parse(caller.joined_at)))));
      }
    }
    const order = { talking: 0, ringing: 1, free: 2, paused: 3, unavailable: 4 };
    const agents = [...view.agents].sort((a, b) => (order[a.state] ?? 9) - (order[b.state] ?? 9) || a.name.localeCompare(b.name));
    for (const agent of agents) agentsBody.append(agentRow(agent, view.calls || []));
  }
  renderAlerts();
}

function tick() {
  const now = Date.now();
  for (const node of document.querySelectorAll(".tick[data-since]")) {
    const since = Number(node.dataset.since);
    if (since) node.textContent = clock((now - since) / 1000);
  }
  if (Date.now() - state.lastEvent > 45000) render();
}

// The chart's x axis is the whole local day (minutes since midnight), so a lone point sits at its time.
function minuteOfDay(date) { return curve.dayStart === null ? 0 : (date.getTime() - curve.dayStart) / 60000; }

function sample() {
  if (curve.dayStart === null) return;
  let waiting = 0;
  for (const view of Object.values(state.views)) for (const queue of view.queues) waiting += queue.waiting.length;
  const x = Math.min(1440, minuteOfDay(new Date()));
  const last = curve.waiting[curve.waiting.length - 1];
  if (last && x - last.x < 1) last.y = Math.max(last.y, waiting); else curve.waiting.push({ x, y: waiting });
  if (chart) chart.update("none");
}

async function loadToday() {
  const today = await api(TODAY);
  curve.dayStart = Date.parse(today.day_start);
  curve.waiting.length = 0; curve.sl.length = 0;
  for (const point of today.waiting) curve.waiting.push({ x: minuteOfDay(new Date(point.at)), y: point.waiting });
  for (const row of today.service_level_by_hour) {
    if (row.service_level_pct !== null) curve.sl.push({ x: Number(row.hour.slice(11, 13)) * 60 + 30, y: row.service_level_pct });
  }
  if (chart) chart.update("none");
}

function setupChart() {
  const label = (minutes) => HHMM.format(new Date((curve.dayStart ?? 0) + minutes * 60000));
  chart = new Chart(document.getElementById("today-chart"), {
    type: "line",
    data: { datasets: [
      { label: t("waiting"), data: curve.waiting, yAxisID: "y", borderColor: "#c0392b", backgroundColor: "#c0392b", stepped: true, pointRadius: 2 },
      { label: t("service_level") + " %", data: curve.sl, yAxisID: "sl", borderColor: "#2471a3", backgroundColor: "#2471a3", pointRadius: 3 } ] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, parsing: true,
      plugins: { tooltip: { callbacks: { title: (items) => (items.length ? label(items[0].parsed.x) : "") } } },
      scales: {
        x: { type: "linear", min: 0, max: 1440, ticks: { stepSize: 120, callback: (v) => label(v) } },
        y: { beginAtZero: true, ticks: { precision: 0, callback: (v) => NUM.format(v) } },
        sl: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } } } },
  });
}

// One short beep when a queue turns red; the browser may refuse sound until the page was touched.
const sound = document.getElementById("sound");
if (sound) { sound.checked = localStorage.getItem("alertSound") === "1"; sound.addEventListener("change", () => localStorage.setItem("alertSound", sound.checked ? "1" : "0")); }
function beep() {
  const wanted = TV ? BOARD.dataset.sound === "1" : sound && sound.checked;
  if (!wanted || !window.AudioContext) return;
  try {
    const context = new AudioContext(); const tone = context.createOscillator();
    tone.frequency.value = 880; tone.connect(context.destination); tone.start(); tone.stop(context.currentTime + 0.3);
  } catch (error) { /* no audio device: the colours still say it */ }
}

// Alerts raised outside the queues (the status-lookup limit tripped...), acknowledged by a supervisor.
function showSupervisorAlerts(alerts) {
  const box = document.getElementById("supervisor-alerts");
  if (!box) return;
  box.hidden = !alerts.length;
  box.replaceChildren(...alerts.map((alert) => el("p", { class: "alert", "data-id": String(alert.id) },
    HHMM.format(new Date(alert.at)) + " " + alert.message + " ",
    TV ? "" : el("button", { type: "button", onclick: () => api("/api/alerts/" + alert.id + "/ack", { method: "POST" }) }, "OK"))));
}

function setAlerts(alerts) {
  const reds = (list) => new Set(list.filter((a) => a.level === "red").map((a) => a.pbx + "/" + a.queue + "/" + a.metric));
  const before = reds(state.alerts);
  state.alerts = alerts || [];
  if ([...reds(state.alerts)].some((key) => !before.has(key))) beep();
}

// A patch holds what changed since the last view (hotline/live_patch.py, the same rules).
const KEYS = { queues: "name", calls: "linkedid", agents: "interface", waiting: "uniqueid", members: "interface" };
function applyPatch(old, patch) {
  const out = Object.assign({}, old);
  for (const [key, value] of Object.entries(patch)) {
    const id = KEYS[key];
    out[key] = id && value && !Array.isArray(value) && typeof value === "object" && Array.isArray(out[key]) ? applyList(out[key], value, id) : value;
  }
  return out;
}
function applyList(old, change, id) {
  const byId = new Map(old.map((item) => [item[id], item]));
  let order = old.map((item) => item[id]);
  for (const key of change.remove || []) byId.delete(key);
  for (const item of change.upsert || []) {
    if (byId.has(item[id])) byId.set(item[id], applyPatch(byId.get(item[id]), item));
    else { byId.set(item[id], item); order.push(item[id]); }
  }
  order = change.order || order.filter((key) => byId.has(key));
  return order.filter((key) => byId.has(key)).map((key) => byId.get(key));
}

function connect() {
  source = new EventSource(STREAM);
  source.addEventListener("snapshot", (event) => {
    const data = JSON.parse(event.data);
    state.views = {}; for (const view of data.views) state.views[view.pbx] = view;
    state.kpis = data.kpis || []; setAlerts(data.alerts); state.callbacks = data.callbacks || {};
    showSupervisorAlerts(data.supervisor_alerts || []); state.lastEvent = Date.now(); render(); sample();
  });
  source.addEventListener("view", (event) => {
    const view = JSON.parse(event.data); state.views[view.pbx] = view; state.lastEvent = Date.now(); render(); sample();
  });
  source.addEventListener("patch", (event) => {
    const patch = JSON.parse(event.data);
    if (state.views[patch.pbx]) state.views[patch.pbx] = applyPatch(state.views[patch.pbx], patch.changes);
    state.lastEvent = Date.now(); render(); sample();
  });
  source.addEventListener("kpis", (event) => { state.kpis = JSON.parse(event.data); state.lastEvent = Date.now(); render(); });
  source.addEventListener("alerts", (event) => { setAlerts(JSON.parse(event.data)); state.lastEvent = Date.now(); render(); });
  source.addEventListener("callbacks", (event) => { state.callbacks = JSON.parse(event.data); render(); });
  source.addEventListener("supervisor_alerts", (event) => { showSupervisorAlerts(JSON.parse(event.data)); });
  source.addEventListener("ping", () => { state.lastEvent = Date.now(); });
  source.onopen = () => { state.lastEvent = Date.now(); BOARD.dataset.connected = "1"; render(); };
  source.onerror = () => {
    state.lastEvent = 0; BOARD.dataset.connected = ""; render();
    // EventSource retries a dropped connection itself, but gives up on an HTTP error (a proxy's 502
    // while the API restarts): then start over, so a wall screen never needs a hand.
    if (source.readyState === EventSource.CLOSED) { source.close(); setTimeout(connect, 2000); }
  };
}

setupChart();
loadToday().catch(() => {}).finally(connect);
setInterval(tick, 1000);
setInterval(sample, 60000);
setInterval(() => { loadToday().catch(() => {}); }, 15 * 60000);
