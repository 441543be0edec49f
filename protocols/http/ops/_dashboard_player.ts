/**
 * The dashboard's player script (browser JavaScript, inlined into the page by
 * `_dashboard_page.ts`): one `<video id="player">` that plays a stream by any
 * browser-playable output, and a latency readout.
 *
 * | via     | how                                              | latency readout                         |
 * |---------|--------------------------------------------------|-----------------------------------------|
 * | `hls`   | hls.js, `/{app}/{name}/index.m3u8`               | hls.js `latency` (to the live edge)     |
 * | `llhls` | hls.js with `lowLatencyMode` (parts, blocking reload) | hls.js `latency`                   |
 * | `flv`   | mpegts.js, `/{app}/{name}.flv`                   | buffered end − currentTime              |
 * | `ws`    | mpegts.js, `ws://…/{app}/{name}.flv`             | buffered end − currentTime              |
 * | `whep`  | `RTCPeerConnection` (recvonly), `POST /{app}/{name}/whep`, `DELETE` of the `Location` on stop | inbound-rtp jitterBufferDelay / jitterBufferEmittedCount + candidate-pair RTT / 2 |
 *
 * State is on `window.arcly` (`key`, `via`, `player`, `error`, `latency` in
 * seconds) so end-to-end tests can read it. A failed player is retried a few
 * times (a stream that just started may have no segment yet, a publisher may
 * reconnect). Nothing here writes HTML: text only.
 *
 * @module
 */

