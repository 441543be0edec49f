/**
 * The dashboard's data script (browser JavaScript, inlined into the page by
 * `_dashboard_page.ts`): polls the control API every two seconds and renders
 * the server summary, one card per stream and the client list.
 *
 * Reads `GET /api/v1/server`, `/api/v1/streams` and `/api/v1/clients` (the
 * control API contract); when `/api/v1/streams` is not served it falls back
 * to the legacy `GET /api/streams` (no server summary, no clients). Kicks
 * with `DELETE /api/v1/clients/{id}` and `Authorization: Bearer`, the admin
 * token asked once and kept in `sessionStorage`.
 *
 * Memory in the page is bounded: each graph keeps the last `HISTORY`
 * samples; cards of ended streams are removed with their history. Stream
 * data is written with `textContent` and attributes, never as HTML.
 *
 * @module
 */

/** The script (no backticks or `${` inside: it is a template literal). */
export const DATA_SCRIPT: string = String.raw`
const HISTORY = 90; // samples per graph: 3 minutes at one poll per 2 s
const TOKEN_KEY = "arcly.apiToken";
const cards = new Map(); // key -> { root, parts…, hist }
const serverHist = { inBps: [], outBps: [], cpu: [], rss: [] };
let lastUrlSig = "";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function push(list, value) { list.push(value); if (list.length > HISTORY) list.shift(); }
function fmtBitrate(bps) {
  if (!bps) return "0 kb/s";
  return bps >= 1e6 ? (bps / 1e6).toFixed(2) + " Mb/s" : Math.round(bps / 1e3) + " kb/s";
}
function fmtBytes(n) {
  if (!(n >= 0)) return "–";
  if (n >= 1073741824) return (n / 1073741824).toFixed(2) + " GiB";
  if (n >= 1048576) return (n / 1048576).toFixed(1) + " MiB";
  if (n >= 1024) return Math.round(n / 1024) + " KiB";
  return n + " B";
}
function fmtUptime(s) {
  s = Math.floor(s || 0);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
  return (d ? d + "d " : "") + (d || h ? h + "h" : "") + String(m).padStart(d || h ? 2 : 1, "0") + "m" +
    String(sec).padStart(2, "0") + "s";
}
// A line graph of one or more series (same scale), newest sample at the right.
function graph(canvas, series, colors) {
  const w = canvas.clientWidth, h = canvas.clientHeight, r = window.devicePixelRatio || 1;
  if (!w || !h) return;
  if (canvas.width !== Math.round(w * r)) canvas.width = Math.round(w * r);
  if (canvas.height !== Math.round(h * r)) canvas.height = Math.round(h * r);
  const g = canvas.getContext("2d");
  g.setTransform(r, 0, 0, r, 0, 0);
  g.clearRect(0, 0, w, h);
  let max = 1, len = 2;
  for (const s of series) len = Math.max(len, s.length);
  // The first samples fill the graph, later ones compress it up to HISTORY.
  const step = w / (Math.max(len, 12) - 1);
  for (const s of series) for (const v of s) if (v > max) max = v;
  series.forEach((s, i) => {
    if (s.length < 2) return;
    g.strokeStyle = colors[i]; g.lineWidth = 1.5; g.beginPath();
    s.forEach((v, j) => {
      const x = w - (s.length - 1 - j) * step, y = h - 2 - (v / max) * (h - 4);
      if (j === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  });
}
async function getJson(path) {
  const res = await fetch(withToken(path), { cache: "no-store" });
  if (!res.ok) throw new Error(path + ": HTTP " + res.status);
  return res.json();
}
// The legacy /api/streams entry in the v1 shape.
function fromLegacy(s) {
  return { key: s.key, app: s.app, name: s.name, uptime: s.uptimeSeconds, publisher: null,
    video: s.video, audio: s.audio, bitrate: s.bitrate,
    viewers: { total: s.subscribers, byProtocol: {} }, derived: [] };
}

// ---- server summary
function setStat(id, value, sub) {
  const box = document.getElementById(id);
  const big = box.querySelector(".v");
  big.textContent = value; big.title = value;
  const small = box.querySelector(".s");
  small.textContent = sub || ""; small.title = sub || "";
}
function renderServer(server, streams, legacyRefused) {
  const viewers = streams.reduce((n, s) => n + (s.viewers ? s.viewers.total : 0), 0);
  setStat("st-streams", String(streams.length), viewers + " viewer" + (viewers === 1 ? "" : "s"));
  if (!server) {
    document.getElementById("version").textContent = state.api === "legacy" ? "(legacy API)" : "";
    setStat("st-uptime", "–", "");
    setStat("st-cpu", "–", ""); setStat("st-mem", "–", "");
    setStat("st-bw", "–", "/api/v1/server not served");
    setStat("st-conn", "–", typeof legacyRefused === "number" ? legacyRefused + " refused" : "");
    document.getElementById("st-conn").classList.toggle("warn", legacyRefused > 0);
    return;
  }
  document.getElementById("version").textContent = "v" + server.version;
  const since = new Date(server.startedAt);
  setStat("st-uptime", fmtUptime(server.uptime), "since " +
    (Date.now() - since.getTime() < 86400000 ? since.toLocaleTimeString() : since.toLocaleString()));
  push(serverHist.cpu, server.cpu.percent);
  push(serverHist.rss, server.memory.rss);
  push(serverHist.inBps, server.bandwidth.inBitsPerSecond);
  push(serverHist.outBps, server.bandwidth.outBitsPerSecond);
  setStat("st-cpu", server.cpu.percent.toFixed(1) + " %", "of one core");
  setStat("st-mem", fmtBytes(server.memory.rss), "heap " + fmtBytes(server.memory.heapUsed));
  setStat("st-bw", "↓ " + fmtBitrate(server.bandwidth.inBitsPerSecond) + "  ↑ " +
    fmtBitrate(server.bandwidth.outBitsPerSecond), "in (blue) / out (green)");
  const c = server.connections;
  setStat("st-conn", c.current + " / " + c.limit, c.refused + " refused" + (c.refused ? " (limit reached)" : ""));
  document.getElementById("st-conn").classList.toggle("warn", c.refused > 0);
  graph(document.getElementById("g-cpu"), [serverHist.cpu], ["#f0b429"]);
  graph(document.getElementById("g-mem"), [serverHist.rss], ["#b78cff"]);
  graph(document.getElementById("g-bw"), [serverHist.inBps, serverHist.outBps], ["#4f9dff", "#3ccf7a"]);
}

// ---- URLs of a stream, from server.endpoints (or this page's origin)
function hostOf(endpoint) {
  // A wildcard bind (reported as localhost by the CLI) is not an address a
  // client elsewhere can use: the host this page was loaded from is.
  // (location.hostname keeps an IPv6 address's brackets.)
  return endpoint.replace(/\/\/(0\.0\.0\.0|\[::\]|::|localhost)(?=[:/]|$)/, "//" + location.hostname);
}
function streamUrls(s, server) {
  const ep = (server && server.endpoints) || { http: location.origin, webrtc: false };
  // A derived stream (transcoder output, live/cam~480p) is played, never published.
  const derived = s.name.includes("~");
  const path = streamPath(s.key);
  const web = ep.http ? hostOf(ep.http) : location.origin;
  const ws = web.replace(/^http/, "ws");
  const out = [];
  const add = (kind, label, url) => { if (kind === "play" || !derived) out.push({ kind, label, url }); };
  if (ep.rtmp) add("publish", "RTMP", hostOf(ep.rtmp) + path);
  if (ep.rtmps) add("publish", "RTMPS", hostOf(ep.rtmps) + path);
  if (ep.srt) add("publish", "SRT", hostOf(ep.srt) + "?streamid=publish:" + s.key);
  if (ep.rtsp) add("publish", "RTSP", hostOf(ep.rtsp) + path);
  if (ep.rtsps) add("publish", "RTSPS", hostOf(ep.rtsps) + path);
  if (ep.webrtc) add("publish", "WHIP", web + path + "/whip");
  // With an ABR ladder (renditions app/name~480p…) index.m3u8 is the multivariant playlist.
  const abr = (s.derived || []).some((d) => /~\d+p$/.test(d));
  add("play", abr ? "HLS · LL-HLS · ABR" : "HLS · LL-HLS", withToken(web + path + "/index.m3u8"));
  add("play", "HTTP-FLV", withToken(web + path + ".flv"));
  add("play", "WS-FLV", withToken(ws + path + ".flv"));
  if (ep.rtmp) add("play", "RTMP", hostOf(ep.rtmp) + path);
  if (ep.srt) add("play", "SRT", hostOf(ep.srt) + "?streamid=read:" + s.key);
  if (ep.rtsp) add("play", "RTSP", hostOf(ep.rtsp) + path);
  if (ep.webrtc) add("play", "WHEP", web + path + "/whep");
  return out;
}
async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (_) {
    const area = el("textarea"); area.value = text; document.body.appendChild(area);
    area.select(); document.execCommand("copy"); area.remove();
  }
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = "Copy"; }, 1200);
}
function renderUrls(card, s, server) {
  const urls = streamUrls(s, server);
  const sig = JSON.stringify(urls);
  if (card.urlSig === sig) return;
  card.urlSig = sig;
  card.urls.replaceChildren();
  for (const u of urls) {
    const row = el("div", "url");
    row.appendChild(el("span", "k " + u.kind, u.kind + " " + u.label));
    const code = el("code", "", u.url); code.title = u.url;
    row.appendChild(code);
    const b = el("button", "copy", "Copy");
    b.type = "button"; b.title = "Copy " + u.url;
    b.addEventListener("click", () => copyText(u.url, b));
    row.appendChild(b);
    card.urls.appendChild(row);
  }
}

// ---- stream cards
const PLAY_BUTTONS = [["hls", "HLS"], ["llhls", "LL-HLS"], ["flv", "HTTP-FLV"], ["ws", "WS-FLV"], ["whep", "WHEP"]];
function createCard(s) {
  const root = el("article", "stream"); root.dataset.key = s.key;
  const thumb = el("div", "thumb");
  const img = el("img"); img.alt = "thumbnail of " + s.key; img.hidden = true;
  const ph = el("div", "ph", "no picture yet");
  thumb.append(img, ph);
  const body = el("div", "body");
  const title = el("div", "title");
  const key = el("span", "key", s.key); key.title = s.key;
  const live = el("span", "live");
  const pub = el("span", "pub");
  title.append(key, live, pub);
  const meta = el("div", "meta");
  const sparks = el("div", "sparks");
  const mk = (label) => {
    const f = el("figure"); const cap = el("figcaption"); const c = el("canvas");
    cap.append(el("span", "", label), el("b")); f.append(cap, c); sparks.appendChild(f); return f;
  };
  const fBitrate = mk("bitrate"), fViewers = mk("viewers");
  const viewers = el("div", "chips");
  const buttons = el("div", "buttons");
  for (const [via, label] of PLAY_BUTTONS) {
    const b = el("button", "", label);
    b.type = "button"; b.dataset.via = via; b.title = "Play " + s.key + " via " + label;
    b.addEventListener("click", () => play(s.key, via));
    buttons.appendChild(b);
  }
  const details = el("details", "urls");
  details.appendChild(el("summary", "", "Publish and play URLs"));
  const urls = el("div", "urlgrid");
  details.appendChild(urls);
  body.append(title, meta, sparks, viewers, buttons, details);
  root.append(thumb, body);
  const card = { root, img, ph, live, pub, meta, viewers, urls, fBitrate, fViewers, urlSig: "",
    thumbAt: 0, hist: { bitrate: [], viewers: [] } };
  return card;
}
function updateCard(card, s, server) {
  card.live.textContent = "live " + fmtUptime(s.uptime);
  card.pub.textContent = s.name.includes("~") ? "derived" : s.publisher ? "via " + s.publisher.protocol : "";
  card.pub.title = s.publisher && s.publisher.remoteAddr ? "publisher " + s.publisher.remoteAddr : "";
  const v = s.video, a = s.audio, parts = [];
  if (v) parts.push(v.codec + (v.width ? " " + v.width + "×" + v.height : "") + (v.fps ? " " + Number(v.fps).toFixed(1) + " fps" : ""));
  if (a) parts.push(a.codec + (a.sampleRate ? " " + a.sampleRate / 1000 + " kHz" : "") + (a.channels ? " " + a.channels + " ch" : ""));
  card.meta.textContent = parts.join(" · ") || "no media yet";
  card.ph.textContent = v ? "no picture yet" : a ? "audio only" : "no media yet";
  card.meta.title = [v && v.codecString, a && a.codecString].filter(Boolean).join(", ");
  push(card.hist.bitrate, s.bitrate || 0);
  push(card.hist.viewers, s.viewers ? s.viewers.total : 0);
  card.fBitrate.querySelector("b").textContent = fmtBitrate(s.bitrate);
  card.fViewers.querySelector("b").textContent = String(s.viewers ? s.viewers.total : 0);
  graph(card.fBitrate.querySelector("canvas"), [card.hist.bitrate], ["#4f9dff"]);
  graph(card.fViewers.querySelector("canvas"), [card.hist.viewers], ["#3ccf7a"]);
  card.viewers.replaceChildren();
  const by = (s.viewers && s.viewers.byProtocol) || {};
  const names = Object.keys(by).filter((p) => by[p] > 0);
  if (names.length === 0) card.viewers.appendChild(el("span", "chip dim", "no viewers"));
  for (const p of names) card.viewers.appendChild(el("span", "chip", p + " " + by[p]));
  renderUrls(card, s, server);
}
// The transcoder's thumbnails (404/503 without one: the placeholder stays),
// one request per poll, for the card that waited longest: the server makes
// a few at a time, and synchronized requests would starve the same cards.
function nextThumbnail() {
  const now = Date.now();
  let pick = null;
  for (const [key, card] of cards) {
    const due = card.thumbAt + (card.img.hidden ? 4000 : 10000);
    if (card.thumbLoading) continue;
    if (now >= due && (pick === null || card.thumbAt < pick[1].thumbAt)) pick = [key, card];
  }
  if (pick === null) return;
  const [key, card] = pick;
  card.thumbAt = now;
  const url = withToken(streamPath(key) + "/thumbnail.jpg");
  // Loaded aside first: a failed refresh keeps the last good picture.
  const probe = new Image();
  card.thumbLoading = true;
  probe.onload = () => {
    card.thumbLoading = false;
    card.img.src = probe.src; card.img.hidden = false; card.ph.hidden = true;
  };
  probe.onerror = () => { card.thumbLoading = false; };
  probe.src = url + (url.includes("?") ? "&" : "?") + "t=" + now;
}
function renderStreams(streams, server) {
  const list = document.getElementById("streams");
  const seen = new Set();
  for (const s of streams) {
    seen.add(s.key);
    let card = cards.get(s.key);
    if (!card) { card = createCard(s); cards.set(s.key, card); }
    list.appendChild(card.root); // keeps the API's order
    updateCard(card, s, server);
  }
  for (const [key, card] of cards) if (!seen.has(key)) { card.root.remove(); cards.delete(key); }
  nextThumbnail();
  document.getElementById("empty").hidden = streams.length > 0;
}

// ---- clients
// Rows are kept by client id and updated in place (a row rebuilt under the
// pointer would swallow a click on its Kick button); at most MAX_CLIENT_ROWS
// are shown, publishers first.
const MAX_CLIENT_ROWS = 200;
const clientRows = new Map();
function clientRow(c) {
  const row = el("div", "row"); row.dataset.id = c.id;
  const cells = [];
  for (let i = 0; i < 7; i++) cells.push(row.appendChild(el("span")));
  const b = el("button", "kick", "Kick"); b.type = "button"; b.title = "Disconnect " + c.id;
  b.addEventListener("click", () => kick(c.id));
  row.appendChild(b);
  return { row, cells };
}
function renderClients(clients) {
  const box = document.getElementById("clients");
  const note = document.getElementById("clients-note");
  if (clients === null) {
    for (const r of clientRows.values()) r.row.remove();
    clientRows.clear();
    note.textContent = "The client list needs /api/v1/clients (not served by this origin).";
    return;
  }
  const sorted = clients.slice().sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "publisher" ? -1 : 1));
  const shown = sorted.slice(0, MAX_CLIENT_ROWS);
  note.textContent = clients.length === 0 ? "No client connected."
    : clients.length > shown.length ? "Showing " + shown.length + " of " + clients.length + " clients." : "";
  const now = Date.now(), keep = new Set();
  for (const c of shown) {
    keep.add(c.id);
    let r = clientRows.get(c.id);
    if (!r) { r = clientRow(c); clientRows.set(c.id, r); }
    const texts = [c.id, c.kind + " " + c.protocol, c.stream, c.remoteAddr || "–",
      fmtUptime((now - Date.parse(c.startedAt)) / 1000), fmtBytes(c.bytesSent), fmtBytes(c.bytesReceived)];
    texts.forEach((text, i) => {
      if (r.cells[i].textContent !== text) { r.cells[i].textContent = text; r.cells[i].title = text; }
    });
    box.appendChild(r.row); // in list order (moving a row keeps its listeners)
  }
  for (const [id, r] of clientRows) if (!keep.has(id)) { r.row.remove(); clientRows.delete(id); }
}
async function kick(id) {
  const note = document.getElementById("kick-note");
  let admin = sessionStorage.getItem(TOKEN_KEY);
  if (!admin) {
    admin = window.prompt("Admin API token (the origin's --api-token) to disconnect clients:");
    if (!admin) return;
    sessionStorage.setItem(TOKEN_KEY, admin);
  }
  const res = await fetch("/api/v1/clients/" + encodeURIComponent(id),
    { method: "DELETE", headers: { Authorization: "Bearer " + admin } }).catch(() => null);
  if (!res) { note.textContent = "Cannot disconnect " + id + ": server unreachable"; return; }
  if (res.status === 401 || res.status === 403) sessionStorage.removeItem(TOKEN_KEY);
  if (res.ok) note.textContent = "Disconnected " + id + ".";
  else {
    const body = await res.json().catch(() => null);
    note.textContent = (body && body.error && body.error.message) || "Cannot disconnect " + id + ": HTTP " + res.status;
  }
  refresh();
}

// ---- polling
async function refresh() {
  let streams, server = null, clients = null, legacyRefused;
  try {
    const [srv, st, cl] = await Promise.allSettled(
      [getJson("/api/v1/server"), getJson("/api/v1/streams"), getJson("/api/v1/clients")]);
    if (st.status === "fulfilled") { streams = st.value.streams; state.api = "v1"; }
    else {
      const legacy = await getJson("/api/streams");
      streams = legacy.streams.map(fromLegacy); legacyRefused = legacy.refusedConnections; state.api = "legacy";
    }
    if (srv.status === "fulfilled") server = srv.value;
    if (cl.status === "fulfilled") clients = cl.value.clients;
  } catch (_) {
    document.getElementById("summary").textContent = "server unreachable";
    return;
  }
  state.server = server;
  document.getElementById("summary").textContent = "updated " + new Date().toLocaleTimeString();
  renderServer(server, streams, legacyRefused);
  renderStreams(streams, server);
  renderClients(clients);
  // What a new user sees first: the first live stream plays at once (muted autoplay).
  if (!state.key && !state.autoplayed && !params.get("play") && streams.length) {
    state.autoplayed = true;
    play(streams[0].key, "llhls");
  }
}
`;
