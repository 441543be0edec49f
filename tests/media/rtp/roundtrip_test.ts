// Frames → packetize → depacketize → the same frames, per codec, lossless and
// with seeded packet loss (a frame with a lost packet, and everything after it
// up to the next complete keyframe, is dropped: never emitted garbled).
import assert from "node:assert/strict";
import {
  createDepacketizer,
  createPacketizer,
  parseRtpPacket,
  type RtpFormat,
  RtpReorderBuffer,
} from "../../../media/rtp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  aacFrames,
  av1Frames,
  h264Frames,
  h265Frames,
  opusFrames,
  rng,
  vp8Frames,
  vp9Frames,
} from "./_fixtures.ts";

const LEAD = 0.2;

interface Sent {
  frame: MediaFrame;
  packets: Uint8Array[];
}

function packetizeAll(
  frames: MediaFrame[],
  codec: "h264" | "h265" | "aac" | "opus" | "pcma" | "vp8" | "vp9" | "av1",
  options: {
    mtu?: number;
    clockRate?: number;
    initialSequence?: number;
    initialTimestamp?: number;
  },
): Sent[] {
  const p = createPacketizer(codec, {
    payloadType: 96,
    ssrc: 1,
    initialSequence: 0,
    initialTimestamp: 0,
    ...options,
  });
  return frames.map((frame) => ({ frame, packets: p.packetize(frame) }));
}

function run(format: RtpFormat, packets: Uint8Array[]): MediaFrame[] {
  const d = createDepacketizer(format);
  return packets.flatMap((b) => d.push(parseRtpPacket(b)));
}

/** Our packetizers' STAP-A / AP packets carry only parameter sets: losing one is harmless when they did not change. */
function paramSetsOnly(bytes: Uint8Array): boolean {
  const b0 = parseRtpPacket(bytes).payload[0]!;
  return (b0 & 0x1f) === 24 || ((b0 >> 1) & 0x3f) === 48;
}

const H264: RtpFormat = {
  encodingName: "H264",
  clockRate: 90000,
  fmtp: { "packetization-mode": "1" },
};

for (const mtu of [1200, 300, 64]) {
  Deno.test(`rtp h264: lossless round trip (mtu ${mtu}) gives the same AVCC frames, config first, monotonic DTS <= PTS`, () => {
    const frames = h264Frames();
    const sent = packetizeAll(frames, "h264", { mtu });
    for (const s of sent) for (const p of s.packets) assert.ok(p.length <= mtu);
    const out = run(H264, sent.flatMap((s) => s.packets));
    assert.equal(out[0]!.config, true);
    assert.deepEqual(out[0]!.data, frames[0]!.data);
    const media = out.filter((f) => !f.config);
    assert.equal(media.length, frames.length - 1);
    let lastDts = -1;
    media.forEach((f, i) => {
      const src = frames[i + 1]!;
      assert.deepEqual(f.data, src.data, `frame ${i}`);
      assert.equal(f.pts, src.pts + LEAD * 90000);
      assert.equal(f.keyframe, src.keyframe);
      assert.equal(f.timescale, 90000);
      assert.ok(f.dts <= f.pts && f.dts > lastDts && f.dts >= 0);
      lastDts = f.dts;
    });
  });
}

Deno.test("rtp h264: the marker bit ends each access unit and SPS/PPS STAP-A precedes each IDR", () => {
  const sent = packetizeAll(h264Frames(), "h264", { mtu: 1200 });
  for (const { frame, packets } of sent.slice(1)) {
    const parsed = packets.map(parseRtpPacket);
    assert.deepEqual(
      parsed.map((p) => p.marker),
      parsed.map((_, i) => i === parsed.length - 1),
    );
    assert.equal((parsed[0]!.payload[0]! & 0x1f) === 24, frame.keyframe);
  }
});

