// One page that publishes a canvas over WHIP and plays it back over WHEP:
// the canvas draws (Date.now() - t0) as two rows of 24 black/white bars; the
// player reads the bars back from each decoded frame (requestVideoFrameCallback
// → drawImage → getImageData) and records now - drawn time. Same page, same
// clock: glass-to-glass WHIP → server → WHEP.
export const LATENCY_PAGE =
  `<!doctype html><meta charset="utf-8"><title>latency</title>
<canvas id="src" width="320" height="240"></canvas><video id="out" muted autoplay playsinline></video>
<canvas id="read" width="320" height="240"></canvas>
<script>
const BITS = 24, W = 320, H = 240, BAR = Math.floor(W / BITS);
const t0 = Date.now();
const src = document.getElementById("src").getContext("2d");
function draw() {
  const v = (Date.now() - t0) & 0xffffff;
  for (let i = 0; i < BITS; i++) {
    const bit = (v >> (BITS - 1 - i)) & 1;
    src.fillStyle = bit ? "#fff" : "#000";
    src.fillRect(i * BAR, 0, BAR, H / 2);
    src.fillRect(i * BAR, H / 2, BAR, H / 2);
  }
  requestAnimationFrame(draw);
}
draw();
function read(ctx, row) {
  const y = Math.floor(row * H / 2 + H / 4);
  const data = ctx.getImageData(0, y, W, 1).data;
  let v = 0;
  for (let i = 0; i < BITS; i++) {
    const x = i * BAR + Math.floor(BAR / 2);
    v = (v << 1) | (data[x * 4] > 127 ? 1 : 0);
  }
  return v;
}
window.samples = [];
window.firstFrameMs = null;
async function whip(url) {
  const stream = document.getElementById("src").captureStream(30);
  const pc = new RTCPeerConnection();
  pc.addTransceiver(stream.getVideoTracks()[0], { direction: "sendonly" });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (res.status !== 201) throw new Error("WHIP " + res.status + " " + await res.text());
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  window.whipPc = pc;
}
async function whep(url) {
  const start = performance.now();
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  const video = document.getElementById("out");
  const ms = new MediaStream();
  video.srcObject = ms;
  pc.ontrack = (e) => ms.addTrack(e.track);
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (res.status !== 201) throw new Error("WHEP " + res.status + " " + await res.text());
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  window.whepPc = pc;
  const ctx = document.getElementById("read").getContext("2d", { willReadFrequently: true });
  const onFrame = () => {
    const now = Date.now();
    if (window.firstFrameMs === null) window.firstFrameMs = performance.now() - start;
    ctx.drawImage(video, 0, 0, W, H);
    const a = read(ctx, 0), b = read(ctx, 1);
    if (a === b) {
      const sent = t0 + a;
      const latency = now - sent;
      if (latency >= 0 && latency < 10000) window.samples.push(latency);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}
window.whip = whip;
window.whep = whep;
</script>`;
