// Operator's desk: follows the live view (push) and shows the current call with the caller's history.
"use strict";
let current = null;

function list(id, items, line) {
  document.getElementById(id).replaceChildren(...items.map((item) => el("li", {}, line(item))));
}

async function refresh() {
  const data = await api("/api/desk");
  const box = document.getElementById("desk-call");
  const form = document.getElementById("desk-request");
  const call = data.call;
  if (!call) {
    current = null; form.hidden = true;
    box.replaceChildren(el("p", { class: "muted" }, t("no_current_call")));
    list("desk-calls", [], () => ""); list("desk-requests", [], () => ""); list("desk-callbacks", [], () => "");
    return;
  }
  const changed = !current || current.linkedid !== call.linkedid;
  current = call; form.hidden = false;
  if (changed) document.getElementById("desk-number").hidden = true;
  box.replaceChildren(
    el("h2", {}, t("current_call")),
    el("p", { class: "big caller-number" }, call.caller_number || "—"),
    el("p", {}, call.caller_name || ""),
    el("p", {}, t("topic") + ": ", el("b", { class: "topic" }, topicName(call.topic) || "—"),
      " · " + t("language") + ": ", el("b", { class: "language" }, call.language || "—"),
      " · " + t("queue") + ": " + (call.queue || "—")));
  list("desk-calls", data.calls, (c) => `${new Date(c.started_at).toLocaleString()} · ${topicName(c.topic)} · ${c.outcome}`);
  list("desk-requests", data.requests, (r) => `${r.number} · ${topicName(r.topic)} · ${t("st_" + r.status)} · ${r.department || ""}`);
  list("desk-callbacks", data.callbacks, (c) => `${new Date(c.requested_at).toLocaleString()} · ${topicName(c.topic)} · ${t("cb_" + c.status)}`);
}

document.getElementById("desk-request").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!current) return;
  const form = new FormData(event.target);
  const body = { pbx: current.pbx, linkedid: current.linkedid, summary: form.get("summary") };
  if (form.get("address")) body.address = form.get("address");
  const created = await api("/api/desk/requests", { method: "POST", body });
  const number = document.getElementById("desk-number");
  number.hidden = false;
  number.replaceChildren(t("read_number") + ": ", el("span", { class: "spoken" }, created.spoken), " · " + (created.department || ""));
  event.target.reset();
  await refresh();
});

refresh();
const source = new EventSource("/api/desk/stream");
source.addEventListener("change", () => refresh());
