// RTMP → WHEP capture-to-display latency: ffmpeg draws the wall clock
// (milliseconds, low 24 bits) as 24 black/white bars into each frame when
// the frame is made (setpts=RTCTIME), encodes it (x264, zerolatency) and
// publishes over RTMP; a Chromium page plays it over WHEP and reads the bars
// from every decoded frame (requestVideoFrameCallback → canvas), latency =
// Date.now() − the drawn time. Same machine, same clock. It includes the
// encoder, so it bounds "first byte to display" from above.

/** ffmpeg args: a 320x240, 30 fps H.264 stream of clock bars to `url`. */
export function clockBarsArgs(url: string, seconds: number): string[] {
  const bits = Array.from(
    { length: 24 },
    (_, i) =>
      `drawbox=x=${i * 13}:y=0:w=13:h=240:color=white:t=fill:` +
      `enable='mod(floor(mod(floor(t*1000)\\,16777216)/${2 ** (23 - i)})\\,2)'`,
  );
  return [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "color=c=black:s=320x240:r=30"],
    ...["-t", String(seconds)],
    "-vf",
    [
      "settb=expr=1/1000000",
      "setpts=RTCTIME",
      ...bits,
      "setpts=PTS-STARTPTS",
    ].join(","),
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
    ...["-g", "30", "-bf", "0", "-b:v", "1000k", "-pix_fmt", "yuv420p"],
    ...["-f", "flv", url],
  ];
}

/** The page: `window.play(url)` starts a WHEP viewer and collects samples. */
export const CLOCK_BARS_PAGE =
  `<!doctype html><meta charset="utf-8"><title>rtmp latency</title>
<video id="v" muted autoplay playsinline></video><canvas id="c" width="320" height="240"></canvas>
<script>
window.samples = [];
window.firstFrameMs = null;
function read(data, y) {
  let v = 0;
  for (let i = 0; i < 24; i++) {
    const x = i * 13 + 6;
    v = (v * 2) + (data[(y * 320 + x) * 4] > 127 ? 1 : 0);
  }
  return v;
}
window.play = async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  const video = document.getElementById("v");
  const ms = new MediaStream();
  video.srcObject = ms;
  pc.ontrack = (e) => ms.addTrack(e.track);
  await pc.setLocalDescription(await pc.createOffer());
  const t0 = performance.now();
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (res.status !== 201) throw new Error("WHEP " + res.status + " " + await res.text());
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  window.pc = pc;
  const ctx = document.getElementById("c").getContext("2d", { willReadFrequently: true });
  const onFrame = () => {
    const now = Date.now();
    if (window.firstFrameMs === null) window.firstFrameMs = performance.now() - t0;
    ctx.drawImage(video, 0, 0, 320, 240);
    const data = ctx.getImageData(0, 0, 320, 240).data;
    const a = read(data, 60), b = read(data, 180);
    if (a === b) {
      const latency = ((now % 16777216) - a + 16777216) % 16777216;
      if (latency < 10000) window.samples.push(latency);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
};
</script>`;
