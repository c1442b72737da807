// Callback list: claim, done, give up (JSON API with the session's CSRF token); refreshes every 5 s.
"use strict";
const fmt = (iso) => (iso ? new Date(iso).toLocaleString() : "");

async function act(id, step, body) {
  await api("/api/callbacks/" + id + "/" + step, { method: "POST", body: body || {} });
  await load();
}

function actions(item) {
  const cell = el("td", {});
  if (item.status === "pending") cell.append(el("button", { type: "button", class: "claim", onclick: () => act(item.id, "claim") }, t("claim")));
  if (["pending", "claimed", "dialing"].includes(item.status)) {
    cell.append(el("button", { type: "button", class: "done", onclick: () => act(item.id, "done") }, t("mark_done")));
    cell.append(el("button", { type: "button", class: "give-up", onclick: () => {
      const reason = window.prompt(t("give_up_reason"));
      if (reason) act(item.id, "give-up", { reason });
    } }, t("give_up")));
  }
  return cell;
}

async function load() {
  const items = await api("/api/callbacks");
  const body = document.getElementById("callbacks");
  body.replaceChildren(...items.map((item) => el("tr", { "data-id": String(item.id), "data-status": item.status },
    el("td", {}, String(item.id)),
    el("td", { class: "number" }, item.caller_number || ""),
    el("td", {}, topicName(item.topic)),
    el("td", {}, item.language),
    el("td", { class: "status" }, t("cb_" + item.status) + (item.give_up_reason ? " (" + item.give_up_reason + ")" : "")),
    el("td", { class: "attempts" }, String(item.attempts)),
    el("td", {}, fmt(item.requested_at)),
    el("td", {}, fmt(item.done_at)),
    actions(item))));
  const kpis = await api("/api/callbacks/kpis");
  document.getElementById("callback-kpis").textContent =
    `${kpis.done}/${kpis.requested} ≤ ${kpis.done_within_min} min: ${kpis.done_in_time}; ${t("attempts")}: ${kpis.attempts_per_callback ?? "—"}`;
}
load();
setInterval(load, 5000);