for (const seed of [1, 2, 3, 4, 5]) {
  Deno.test(`rtp h264: 3% seeded packet loss (seed ${seed}) drops broken frames up to the next keyframe, never garbles`, () => {
    const frames = h264Frames();
    const sent = packetizeAll(frames, "h264", { mtu: 300 });
    const random = rng(seed);
    const lostFrame = new Set<number>();
    const kept: Uint8Array[] = [];
    sent.forEach((s, i) => {
      for (const p of s.packets) {
        if (i > 1 && random() < 0.03) {
          if (!paramSetsOnly(p)) lostFrame.add(i);
        } else kept.push(p);
      }
    });
    const out = run(H264, kept).filter((f) => !f.config);
    const byPts = new Map(frames.map((f, i) => [f.pts + LEAD * 90000, i]));
    assert.ok(lostFrame.size > 0);
    // exactly the frames whose chain back to their keyframe arrived whole
    let expected = 0;
    let chainOk = false;
    frames.forEach((f, i) => {
      if (i === 0) return;
      if (f.keyframe) chainOk = true;
      if (lostFrame.has(i)) chainOk = false;
      if (chainOk) expected++;
    });
    assert.equal(out.length, expected);
    assert.ok(out.length > 0);
    for (const f of out) {
      const i = byPts.get(f.pts);
      assert.ok(i !== undefined && i > 0);
      assert.deepEqual(f.data, frames[i]!.data);
      let k = i;
      while (!frames[k]!.keyframe) k--;
      for (let j = k; j <= i; j++) {
        assert.ok(
          !lostFrame.has(j),
          `frame ${i} emitted after lost frame ${j}`,
        );
      }
    }
  });
}

Deno.test("rtp aac: lossless round trip at mtu 1200 and fragmented at mtu 100", () => {
  const frames = aacFrames();
  const format: RtpFormat = {
    encodingName: "MPEG4-GENERIC",
    clockRate: 44100,
    channels: 2,
    fmtp: {
      mode: "AAC-hbr",
      sizelength: "13",
      indexlength: "3",
      indexdeltalength: "3",
      config: "1210",
    },
  };
  assert.deepEqual([...frames[0]!.data], [0x12, 0x10]);
  for (const mtu of [1200, 100]) {
    const out = run(
      format,
      packetizeAll(frames, "aac", { mtu, clockRate: 44100 }).flatMap((s) =>
        s.packets
      ),
    );
    assert.equal(out.length, frames.length);
    out.forEach((f, i) => {
      assert.deepEqual(f.data, frames[i]!.data);
      assert.equal(f.config, i === 0);
      if (i > 0) assert.equal(f.pts, frames[i]!.pts + LEAD * 44100);
    });
  }
});

Deno.test("rtp aac: several AUs in one packet get consecutive timestamps; a lost fragment drops only that AU", () => {
  const d = createDepacketizer({
    encodingName: "mpeg4-generic",
    clockRate: 48000,
    fmtp: {
      config: "1190",
      sizelength: "13",
      indexlength: "3",
      indexdeltalength: "3",
    },
  });
  // three AUs of 2, 3, 1 bytes: headers 3 x 16 bits
  const payload = new Uint8Array([
    0,
    48,
    0,
    2 << 3,
    0,
    3 << 3,
    0,
    1 << 3,
    1,
    1,
    2,
    2,
    2,
    3,
  ]);
  const frames = d.push({
    marker: true,
    payloadType: 96,
    sequenceNumber: 1,
    timestamp: 1000,
    ssrc: 1,
    csrcs: [],
    payload,
  });
  assert.deepEqual(frames.map((f) => [f.config, f.pts - 9600, f.data.length]), [
    [true, 0, 2],
    [false, 0, 2],
    [false, 1024, 3],
    [false, 2048, 1],
  ]);
  // a 10-byte AU in two fragments; the second is lost → dropped; the next AU is fine
  const frag = (seq: number, ts: number, body: number[], marker: boolean) =>
    d.push({
      marker,
      payloadType: 96,
      sequenceNumber: seq,
      timestamp: ts,
      ssrc: 1,
      csrcs: [],
      payload: new Uint8Array([0, 16, 0, 10 << 3, ...body]),
    });
  assert.deepEqual(frag(2, 4072, [1, 2, 3, 4, 5], false), []);
  assert.deepEqual(
    frag(4, 5096, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0], true).map((f) =>
      f.data.length
    ),
    [10],
  );
  assert.equal(d.stats.lost, 1);
  assert.equal(d.stats.droppedFrames, 1);
});

