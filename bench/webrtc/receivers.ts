// WHEP load client for bench/webrtc/run.ts, in its own process: N werift
// receivers of one stream (recvonly video + audio), each POSTing its offer
// to the origin's WHEP endpoint. Prints a {"receivers":…} line every second:
// connected peers, RTP packets received, packets lost (sequence gaps).
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  type RTCRtpTransceiver,
} from "werift";

const codecs = {
  video: [
    new RTCRtpCodecParameters({
      mimeType: "video/H264",
      clockRate: 90000,
      rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
      parameters:
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    }),
  ],
  audio: [
    new RTCRtpCodecParameters({
      mimeType: "audio/opus",
      clockRate: 48000,
      channels: 2,
    }),
  ],
};

const [url, nText] = Deno.args;
const n = Number(nText ?? 10);
const state = { connected: 0, failed: 0, packets: 0, lost: 0, refused: 0 };
const peers: RTCPeerConnection[] = [];

async function viewer(): Promise<void> {
  const pc = new RTCPeerConnection({
    codecs,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
  });
  peers.push(pc);
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const lastSeq = new Map<number, number>();
  pc.onTransceiverAdded.subscribe(() => {});
  const hook = (t: RTCRtpTransceiver) =>
    t.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        state.packets++;
        const prev = lastSeq.get(rtp.header.ssrc);
        if (prev !== undefined) {
          const gap = (rtp.header.sequenceNumber - prev - 1 + 65536) % 65536;
          if (gap > 0 && gap < 1000) state.lost += gap;
        }
        lastSeq.set(rtp.header.ssrc, rtp.header.sequenceNumber);
      });
    });
  for (const t of pc.getTransceivers()) hook(t);
  pc.connectionStateChange.subscribe((s) => {
    if (s === "connected") state.connected++;
    if (s === "failed") state.failed++;
  });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url!, {
    method: "POST",
    headers: { "content-type": "application/sdp" },
    body: pc.localDescription!.sdp,
  });
  const body = await res.text();
  if (res.status !== 201) {
    state.refused++;
    return;
  }
  await pc.setRemoteDescription({ type: "answer", sdp: body });
}

const timer = setInterval(() => {
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ receivers: state }));
}, 1_000);
for (let i = 0; i < n; i++) {
  await viewer().catch(() => state.refused++);
  if (i % 10 === 9) await new Promise((r) => setTimeout(r, 50));
}
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(timer);
  await Promise.all(peers.map((p) => p.close().catch(() => {})));
  Deno.exit(0);
});
