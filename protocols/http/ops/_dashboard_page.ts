/**
 * The dashboard page: HTML and CSS here, its two scripts inlined from
 * `_dashboard_script.ts` (polling the control API, rendering) and
 * `_dashboard_player.ts` (the player and its latency readout). The player
 * libraries come from our own server (`/_assets/hls.min.js`,
 * `/_assets/mpegts.js`); the page loads nothing from elsewhere.
 *
 * Layout: a server summary (version, uptime, CPU, memory, bandwidth graph,
 * connections with the refusal counter), one card per live stream
 * (thumbnail, codecs, bitrate and viewer sparklines, viewers per protocol,
 * play buttons, copyable publish/play URLs), the player and the client list
 * with kick buttons. CSS grid and flex with `minmax(0, …)` tracks, wrapping
 * and ellipsis (the full text in `title`) keep it unclipped from 800 to
 * 1920 px wide.
 *
 * `?play=app/name&via=hls|llhls|flv|ws|whep` starts a stream on load (deep
 * links, end-to-end tests); without it the first live stream starts playing
 * (muted) as soon as it appears. `?token=…` is forwarded to every play and
 * API read the page makes.
 *
 * @module
 */
import { PLAYER_SCRIPT } from "./_dashboard_player.ts";
import { DATA_SCRIPT } from "./_dashboard_script.ts";

const STYLE = `
  :root { color-scheme: dark; --bg:#0f1115; --card:#171a21; --line:#262a33; --fg:#e6e8ec; --dim:#8b93a3;
    --acc:#4f9dff; --ok:#3ccf7a; --warn:#f0b429; --mono: ui-monospace, "DejaVu Sans Mono", monospace; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; flex-wrap:wrap; align-items:baseline; gap:4px 12px; padding:12px 20px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; }
  header span { color:var(--dim); }
  .wrap { padding:16px 20px; display:grid; gap:16px; }
  section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; min-width:0; }
  h2 { font-size:13px; margin:0 0 10px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
  #server { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); grid-auto-flow:row dense; gap:10px; }
  .stat { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; min-width:0; }
  .stat.wide { grid-column:span 2; }
  .stat h3 { margin:0; font-size:12px; font-weight:500; color:var(--dim); }
  .stat .v { display:block; font-size:18px; font-weight:600; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .stat .s { display:block; font-size:12px; color:var(--dim); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .stat.warn .s { color:var(--warn); }
  .stat canvas { display:block; width:100%; height:34px; margin-top:4px; }
  main { display:grid; grid-template-columns:minmax(0, 1.25fr) minmax(0, 1fr); gap:16px; align-items:start; }
  .side { display:grid; gap:16px; min-width:0; }
  @media (max-width: 1199px) { main { grid-template-columns:minmax(0, 1fr); } .side { order:-1; } video { max-height:45vh; } }
  #streams { display:grid; gap:12px; }
  .stream { display:grid; grid-template-columns:160px minmax(0, 1fr); gap:12px; padding:10px; border:1px solid var(--line); border-radius:8px; min-width:0; }
  .thumb { width:160px; height:90px; border-radius:6px; overflow:hidden; background:#0b0d11; display:grid; place-items:center; }
  .thumb img { width:100%; height:100%; object-fit:cover; display:block; }
  .thumb .ph { color:var(--dim); font-size:12px; }
  .thumb [hidden] { display:none; }
  .body { min-width:0; display:grid; gap:6px; }
  .title { display:flex; flex-wrap:wrap; align-items:baseline; gap:2px 10px; min-width:0; }
  .title .key { font:600 15px var(--mono); min-width:0; max-width:100%; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .live { color:var(--ok); font-size:12px; }
  .pub { color:var(--dim); font-size:12px; }
  .meta { color:var(--dim); font-size:12px; overflow-wrap:anywhere; }
  .sparks { display:flex; flex-wrap:wrap; gap:8px; }
  .sparks figure { margin:0; flex:1 1 150px; min-width:0; }
  .sparks figcaption { display:flex; justify-content:space-between; gap:6px; font-size:11px; color:var(--dim); }
  .sparks figcaption b { color:var(--fg); font-weight:500; white-space:nowrap; }
  .sparks canvas { display:block; width:100%; height:28px; background:#12151b; border-radius:4px; }
  .chips, .buttons { display:flex; flex-wrap:wrap; gap:6px; }
  .chip { font-size:12px; padding:0 7px; border-radius:10px; background:#222836; }
  .chip.dim { color:var(--dim); }
  button { font:inherit; font-size:13px; background:#222836; color:var(--fg); border:1px solid var(--line); border-radius:5px; padding:2px 9px; cursor:pointer; white-space:nowrap; }
  button:hover { border-color:var(--acc); }
  details.urls summary { cursor:pointer; color:var(--acc); font-size:13px; }
  .urlgrid { display:grid; grid-template-columns:max-content minmax(0, 1fr) max-content; gap:4px 8px; align-items:center; margin-top:6px; }
  .url { display:contents; }
  .url .k { font-size:12px; color:var(--dim); white-space:nowrap; }
  .url .k.publish { color:var(--warn); }
  .url code { display:block; min-width:0; font:12px var(--mono); background:#222836; padding:2px 6px; border-radius:4px;
    white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  .url button { font-size:12px; padding:1px 7px; }
  #empty { color:var(--dim); padding:8px; overflow-wrap:anywhere; }
  #empty code { background:#222836; padding:1px 5px; border-radius:4px; font-family:var(--mono); }
  video { display:block; width:100%; background:#000; border-radius:6px; aspect-ratio:16/9; }
  .bar { display:flex; flex-wrap:wrap; justify-content:space-between; gap:4px 12px; margin-top:8px; font:12px var(--mono); color:var(--dim); }
  .bar span { min-width:0; max-width:100%; white-space:nowrap; overflow:hidden; text-overflow:ellipsis; }
  #latency { color:var(--fg); }
  #status { display:block; margin-top:4px; font:12px var(--mono); color:var(--dim); overflow-wrap:anywhere; }
  #clients { display:grid; grid-template-columns:minmax(0, 1fr) minmax(0, 1fr) minmax(0, 1.6fr) minmax(0, 1.6fr) minmax(0, .7fr) minmax(0, .7fr) minmax(0, .7fr) max-content;
    gap:4px 8px; align-items:center; font-size:12px; }
  #clients .row { display:contents; }
  #clients .row span { white-space:nowrap; overflow:hidden; text-overflow:ellipsis; min-width:0; }
  #clients .head span { color:var(--dim); font-weight:500; }
  #clients-note, #kick-note { color:var(--dim); font-size:12px; margin-top:6px; overflow-wrap:anywhere; }
  .kick { font-size:12px; padding:1px 8px; }
  .kick:hover { border-color:#ff6b6b; }
`;