/** The script (no backticks or `${` inside: it is a template literal). */
export const PLAYER_SCRIPT: string = String.raw`
const video = document.getElementById("player");
const MAX_RETRIES = 10;
const VIA_NAMES = { hls: "HLS (hls.js)", llhls: "LL-HLS (hls.js)", flv: "HTTP-FLV (mpegts.js)",
  ws: "WebSocket-FLV (mpegts.js)", whep: "WebRTC (WHEP)" };
function playerStatus(text) { document.getElementById("status").textContent = text; }
function streamPath(key) { return "/" + key.split("/").map(encodeURIComponent).join("/"); }
function retry(p, key, via, why) {
  state.error = why; playerStatus(why);
  if (state.player !== p || state.retries >= MAX_RETRIES) return;
  state.retries++;
  setTimeout(() => { if (state.player === p) play(key, via, true); }, 1500);
}
function stop() {
  const p = state.player;
  state.player = null; state.latency = null;
  if (p) { try { p.destroy(); } catch (_) { /* already gone */ } }
  video.srcObject = null;
  video.removeAttribute("src");
  video.load();
  document.getElementById("latency").textContent = "latency –";
}
function playFlv(key, via) {
  if (!window.mpegts || !mpegts.isSupported()) { state.error = "mpegts.js unavailable"; playerStatus(state.error); return; }
  const url = new URL(withToken(streamPath(key) + ".flv"), location.href);
  if (via === "ws") url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const p = mpegts.createPlayer({ type: "flv", isLive: true, url: url.href },
    { enableWorker: false, lazyLoad: false, liveBufferLatencyChasing: true,
      liveBufferLatencyMaxLatency: 0.8, liveBufferLatencyMinRemain: 0.2 });
  p.on(mpegts.Events.ERROR, (type, detail) => retry(p, key, via, type + ": " + detail));
  p.attachMediaElement(video); p.load(); p.play();
  state.player = p;
}
function playHls(key, via) {
  const url = withToken(streamPath(key) + "/index.m3u8");
  if (window.Hls && Hls.isSupported()) {
    const p = new Hls({ lowLatencyMode: via === "llhls", backBufferLength: 30, maxLiveSyncPlaybackRate: 1.5 });
    p.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) retry(p, key, via, d.type + ": " + d.details); });
    p.loadSource(url); p.attachMedia(video);
    state.player = p;
    // hls.js starts on an independent part that can sit seconds behind the
    // live edge and only speeds up when already close: jump to live once the
    // edge is buffered.
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
// WHEP (RFC 9725): a recvonly offer with every ICE candidate in it, POSTed as
// application/sdp; the answer comes back in the 201 with the session's
// Location, which is DELETEd when the player stops.
function playWhep(key, via) {
  if (!window.RTCPeerConnection) { state.error = "WebRTC unavailable in this browser"; playerStatus(state.error); return; }
  const pc = new RTCPeerConnection();
  const media = new MediaStream();
  const p = { pc, resource: null, closed: false, last: null,
    destroy() {
      this.closed = true; pc.close();
      if (this.resource) fetch(this.resource, { method: "DELETE" }).catch(() => {});
    } };
  state.player = p;
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  pc.ontrack = (e) => {
    media.addTrack(e.track);
    if (video.srcObject !== media) video.srcObject = media;
    video.play().catch(() => {});
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === "failed" && !p.closed) retry(p, key, via, "WHEP: ICE/DTLS failed");
  };
  (async () => {
    await pc.setLocalDescription(await pc.createOffer());
    const t0 = performance.now();
    while (pc.iceGatheringState !== "complete" && performance.now() - t0 < 2000) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const res = await fetch(withToken(streamPath(key) + "/whep"),
      { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
    const body = await res.text();
    if (res.status !== 201) throw new Error("WHEP " + res.status + ": " + body.slice(0, 200));
    const loc = res.headers.get("location");
    if (loc) p.resource = new URL(loc, location.href).href;
    if (p.closed) { p.destroy(); return; }
    await pc.setRemoteDescription({ type: "answer", sdp: body });
  })().catch((e) => { if (!p.closed) retry(p, key, via, String(e && e.message || e)); });
}
function play(key, via, retrying) {
  stop();
  if (!VIA_NAMES[via]) via = "llhls";
  if (!retrying) state.retries = 0;
  state.key = key; state.via = via; state.error = null;
  if (via === "flv" || via === "ws") playFlv(key, via);
  else if (via === "whep") playWhep(key, via);
  else playHls(key, via);
  document.getElementById("now").textContent = key + " · " + VIA_NAMES[via];
  document.getElementById("now").title = key + " via " + VIA_NAMES[via];
  if (!retrying) playerStatus("playing " + key + " via " + VIA_NAMES[via]);
}
async function measureLatency() {
  const p = state.player;
  if (!p) return null;
  if (state.via === "flv" || state.via === "ws") {
    const b = video.buffered;
    return b.length ? Math.max(0, b.end(b.length - 1) - video.currentTime) : null;
  }
  if (state.via === "whep") {
    // Jitter buffer delay (over the last interval) plus half the round trip.
    let delay = null, rtt = 0;
    const stats = await p.pc.getStats();
    stats.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") rtt = s.currentRoundTripTime || 0;
    });
    stats.forEach((s) => {
      if (s.type !== "inbound-rtp" || s.kind !== "video") return;
      const now = { d: s.jitterBufferDelay || 0, n: s.jitterBufferEmittedCount || 0 };
      const last = p.last;
      if (last && now.n > last.n) delay = (now.d - last.d) / (now.n - last.n);
      else if (now.n > 0) delay = now.d / now.n;
      p.last = now;
    });
    return delay === null ? null : delay + rtt / 2;
  }
  return typeof p.latency === "number" && p.latency > 0 ? p.latency : null;
}
const LATENCY_KINDS = { flv: "buffer", ws: "buffer", whep: "jitter buffer + RTT/2", hls: "to live edge", llhls: "to live edge" };
setInterval(async () => {
  const p = state.player;
  const value = await measureLatency().catch(() => null);
  if (state.player !== p) return;
  state.latency = value;
  const readout = document.getElementById("latency");
  readout.textContent = value === null ? "latency –"
    : "latency " + value.toFixed(2) + " s (" + LATENCY_KINDS[state.via] + ")";
  readout.title = readout.textContent;
}, 500);
`;
