/**
 * The dashboard page's HTML, CSS and script, as one self-contained string.
 *
 * The page polls `GET /api/streams` every two seconds and renders one row
 * per live stream (codecs, resolution, bitrate, fps, viewers, uptime). Each
 * row has buttons that play the stream in the page's `<video>`: LL-HLS/HLS
 * through hls.js (`/{app}/{name}/index.m3u8`) and HTTP-FLV through mpegts.js
 * (`/{app}/{name}.flv`). `?play=app/name&via=hls|flv|ws` starts a stream on load
 * (deep links, end-to-end tests); without it the first live stream starts
 * playing (muted) as soon as it appears. `?token=…` is forwarded to every
 * request the page makes. All stream data is written with `textContent`,
 * never as HTML.
 *
 * @module
 */

/** The page, served at `/` with `text/html; charset=utf-8`. */
export const DASHBOARD_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>arcly-stream</title>
<style>
  :root { color-scheme: dark; --bg:#0f1115; --card:#171a21; --line:#262a33; --fg:#e6e8ec; --dim:#8b93a3; --acc:#4f9dff; --ok:#3ccf7a; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; align-items:baseline; gap:12px; padding:14px 22px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  header span { color:var(--dim); }
  main { display:grid; grid-template-columns: minmax(0,1.2fr) minmax(0,1fr); gap:18px; padding:18px 22px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px; }
  h2 { font-size:14px; margin:0 0 10px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  table { width:100%; border-collapse:collapse; }
  th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:500; }
  td.key { font-family:ui-monospace, monospace; }
  button { background:#222836; color:var(--fg); border:1px solid var(--line); border-radius:5px; padding:3px 9px; cursor:pointer; }
  button:hover { border-color:var(--acc); }
  video { width:100%; background:#000; border-radius:6px; aspect-ratio:16/9; }
  #empty { color:var(--dim); padding:8px; }
  #status { color:var(--dim); margin-top:8px; font-family:ui-monospace, monospace; font-size:12px; }
  .live { color:var(--ok); }
  code { background:#222836; padding:1px 5px; border-radius:4px; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header><h1>arcly-stream</h1><span id="summary">connecting…</span></header>
<main>
  <section>
    <h2>Live streams</h2>
    <table>
      <thead><tr><th>Stream</th><th>Codecs</th><th>Resolution</th><th>Bitrate</th><th>FPS</th><th>Viewers</th><th>Uptime</th><th>Play</th></tr></thead>
      <tbody id="streams"></tbody>
    </table>
    <div id="empty">No live stream. Publish one: <code>ffmpeg -re -i in.mp4 -c copy -f flv rtmp://HOST/live/cam</code></div>
  </section>
  <section>
    <h2>Player</h2>
    <video id="player" muted playsinline controls></video>
    <div id="status">idle</div>
  </section>
</main>
<script src="/_assets/hls.min.js"></script>
<script src="/_assets/mpegts.js"></script>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token");
const video = document.getElementById("player");
const state = { key: null, via: null, player: null, error: null, retries: 0, autoplayed: false };
const MAX_RETRIES = 10;
// A stream that just started may have no segment yet, and a publisher may
// reconnect: retry a failed player a few times before giving up.
function retry(p, key, via, why) {
  state.error = why; status(why);
  if (state.player !== p || state.retries >= MAX_RETRIES) return;
  state.retries++;
  setTimeout(() => { if (state.player === p) play(key, via, true); }, 1500);
}
window.arcly = state;

function withToken(url) {
  if (!token) return url;
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}
function status(text) { document.getElementById("status").textContent = text; }
function fmtBitrate(bps) {
  if (!bps) return "–";
  return bps >= 1e6 ? (bps / 1e6).toFixed(2) + " Mb/s" : Math.round(bps / 1e3) + " kb/s";
}
function fmtUptime(s) {
  s = Math.floor(s || 0);
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, sec = s % 60;
  return (h ? h + "h" : "") + String(m).padStart(h ? 2 : 1, "0") + "m" + String(sec).padStart(2, "0") + "s";
}
function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}
function stop() {
  if (state.player) {
    try { state.player.destroy(); } catch (_) { /* already gone */ }
  }
  state.player = null;
  video.removeAttribute("src");
  video.load();
}
function play(key, via, retrying) {
  stop();
  if (!retrying) state.retries = 0;
  state.key = key; state.via = via; state.error = null;
  const base = "/" + key.split("/").map(encodeURIComponent).join("/");
  if (via === "flv" || via === "ws") {
    if (!window.mpegts || !mpegts.isSupported()) { state.error = "mpegts.js unavailable"; status(state.error); return; }
    const url = new URL(withToken(base + ".flv"), location.href);
    if (via === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    const p = mpegts.createPlayer({ type: "flv", isLive: true, url: url.href },
      { enableWorker: false, lazyLoad: false, liveBufferLatencyChasing: true,
        liveBufferLatencyMaxLatency: 0.8, liveBufferLatencyMinRemain: 0.2 });
    p.on(mpegts.Events.ERROR, (type, detail) => retry(p, key, via, type + ": " + detail));
    p.attachMediaElement(video); p.load(); p.play();
    state.player = p;
  } else {
    const url = withToken(base + "/index.m3u8");
    if (window.Hls && Hls.isSupported()) {
      const p = new Hls({ lowLatencyMode: true, backBufferLength: 30, maxLiveSyncPlaybackRate: 1.5 });
      p.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) retry(p, key, via, d.type + ": " + d.details); });
      p.loadSource(url); p.attachMedia(video);
      state.player = p;
      // hls.js starts on an independent part that can sit seconds behind the
      // live edge and only speeds up when already close; jump to live once
      // the edge is buffered.
      const timer = setInterval(() => {
        if (state.player !== p) { clearInterval(timer); return; }
        const live = p.liveSyncPosition, b = video.buffered;
        if (live && b.length && video.currentTime < live - 1.5 && b.end(b.length - 1) > live) {
          video.currentTime = live;
        }
      }, 500);
    } else {
      video.src = url;
    }
    video.play().catch(() => {});
  }
  const names = { flv: "HTTP-FLV (mpegts.js)", ws: "WebSocket-FLV (mpegts.js)", hls: "HLS (hls.js)" };
  if (!retrying) status("playing " + key + " via " + names[via]);
}
function render(list, refused) {
  const body = document.getElementById("streams");
  body.replaceChildren();
  document.getElementById("empty").style.display = list.length ? "none" : "block";
  document.getElementById("summary").textContent =
    list.length + " live stream" + (list.length === 1 ? "" : "s") +
    (typeof refused === "number" ? " · " + refused + " connection" + (refused === 1 ? "" : "s") + " refused" : "");
  for (const s of list) {
    const tr = document.createElement("tr");
    tr.dataset.key = s.key;
    cell(tr, s.key, "key");
    cell(tr, [s.video && s.video.codec, s.audio && s.audio.codec].filter(Boolean).join(" + ") || "–");
    cell(tr, s.video && s.video.width ? s.video.width + "×" + s.video.height : "–");
    cell(tr, fmtBitrate(s.bitrate));
    cell(tr, s.fps ? s.fps.toFixed(1) : "–");
    cell(tr, String(s.subscribers));
    cell(tr, fmtUptime(s.uptimeSeconds), "live");
    const td = cell(tr, "");
    for (const [via, label] of [["hls", "HLS"], ["flv", "FLV"], ["ws", "WS"]]) {
      const b = document.createElement("button");
      b.textContent = label; b.dataset.via = via;
      b.addEventListener("click", () => play(s.key, via));
      td.appendChild(b); td.appendChild(document.createTextNode(" "));
    }
    body.appendChild(tr);
  }
}
async function refresh() {
  try {
    const res = await fetch(withToken("/api/streams"), { cache: "no-store" });
    if (res.ok) {
      const answer = await res.json();
      const list = answer.streams;
      render(list, answer.refusedConnections);
      // What a new user sees first: the first live stream plays at once (muted autoplay).
      if (!state.key && !state.autoplayed && !params.get("play") && list.length) {
        state.autoplayed = true;
        play(list[0].key, "hls");
      }
    }
  } catch (_) { document.getElementById("summary").textContent = "server unreachable"; }
}
refresh();
setInterval(refresh, 2000);
if (params.get("play")) play(params.get("play"), ["flv", "ws"].includes(params.get("via")) ? params.get("via") : "hls");
</script>
</body>
</html>
`;