Deno.test("rtp opus: lossless round trip across the sequence and timestamp wrap", () => {
  const frames = opusFrames(100);
  const sent = packetizeAll(frames, "opus", {
    initialSequence: 65500,
    initialTimestamp: 0xffff0000,
  });
  const out = run({
    encodingName: "opus",
    clockRate: 48000,
    channels: 2,
    fmtp: {},
  }, sent.flatMap((s) => s.packets));
  assert.equal(out.length, frames.length);
  assert.equal(out[0]!.config, true);
  out.slice(1).forEach((f, i) => {
    assert.deepEqual(f.data, frames[i + 1]!.data);
    assert.equal(f.pts, frames[i + 1]!.pts + LEAD * 48000);
  });
});

const H265: RtpFormat = { encodingName: "H265", clockRate: 90000, fmtp: {} };

Deno.test("rtp h265: lossless round trip (mtu 1200 and 100): AP with VPS/SPS/PPS before IRAP, FU, hvcC config", () => {
  const frames = h265Frames();
  for (const mtu of [1200, 100]) {
    const sent = packetizeAll(frames, "h265", { mtu });
    const out = run(H265, sent.flatMap((s) => s.packets));
    assert.equal(out[0]!.config, true);
    assert.deepEqual(out[0]!.data, frames[0]!.data);
    const media = out.slice(1);
    assert.equal(media.length, frames.length - 1);
    media.forEach((f, i) => {
      assert.equal(f.config, false);
      assert.deepEqual(f.data, frames[i + 1]!.data);
      assert.equal(f.keyframe, frames[i + 1]!.keyframe);
    });
    const first = parseRtpPacket(sent[1]!.packets[0]!);
    assert.equal((first.payload[0]! >> 1) & 0x3f, 48);
  }
});