const BODY = `
<header><h1>arcly-stream</h1><span id="version"></span><span id="summary">connecting…</span></header>
<div class="wrap">
  <div id="server">
    <div class="stat" id="st-uptime"><h3>Uptime</h3><span class="v">–</span><span class="s"></span></div>
    <div class="stat" id="st-cpu"><h3>CPU</h3><span class="v">–</span><span class="s"></span><canvas id="g-cpu"></canvas></div>
    <div class="stat" id="st-mem"><h3>Memory (RSS)</h3><span class="v">–</span><span class="s"></span><canvas id="g-mem"></canvas></div>
    <div class="stat wide" id="st-bw"><h3>Bandwidth</h3><span class="v">–</span><span class="s"></span><canvas id="g-bw"></canvas></div>
    <div class="stat" id="st-conn"><h3>Connections / limit</h3><span class="v">–</span><span class="s"></span></div>
    <div class="stat" id="st-streams"><h3>Live streams</h3><span class="v">–</span><span class="s"></span></div>
  </div>
  <main>
    <section>
      <h2>Live streams</h2>
      <div id="streams"></div>
      <div id="empty">No live stream. Publish one: <code>ffmpeg -re -i in.mp4 -c:v libx264 -c:a aac -f flv rtmp://HOST:1935/live/cam</code></div>
    </section>
    <div class="side">
      <section>
        <h2>Player</h2>
        <video id="player" muted playsinline controls></video>
        <div class="bar"><span id="now">nothing playing</span><span id="latency">latency –</span></div>
        <span id="status">idle</span>
      </section>
    </div>
  </main>
  <section>
    <h2>Clients</h2>
    <div id="clients"><div class="row head"><span title="id">id</span><span title="kind">kind</span><span title="stream">stream</span><span title="address">address</span><span title="connected for">for</span><span title="bytes sent">sent</span><span title="bytes received">received</span><span></span></div></div>
    <div id="clients-note"></div>
    <div id="kick-note"></div>
  </section>
</div>`;

/** The page, served at `/` with `text/html; charset=utf-8`. */
export const DASHBOARD_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>arcly-stream</title>
<style>${STYLE}</style>
</head>
<body>${BODY}
<script src="/_assets/hls.min.js"></script>
<script src="/_assets/mpegts.js"></script>
<script>
"use strict";
const params = new URLSearchParams(location.search);
const token = params.get("token");
const state = { key: null, via: null, player: null, error: null, retries: 0, autoplayed: false,
  latency: null, server: null, api: null };
window.arcly = state;
function withToken(url) {
  if (!token) return url;
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
}
${PLAYER_SCRIPT}
${DATA_SCRIPT}
refresh();
setInterval(refresh, 2000);
if (params.get("play")) play(params.get("play"), params.get("via") || "llhls");
</script>
</body>
</html>
`;
