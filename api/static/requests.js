// Requests: register a new one, change status (JSON API with the session's CSRF token).
"use strict";
const newForm = document.getElementById("new-request");
if (newForm) {
  newForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const [key, value] of new FormData(newForm)) if (value) body[key] = value;
    const created = await api("/api/requests", { method: "POST", body });
    window.location = "/requests/" + created.service_request_id;
  });
}
const statusForm = document.getElementById("status-form");
if (statusForm) {
  statusForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(statusForm);
    await api("/api/requests/" + statusForm.dataset.number + "/status", {
      method: "POST", body: { status: data.get("status"), note: data.get("note") || "" } });
    window.location.reload();
  });
}
const escalateButton = document.getElementById("escalate");
if (escalateButton) {
  escalateButton.addEventListener("click", async () => {
    const result = await api("/api/requests/overdue/escalate", { method: "POST" });
    document.getElementById("escalated").textContent = t("escalated") + ": " + (result.escalated.join(", ") || "—");
    setTimeout(() => window.location.reload(), 1500);
  });
}