Deno.test("rtp h265 and h264: loss plus reordering through RtpReorderBuffer never garbles", () => {
  for (
    const [codec, frames, format] of [["h264", h264Frames(), H264], [
      "h265",
      h265Frames(),
      H265,
    ]] as const
  ) {
    const sent = packetizeAll(frames, codec, { mtu: 300 });
    const random = rng(42);
    const lostFrame = new Set<number>();
    const arrivals: { bytes: Uint8Array; frame: number }[] = [];
    sent.forEach((s, i) => {
      for (const bytes of s.packets) {
        if (i > 1 && random() < 0.02) {
          if (!paramSetsOnly(bytes)) lostFrame.add(i);
        } else arrivals.push({ bytes, frame: i });
      }
    });
    // swap neighbours (reorder distance up to 3)
    for (let i = 0; i + 3 < arrivals.length; i++) {
      if (random() < 0.1) {
        const j = i + 1 + Math.floor(random() * 3);
        [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
      }
    }
    const buffer = new RtpReorderBuffer({ capacity: 16, maxDelayMs: 50 });
    const d = createDepacketizer(format);
    const out: MediaFrame[] = [];
    arrivals.forEach((a, t) => {
      for (const p of buffer.push(parseRtpPacket(a.bytes), t)) {
        out.push(...d.push(p));
      }
    });
    for (const p of buffer.flush()) out.push(...d.push(p));
    const media = out.filter((f) => !f.config);
    const byPts = new Map(frames.map((f, i) => [f.pts + LEAD * 90000, i]));
    let expected = 0;
    let chainOk = false;
    frames.forEach((f, i) => {
      if (i === 0) return;
      if (f.keyframe) chainOk = true;
      if (lostFrame.has(i)) chainOk = false;
      if (chainOk) expected++;
    });
    assert.ok(buffer.stats.reordered > 0 && lostFrame.size > 0, codec);
    assert.equal(media.length, expected, codec);
    for (const f of media) {
      const i = byPts.get(f.pts)!;
      assert.deepEqual(f.data, frames[i]!.data, codec);
    }
  }
});

Deno.test("rtp g711: PCMU/PCMA frames split to the MTU and come back one frame per packet", () => {
  const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const frame: MediaFrame = {
    kind: "audio",
    codec: "pcma",
    trackId: 0,
    pts: 800,
    dts: 800,
    timescale: 8000,
    keyframe: true,
    config: false,
    data,
  };
  const packets = createPacketizer("pcma", {
    payloadType: 8,
    mtu: 412,
    initialTimestamp: 0,
  }).packetize(frame);
  assert.equal(packets.length, 3);
  const out = run({ encodingName: "PCMA", clockRate: 8000, fmtp: {} }, packets);
  assert.deepEqual(
    out.map((f) => [f.codec, f.pts - LEAD * 8000, f.data.length]),
    [["pcma", 0, 400], ["pcma", 400, 400], ["pcma", 800, 200]],
  );
  assert.deepEqual(out.flatMap((f) => [...f.data]), [...data]);
});

Deno.test("rtp: unsupported codecs and encodings are refused with Unsupported", () => {
  assert.throws(
    () => createPacketizer("mp3", { payloadType: 14 }),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
  assert.throws(
    () =>
      createDepacketizer({
        encodingName: "MP4V-ES",
        clockRate: 90000,
        fmtp: {},
      }),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
  assert.throws(
    () =>
      createDepacketizer({
        encodingName: "MPEG4-GENERIC",
        clockRate: 48000,
        fmtp: {},
      }),
    (e) => e instanceof StreamError && e.code === "InvalidInput",
  );
});

for (
  const [codec, make, name] of [["vp9", vp9Frames, "VP9"], [
    "av1",
    av1Frames,
    "AV1",
  ]] as const
) {
  Deno.test(`rtp ${codec}: round trip lossless (mtu 1200, 200) and with 3% loss (dropped to the next keyframe)`, () => {
    const frames = make();
    const format: RtpFormat = {
      encodingName: name,
      clockRate: 90000,
      fmtp: {},
    };
    for (const mtu of [1200, 200]) {
      const out = run(
        format,
        packetizeAll(frames, codec, { mtu }).flatMap((s) => s.packets),
      );
      assert.deepEqual(out[0]!.data, frames[0]!.data, `${codec} config`);
      assert.equal(out.length, frames.length);
      out.slice(1).forEach((f, i) => {
        assert.deepEqual(f.data, frames[i + 1]!.data, `${codec} frame ${i}`);
        assert.equal(f.keyframe, frames[i + 1]!.keyframe);
      });
    }
    const sent = packetizeAll(frames, codec, { mtu: 200 });
    const random = rng(7);
    const lostFrame = new Set<number>();
    const kept: Uint8Array[] = [];
    sent.forEach((s, i) => {
      for (const p of s.packets) {
        if (i > 1 && random() < 0.03) lostFrame.add(i);
        else kept.push(p);
      }
    });
    const out = run(format, kept).filter((f) => !f.config);
    let expected = 0;
    let chainOk = false;
    frames.forEach((f, i) => {
      if (i === 0) return;
      if (f.keyframe) chainOk = true;
      if (lostFrame.has(i)) chainOk = false;
      if (chainOk) expected++;
    });
    assert.ok(lostFrame.size > 0);
    assert.equal(out.length, expected, codec);
    const byPts = new Map(frames.map((f, i) => [f.pts + LEAD * 90000, i]));
    for (const f of out) {
      assert.deepEqual(f.data, frames[byPts.get(f.pts)!]!.data);
    }
  });
}

Deno.test("rtp h264: DTS lags PTS by the SPS reorder depth (0 for Baseline: DTS = PTS; 2 frames for the -bf 2 fixture)", () => {
  for (
    const [file, depth] of [["h264_baseline.h264", 0], ["gop.h264", 2]] as const
  ) {
    const frames = h264Frames(file);
    const out = run(
      H264,
      packetizeAll(frames, "h264", {}).flatMap((s) => s.packets),
    ).filter((f) => !f.config);
    const lag = Math.max(...out.map((f) => f.pts - f.dts));
    assert.equal(lag, depth * 3000, file);
  }
});

Deno.test("rtp vp8: round trip lossless (mtu 1200, 200) and with 3% loss (dropped to the next keyframe)", () => {
  const frames = vp8Frames();
  const format: RtpFormat = { encodingName: "VP8", clockRate: 90000, fmtp: {} };
  assert.equal(frames.filter((f) => f.keyframe).length, 4);
  for (const mtu of [1200, 200]) {
    const out = run(
      format,
      packetizeAll(frames, "vp8", { mtu }).flatMap((s) => s.packets),
    );
    assert.equal(out.length, frames.length);
    out.forEach((f, i) => {
      assert.deepEqual(f.data, frames[i]!.data);
      assert.equal(f.keyframe, frames[i]!.keyframe);
      assert.equal(f.config, false);
    });
  }
  const sent = packetizeAll(frames, "vp8", { mtu: 200 });
  const random = rng(11);
  const lostFrame = new Set<number>();
  const kept: Uint8Array[] = [];
  sent.forEach((s, i) => {
    for (const p of s.packets) {
      if (i > 0 && random() < 0.03) lostFrame.add(i);
      else kept.push(p);
    }
  });
  const out = run(format, kept);
  let expected = 0;
  let chainOk = false;
  frames.forEach((f, i) => {
    if (f.keyframe) chainOk = true;
    if (lostFrame.has(i)) chainOk = false;
    if (chainOk) expected++;
  });
  assert.ok(lostFrame.size > 0);
  assert.equal(out.length, expected);
  const byPts = new Map(frames.map((f, i) => [f.pts + LEAD * 90000, i]));
  for (const f of out) {
    assert.deepEqual(f.data, frames[byPts.get(f.pts)!]!.data);
  }
});

Deno.test("rtp aac: fragmented AUs (mtu 100) with 5% loss: every emitted AU is an original, never a partial one", () => {
  const frames = aacFrames();
  const aus = frames.slice(1);
  const long: MediaFrame[] = [
    frames[0]!,
    ...Array.from(
      { length: 20 * aus.length },
      (_, i) => ({ ...aus[i % aus.length]!, pts: 1024 * i, dts: 1024 * i }),
    ),
  ];
  const format: RtpFormat = {
    encodingName: "MPEG4-GENERIC",
    clockRate: 44100,
    fmtp: { config: "1210" },
  };
  for (const seed of [1, 2, 3]) {
    const random = rng(seed);
    const kept = packetizeAll(long, "aac", { mtu: 100, clockRate: 44100 })
      .flatMap((s) => s.packets).filter((_, i) => i < 2 || random() >= 0.05);
    const out = run(format, kept).filter((f) => !f.config);
    assert.ok(out.length > 0 && out.length < long.length - 1);
    for (const f of out) {
      const i = (f.pts - LEAD * 44100) / 1024;
      assert.deepEqual(f.data, long[i + 1]!.data, `AU ${i}`);
    }
  }
});

Deno.test("rtp latm: MP4A-LATM (cpresent=0) AUs, several sub-frames, fragments; a loss drops up to the next marker", () => {
  const d = createDepacketizer({
    encodingName: "MP4A-LATM",
    clockRate: 44100,
    fmtp: { cpresent: "0", config: "40002420adca00" },
  });
  const packet = (seq: number, ts: number, payload: number[], marker = true) =>
    d.push({
      marker,
      payloadType: 96,
      sequenceNumber: seq,
      timestamp: ts,
      ssrc: 1,
      csrcs: [],
      payload: new Uint8Array(payload),
    });
  const first = packet(1, 0, [3, 1, 2, 3]);
  assert.deepEqual(first.map((f) => [f.config, [...f.data]]), [[true, [
    0x12,
    0x10,
  ]], [false, [1, 2, 3]]]);
  const au = Array.from({ length: 300 }, (_, i) => i & 0xff);
  assert.deepEqual(packet(2, 1024, [255, 45, ...au.slice(0, 100)], false), []);
  assert.deepEqual(packet(3, 1024, au.slice(100)).map((f) => f.data.length), [
    300,
  ]);
  assert.deepEqual(packet(5, 3072, au.slice(100)), []); // after the loss of 4: skipped up to the marker
  assert.deepEqual(packet(6, 4096, [1, 9]).map((f) => [...f.data]), [[9]]);
  assert.equal(d.stats.lost, 1);
  assert.throws(
    () =>
      createDepacketizer({
        encodingName: "MP4A-LATM",
        clockRate: 44100,
        fmtp: { config: "40002420adca00" },
      }),
    (e) => e instanceof StreamError && e.code === "Unsupported",
  );
});
