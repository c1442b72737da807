// Search: hits with highlighted words; a click plays the recording from the hit's second
// and shows the transcript (speaker turns, keyword highlights, the current segment followed).
"use strict";
const form = document.getElementById("search-form");
const hitsBox = document.getElementById("hits");
const summary = document.getElementById("summary");
const player = document.getElementById("player");
const transcriptBox = document.getElementById("transcript");
let currentSegments = [];

function marked(text, words) {
  const wanted = new Set((words || []).map((w) => w.toLowerCase()));
  const span = el("span");
  for (const part of text.split(/(\s+)/)) {
    const bare = part.replace(/[^\p{L}\p{N}-]/gu, "").toLowerCase();
    span.append(bare && wanted.has(bare) ? el("mark", {}, part) : part);
  }
  return span;
}

// The search marks matched words as [word] in its snippet.
function snippet(text) {
  const span = el("span");
  text.split(/\[([^\]]+)\]/).forEach((part, index) => span.append(index % 2 ? el("mark", {}, part) : part));
  return span;
}

async function runSearch(event) {
  if (event) event.preventDefault();
  const params = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
  const page = await api("/api/search?" + params.toString());
  // Counting stops at a cap (transcription.search.COUNT_CAP): "1000+".
  summary.textContent = page.total ? t("results") + ": " + page.total + (page.total_capped ? "+" : "") : t("no_results");
  hitsBox.replaceChildren();
  for (const hit of page.hits) {
    const when = hit.started_at ? new Date(hit.started_at).toLocaleString() : "";
    const item = el("li", { class: "hit", "data-recording": String(hit.recording_id), "data-start": String(hit.start_s) },
      el("div", { class: "muted" }, [when, hit.queue, topicName(hit.topic), t("sp_" + hit.speaker), clock(hit.start_s)].filter(Boolean).join(" · ")),
      snippet(hit.snippet));
    item.addEventListener("click", () => play(hit, item));
    hitsBox.append(item);
  }
}

function play(hit, item) {
  for (const other of hitsBox.children) other.classList.remove("on");
  item.classList.add("on");
  const seek = () => { player.currentTime = hit.start_s; player.play().catch(() => {}); };
  if (player.dataset.recording === String(hit.recording_id) && player.readyState >= 1) {
    seek();
  } else {
    player.dataset.recording = String(hit.recording_id);
    player.addEventListener("loadedmetadata", seek, { once: true });
    player.src = hit.audio_url;
    player.load();
  }
  showTranscript(hit);
}

async function showTranscript(hit) {
  const transcript = await api("/api/transcripts/" + hit.transcript_id);
  const keywords = transcript.highlights.map((h) => h.keyword).concat(hit.highlights);
  transcriptBox.replaceChildren();
  currentSegments = [];
  for (const turn of transcript.turns) {
    const box = el("div", { class: "turn" }, el("span", { class: "speaker" }, t("sp_" + turn.speaker) + ":"));
    for (const segment of turn.segments) {
      const node = el("span", { class: "seg", "data-start": String(segment.start_s) }, marked(segment.text, keywords), " ");
      node.addEventListener("click", () => { player.currentTime = segment.start_s; player.play().catch(() => {}); });
      currentSegments.push([segment.start_s, segment.end_s, node]);
      box.append(node);
    }
    transcriptBox.append(box);
  }
  transcriptBox.append(el("p", { class: "source" }, t("text_source") + ": " + transcript.model));
}

player.addEventListener("timeupdate", () => {
  for (const [start, end, node] of currentSegments) node.classList.toggle("current", player.currentTime >= start && player.currentTime < end);
});
form.addEventListener("submit", runSearch);
