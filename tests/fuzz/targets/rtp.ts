// RTP/RTCP/SDP targets: parseRtpPacket (+ serialize of what it parsed),
// parseRtcp, parseSdp (+ rtpFormatOf), the reorder buffer, and every
// depacketizer fed a mutated stream of real packets (our packetizers' output
// for the codec fixtures), framed as [u16 length][packet]… so mutations hit
// headers, payload descriptors, fragment flags, sequence numbers and sizes.
import {
  createDepacketizer,
  createPacketizer,
  parseRtcp,
  parseRtpPacket,
  type RtpFormat,
  RtpReorderBuffer,
  serializeRtcp,
  serializeRtpPacket,
} from "../../../media/rtp/mod.ts";
import { parseSdp, rtpFormatOf } from "../../../media/sdp/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  aacFrames,
  av1Frames,
  h264Frames,
  h265Frames,
  opusFrames,
  vp8Frames,
  vp9Frames,
} from "../../media/rtp/_fixtures.ts";
import { type FuzzTargetDef, simple } from "./_target.ts";

function framed(packets: Uint8Array[], max = 60): Uint8Array {
  const list = packets.slice(0, max);
  const out = new Uint8Array(list.reduce((n, p) => n + 2 + p.length, 0));
  let pos = 0;
  for (const p of list) {
    out[pos] = p.length >> 8;
    out[pos + 1] = p.length & 0xff;
    out.set(p, pos + 2);
    pos += 2 + p.length;
  }
  return out;
}

function* unframe(input: Uint8Array): Generator<Uint8Array> {
  for (let pos = 0; pos + 2 <= input.length;) {
    const n = (input[pos]! << 8) | input[pos + 1]!;
    yield input.subarray(pos + 2, pos + 2 + n);
    pos += 2 + n;
  }
}

function packets(
  codec: "h264" | "h265" | "aac" | "opus" | "vp8" | "vp9" | "av1" | "pcmu",
  frames: MediaFrame[],
  mtu: number,
  clockRate?: number,
): Uint8Array[] {
  const p = createPacketizer(codec, {
    payloadType: 96,
    mtu,
    initialSequence: 65500,
    ...(clockRate ? { clockRate } : {}),
  });
  return frames.flatMap((f) => p.packetize(f));
}

const SDPS = [
  "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\na=tool:libavformat\r\nm=video 5004 RTP/AVP 96\r\nb=AS:200\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z2QACqzZRifmwFqAgICgAAADACAAAAMDwkSywA==,aOvjyyLA; profile-level-id=64000A\r\nm=audio 5006 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/44100/2\r\na=fmtp:97 profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1210\r\na=control:trackID=1\r\n",
  "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=mid:0\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\na=rtpmap:96 VP9/90000\r\na=rtpmap:97 AV1/90000\r\na=rtpmap:98 H265/90000\r\na=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAkAAAAwAAAwBdlZgJ;sprop-sps=QgEBAWAAAAMAkAAAAwAAAwBdoAKAgC0WWVmkkyvAWoCAgIAAAAMAgAAADIQ=;sprop-pps=RAHBcrRiQA==\r\na=rtpmap:99 rtx/90000\r\na=fmtp:99 apt=96\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
].map((s) => new TextEncoder().encode(s));

