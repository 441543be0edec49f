// RTP payload-format throughput: packetize and depacketize a 60-frame H.264
// GOP stream (libx264, 160x120, B-frames; ~47 KB per pass) at MTU 1200, a
// 1.5 Mbit/s-sized synthetic H.264 IDR+P stream, AAC and Opus.
// Run: deno bench --allow-read bench/rtp_bench.ts
// Bytes per iteration are printed by the group names, so MB/s = bytes / time.
import {
  createDepacketizer,
  createPacketizer,
  parseRtpPacket,
} from "../media/rtp/mod.ts";
import type { MediaFrame } from "../media/frame.ts";
import {
  aacFrames,
  h264Frames,
  opusFrames,
} from "../tests/media/rtp/_fixtures.ts";

const h264 = h264Frames();
const h264Bytes = h264.reduce((n, f) => n + f.data.length, 0);

// 1.5 Mbit/s at 30 fps ≈ 6250 bytes per frame: one 50 KB IDR then 29 × 5 KB P frames
function syntheticGop(): MediaFrame[] {
  const out: MediaFrame[] = [h264[0]!];
  for (let i = 0; i < 30; i++) {
    const size = i === 0 ? 50_000 : 5_000;
    const nal = new Uint8Array(size).fill(0x5a);
    nal[0] = i === 0 ? 0x65 : 0x41;
    const data = new Uint8Array(4 + size);
    new DataView(data.buffer).setUint32(0, size);
    data.set(nal, 4);
    out.push({
      ...h264[1]!,
      pts: 3000 * i,
      dts: 3000 * i,
      keyframe: i === 0,
      data,
    });
  }
  return out;
}
const synthetic = syntheticGop();
const syntheticBytes = synthetic.reduce((n, f) => n + f.data.length, 0);

function packetsOf(
  codec: "h264" | "aac" | "opus",
  frames: MediaFrame[],
  clockRate?: number,
): Uint8Array[] {
  const p = createPacketizer(codec, {
    payloadType: 96,
    ...(clockRate ? { clockRate } : {}),
  });
  return frames.flatMap((f) => p.packetize(f));
}

const h264Packets = packetsOf("h264", h264);
const syntheticPackets = packetsOf("h264", synthetic);
const aac = aacFrames();
const aacPackets = packetsOf("aac", aac, 44100);
const opus = opusFrames(500);
const opusPackets = packetsOf("opus", opus);

Deno.bench(
  `rtp packetize H.264 x264 GOP (${h264Bytes} B, ${h264Packets.length} packets)`,
  { group: "packetize" },
  () => {
    const p = createPacketizer("h264", { payloadType: 96 });
    for (const f of h264) p.packetize(f);
  },
);

Deno.bench(
  `rtp packetize H.264 1.5 Mbit/s-sized 1 s GOP (${syntheticBytes} B, ${syntheticPackets.length} packets)`,
  { group: "packetize" },
  () => {
    const p = createPacketizer("h264", { payloadType: 96 });
    for (const f of synthetic) p.packetize(f);
  },
);

Deno.bench(
  `rtp packetize AAC (${aac.length - 1} AUs)`,
  { group: "packetize" },
  () => {
    const p = createPacketizer("aac", { payloadType: 97, clockRate: 44100 });
    for (const f of aac) p.packetize(f);
  },
);

Deno.bench(`rtp packetize Opus (${opus.length - 1} packets)`, {
  group: "packetize",
}, () => {
  const p = createPacketizer("opus", { payloadType: 111 });
  for (const f of opus) p.packetize(f);
});

Deno.bench(
  `rtp parse+depacketize H.264 x264 GOP (${h264Bytes} B, ${h264Packets.length} packets)`,
  { group: "depacketize" },
  () => {
    const d = createDepacketizer({
      encodingName: "H264",
      clockRate: 90000,
      fmtp: {},
    });
    for (const b of h264Packets) d.push(parseRtpPacket(b));
  },
);

Deno.bench(
  `rtp parse+depacketize H.264 1.5 Mbit/s-sized 1 s GOP (${syntheticBytes} B, ${syntheticPackets.length} packets)`,
  { group: "depacketize" },
  () => {
    const d = createDepacketizer({
      encodingName: "H264",
      clockRate: 90000,
      fmtp: {},
    });
    for (const b of syntheticPackets) d.push(parseRtpPacket(b));
  },
);

Deno.bench(`rtp parse+depacketize AAC (${aacPackets.length} packets)`, {
  group: "depacketize",
}, () => {
  const d = createDepacketizer({
    encodingName: "MPEG4-GENERIC",
    clockRate: 44100,
    fmtp: { config: "1210" },
  });
  for (const b of aacPackets) d.push(parseRtpPacket(b));
});

Deno.bench(`rtp parse+depacketize Opus (${opusPackets.length} packets)`, {
  group: "depacketize",
}, () => {
  const d = createDepacketizer({
    encodingName: "OPUS",
    clockRate: 48000,
    channels: 2,
    fmtp: {},
  });
  for (const b of opusPackets) d.push(parseRtpPacket(b));
});
