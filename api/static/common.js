// Shared by every page: message catalogue, CSRF-carrying fetch, sign-out.
"use strict";
const T = JSON.parse(document.getElementById("i18n").textContent);
const t = (key) => T[key] || key;
const TOPICS = JSON.parse(document.getElementById("topics").textContent);
const topicName = (id) => (id ? TOPICS[id] || id : "");
const CSRF = document.querySelector('meta[name="csrf-token"]').content;
// The hotline's time zone (settings.timezone): a screen shows the hotline's clock, not the browser's.
const TZ = document.documentElement.dataset.tz || undefined;

async function api(path, options = {}) {
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (options.body && typeof options.body !== "string") {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.body);
  }
  if (options.method && options.method !== "GET") headers["X-CSRF-Token"] = CSRF;
  const response = await fetch(path, Object.assign({}, options, { headers, credentials: "same-origin" }));
  if (response.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); }
  if (!response.ok) throw new Error(response.status + " " + (await response.text()));
  return response.json();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value; else if (key.startsWith("data-")) node.setAttribute(key, value); else node[key] = value;
  }
  for (const child of children) node.append(child === null || child === undefined ? "" : child);
  return node;
}

function clock(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return m + ":" + String(s).padStart(2, "0");
}

const logoutButton = document.getElementById("logout");
if (logoutButton) {
  logoutButton.addEventListener("click", async () => {
    await fetch("/logout", { method: "POST", headers: { "X-CSRF-Token": CSRF }, credentials: "same-origin" });
    window.location = "/login";
  });
}
