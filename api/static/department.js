// Department queue: take, answer with a text, close; the digest above the table.
"use strict";
const box = document.getElementById("digest");

async function step(number, name, body) {
  await api("/api/requests/" + number + "/" + name, { method: "POST", body: body || {} });
  await load();
}

function controls(item) {
  const cell = el("td", {});
  const status = item.detailed_status;
  if (status === "registered") cell.append(el("button", { type: "button", class: "take", onclick: () => step(item.service_request_id, "take") }, t("take")));
  if (status === "registered" || status === "in_progress") {
    const form = el("form", { class: "answer-form" });
    const text = el("textarea", { name: "text", required: true, maxLength: 10000, placeholder: t("answer_text") });
    form.append(text, el("button", { type: "submit", class: "answer" }, t("answer")));
    form.addEventListener("submit", (event) => { event.preventDefault(); step(item.service_request_id, "answer", { text: text.value }); });
    cell.append(form);
  }
  if (status === "answered") cell.append(el("button", { type: "button", class: "close", onclick: () => step(item.service_request_id, "close") }, t("close")));
  return cell;
}

async function load() {
  const chosen = box.dataset.department;
  const data = await api("/api/department/requests" + (chosen ? "?department=" + encodeURIComponent(chosen) : ""));
  document.getElementById("department-name").textContent = data.title;
  box.replaceChildren(
    el("span", {}, t("open_requests") + " ", el("b", { class: "open" }, String(data.digest.open))),
    el("span", {}, t("due_this_week") + " ", el("b", { class: "due" }, String(data.digest.due_this_week))),
    el("span", {}, t("overdue") + " ", el("b", { class: "overdue" }, String(data.digest.overdue))));
  document.getElementById("department-requests").replaceChildren(...data.items.map((item) =>
    el("tr", { class: item.overdue ? "late" : "", "data-number": item.service_request_id, "data-status": item.detailed_status },
      el("td", {}, item.service_request_id),
      el("td", {}, topicName(item.service_code)),
      el("td", {}, item.description),
      el("td", { class: "status" }, t("st_" + item.detailed_status)),
      el("td", {}, item.expected_datetime),
      el("td", {}, item.assignee || ""),
      controls(item))));
}
load().catch((error) => { box.textContent = String(error); });