/** RTP, RTCP, SDP, reorder buffer and depacketizer targets. */
export function rtpTargets(): FuzzTargetDef[] {
  const h264 = packets("h264", h264Frames(), 300);
  const h265 = packets("h265", h265Frames(), 300);
  const aac = packets("aac", aacFrames(), 200, 44100);
  const opus = packets("opus", opusFrames(20), 1200);
  const vp8 = packets("vp8", vp8Frames(), 300);
  // MP4A-LATM: [PayloadLengthInfo][AU] per packet, one fragmented across two
  const latm = aacFrames().slice(1).map((f, i) => {
    const lengthInfo = [
      ...Array(Math.floor(f.data.length / 255)).fill(255),
      f.data.length % 255,
    ];
    return serializeRtpPacket({
      marker: true,
      payloadType: 96,
      sequenceNumber: i,
      timestamp: 1024 * i,
      ssrc: 1,
      csrcs: [],
      payload: new Uint8Array([...lengthInfo, ...f.data]),
    });
  });
  const vp9 = packets("vp9", vp9Frames(), 300);
  const av1 = packets("av1", av1Frames(), 300);
  const pcmu = packets("pcmu", [{
    kind: "audio",
    codec: "pcmu",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 8000,
    keyframe: true,
    config: false,
    data: new Uint8Array(800).fill(0x7f),
  }], 200);
  const withExtension = serializeRtpPacket({
    marker: true,
    payloadType: 100,
    sequenceNumber: 9,
    timestamp: 1,
    ssrc: 2,
    csrcs: [3, 4],
    extension: { profile: 0xbede, data: new Uint8Array([0x10, 0xff, 0, 0]) },
    payload: new Uint8Array([1, 2, 3]),
    paddingBytes: 4,
  });
  const rtcp = serializeRtcp([
    {
      type: "sr",
      ssrc: 1,
      ntpSeconds: 1,
      ntpFraction: 2,
      rtpTimestamp: 3,
      packetCount: 4,
      octetCount: 5,
      reports: [{
        ssrc: 9,
        fractionLost: 1,
        cumulativeLost: 2,
        highestSequence: 3,
        jitter: 4,
        lastSr: 5,
        delaySinceLastSr: 6,
      }],
    },
    {
      type: "sdes",
      chunks: [{ ssrc: 1, items: [{ type: 1, text: "cname" }] }],
    },
    { type: "nack", senderSsrc: 1, mediaSsrc: 2, lost: [1, 2, 5, 40] },
    { type: "pli", senderSsrc: 1, mediaSsrc: 2 },
    { type: "fir", senderSsrc: 1, entries: [{ ssrc: 2, sequence: 3 }] },
    { type: "bye", ssrcs: [1], reason: "bye" },
  ]);
  const depacketizer = (
    name: string,
    format: RtpFormat,
    stream: Uint8Array[],
  ): FuzzTargetDef =>
    simple(`rtp.depacketize.${name}`, [
      framed(stream),
      framed(stream.slice(20), 40),
    ], (input) => {
      const d = createDepacketizer(format);
      for (const bytes of unframe(input)) {
        let packet;
        try {
          packet = parseRtpPacket(bytes);
        } catch {
          continue;
        }
        d.push(packet);
      }
    });
  return [
    simple("rtp.parseRtpPacket", [
      h264[0]!,
      h264[1]!,
      aac[0]!,
      opus[0]!,
      withExtension,
    ], (input) => {
      serializeRtpPacket(parseRtpPacket(input));
    }),
    simple("rtp.parseRtcp", [rtcp], (input) => parseRtcp(input)),
    simple("sdp.parseSdp", SDPS, (input) => {
      const sdp = parseSdp(new TextDecoder().decode(input));
      for (const m of sdp.media) for (const pt of m.formats) rtpFormatOf(m, pt);
    }),
    simple("rtp.RtpReorderBuffer", [framed(h264)], (input, random) => {
      const buffer = new RtpReorderBuffer({ capacity: 16, maxDelayMs: 20 });
      let now = 0;
      for (const bytes of unframe(input)) {
        try {
          buffer.push(parseRtpPacket(bytes), now += random() * 10);
        } catch { /* only typed parse errors */ }
        if (random() < 0.1) buffer.poll(now);
      }
      buffer.flush();
    }),
    depacketizer("h264", {
      encodingName: "H264",
      clockRate: 90000,
      fmtp: {
        "sprop-parameter-sets":
          "Z2QACqzZRifmwFqAgICgAAADACAAAAMDwkSywA==,aOvjyyLA",
      },
    }, h264),
    depacketizer(
      "h265",
      { encodingName: "H265", clockRate: 90000, fmtp: {} },
      h265,
    ),
    depacketizer("aac", {
      encodingName: "MPEG4-GENERIC",
      clockRate: 44100,
      fmtp: {
        mode: "AAC-hbr",
        sizelength: "13",
        indexlength: "3",
        indexdeltalength: "3",
        config: "1210",
      },
    }, aac),
    depacketizer("opus", {
      encodingName: "OPUS",
      clockRate: 48000,
      channels: 2,
      fmtp: {},
    }, opus),
    depacketizer("latm", {
      encodingName: "MP4A-LATM",
      clockRate: 44100,
      fmtp: { cpresent: "0", config: "40002420adca00" },
    }, latm),
    depacketizer(
      "vp8",
      { encodingName: "VP8", clockRate: 90000, fmtp: {} },
      vp8,
    ),
    depacketizer(
      "vp9",
      { encodingName: "VP9", clockRate: 90000, fmtp: {} },
      vp9,
    ),
    depacketizer(
      "av1",
      { encodingName: "AV1", clockRate: 90000, fmtp: {} },
      av1,
    ),
    depacketizer(
      "g711",
      { encodingName: "PCMU", clockRate: 8000, fmtp: {} },
      pcmu,
    ),
  ];
}
