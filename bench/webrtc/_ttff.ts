// Time to first frame of a new WHEP viewer in Chromium, for
// bench/webrtc/run.ts: the page creates a recvonly offer, waits for ICE
// gathering, POSTs it (t = 0), applies the answer and records the first
// requestVideoFrameCallback after the POST. The breakdown, all from the
// POST: `answered` (201 received), `ice` (iceConnectionState connected),
// `dtls` (connectionState connected: DTLS done), `firstPacket` (the video
// receiver's first RTP packet, from getStats), `firstFrame`.
import { launchChromium } from "../../tests/_browser.ts";

const PAGE = `<!doctype html><meta charset="utf-8"><title>ttff</title><script>
window.ttff = async (url) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.append(video);
  const ms = new MediaStream();
  video.srcObject = ms;
  pc.ontrack = (e) => ms.addTrack(e.track);
  await pc.setLocalDescription(await pc.createOffer());
  const g0 = performance.now();
  while (pc.iceGatheringState !== "complete" && performance.now() - g0 < 2000) await new Promise((r) => setTimeout(r, 10));
  const t0 = performance.now();
  const marks = {};
  const mark = (k) => { if (marks[k] === undefined) marks[k] = Math.round(performance.now() - t0); };
  pc.oniceconnectionstatechange = () => { if (pc.iceConnectionState === "connected" || pc.iceConnectionState === "completed") mark("ice"); };
  pc.onconnectionstatechange = () => { if (pc.connectionState === "connected") mark("dtls"); };
  let polling = true;
  (async () => {
    while (polling) {
      (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video" && s.packetsReceived > 0) mark("firstPacket"); });
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const first = new Promise((resolve) => video.requestVideoFrameCallback(() => resolve(performance.now() - t0)));
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: pc.localDescription.sdp });
  if (res.status !== 201) return { error: res.status + " " + await res.text() };
  const answered = performance.now() - t0;
  await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
  const ms1 = await Promise.race([first, new Promise((r) => setTimeout(() => r(null), 10000))]);
  polling = false;
  let connected = null;
  (await pc.getStats()).forEach((s) => { if (s.type === "transport") connected = s.dtlsState; });
  pc.close(); video.remove();
  return { answered: Math.round(answered), ...marks, firstFrame: ms1 === null ? null : Math.round(ms1), dtlsState: connected };
};
</script>`;

/** Result of one new viewer. */
export interface TtffSample {
  answered?: number;
  ice?: number;
  dtls?: number;
  firstPacket?: number;
  firstFrame?: number | null;
  error?: string;
}

/** `count` new viewers, one after the other, each in a fresh page. */
export async function measureTtff(
  whepUrl: string,
  count: number,
): Promise<TtffSample[]> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(PAGE, { headers: { "content-type": "text/html" } }),
  );
  const out: TtffSample[] = [];
  try {
    await using browser = await launchChromium();
    for (let i = 0; i < count; i++) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.addr.port}/`);
      out.push(
        await page.evaluate(
          (u) =>
            (globalThis as unknown as {
              ttff(u: string): Promise<TtffSample>;
            }).ttff(u),
          whepUrl,
        ),
      );
      await page.close();
    }
  } finally {
    await server.shutdown();
  }
  return out;
}
