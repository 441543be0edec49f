// One hour of synthetic A/V muxed to TS: every PES timestamp is the exact
// 90 kHz image of the frame's own timestamp, so A/V stay aligned at the end.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { scanTs } from "./_fixtures.ts";

const HOUR = 3600;
/** An avcC with one tiny SPS/PPS (the muxer only copies them). */
const AVCC = new Uint8Array([
  1,
  0x42,
  0xc0,
  0x1e,
  0xff,
  0xe1,
  0,
  4,
  0x67,
  0x42,
  0xc0,
  0x1e,
  1,
  0,
  2,
  0x68,
  0xce,
]);
const AU = new Uint8Array([0, 0, 0, 2, 0x65, 0x88]);
const ASC: Record<number, Uint8Array> = {
  44100: new Uint8Array([0x12, 0x10]),
  48000: new Uint8Array([0x11, 0x90]),
};

interface Rate {
  name: string;
  timescale: number;
  duration: number; // ticks per frame
}

const VIDEO_RATES: Rate[] = [
  { name: "25", timescale: 90000, duration: 3600 },
  { name: "29.97", timescale: 30000, duration: 1001 },
  { name: "30", timescale: 90000, duration: 3000 },
  { name: "60", timescale: 60, duration: 1 },
];

/** Frames of [from, to) seconds, decode order, audio and video interleaved. */
function* frames(
  video: Rate,
  sampleRate: number,
  from: number,
  to: number,
): Generator<MediaFrame> {
  const common = { trackId: 0, keyframe: true, config: false } as const;
  let v = Math.ceil((from * video.timescale) / video.duration);
  let a = Math.ceil((from * sampleRate) / 1024);
  while (true) {
    const vt = (v * video.duration) / video.timescale;
    const at = (a * 1024) / sampleRate;
    if (vt >= to && at >= to) return;
    if (vt <= at) {
      const t = v++ * video.duration;
      yield {
        ...common,
        kind: "video",
        codec: "h264",
        pts: t,
        dts: t,
        timescale: video.timescale,
        keyframe: v % 50 === 1,
        data: AU,
      };
    } else {
      const t = a++ * 1024;
      yield {
        ...common,
        kind: "audio",
        codec: "aac",
        pts: t,
        dts: t,
        timescale: sampleRate,
        data: AU,
      };
    }
  }
}

function configured(sampleRate: number): MpegTsMuxer {
  const muxer = new MpegTsMuxer();
  const base = {
    trackId: 0,
    pts: 0,
    dts: 0,
    keyframe: true,
    config: true,
  } as const;
  muxer.configure({
    ...base,
    kind: "video",
    codec: "h264",
    timescale: 90000,
    data: AVCC,
  });
  muxer.configure({
    ...base,
    kind: "audio",
    codec: "aac",
    timescale: sampleRate,
    data: ASC[sampleRate]!,
  });
  return muxer;
}

/** Check every PES against the exact rational time; return the last of each PID. */
function checkExact(
  ts: Uint8Array,
  video: Rate,
  sampleRate: number,
  first: { v: number; a: number },
): { v: number; a: number } {
  let { v, a } = first;
  let lastV = -1;
  let lastA = -1;
  for (const pes of scanTs(ts).pes) {
    if (pes.pid === 0x100) {
      const exact =
        Math.round((v++ * video.duration * 90000) / video.timescale) % 2 ** 33;
      assert.equal(pes.pts, exact);
      lastV = pes.pts;
    } else {
      const exact = Math.round((a++ * 1024 * 90000) / sampleRate) % 2 ** 33;
      assert.equal(pes.pts, exact);
      lastA = pes.pts;
    }
  }
  return { v: lastV, a: lastA };
}

for (const video of VIDEO_RATES) {
  for (const sampleRate of [44100, 48000]) {
    Deno.test(`MpegTsMuxer keeps ${video.name} fps video and ${sampleRate} Hz AAC aligned after one hour`, () => {
      // The muxer converts each timestamp on its own, so its only state is
      // the continuity counters: the last 20 s of the hour show any drift.
      const muxer = configured(sampleRate);
      const from = HOUR - 20;
      const ts = muxer.mux([...frames(video, sampleRate, from, HOUR)]);
      const firstV = Math.ceil((from * video.timescale) / video.duration);
      const firstA = Math.ceil((from * sampleRate) / 1024);
      const last = checkExact(ts, video, sampleRate, { v: firstV, a: firstA });
      // Each stream's last PES sits exactly on its ideal time, so the A/V
      // offset (error of video minus error of audio) is far below one audio frame.
      const lastV = Math.ceil((HOUR * video.timescale) / video.duration) - 1;
      const lastA = Math.ceil((HOUR * sampleRate) / 1024) - 1;
      const videoError = last.v -
        (lastV * video.duration * 90000) / video.timescale;
      const audioError = last.a - (lastA * 1024 * 90000) / sampleRate;
      const audioFrame = (1024 * 90000) / sampleRate;
      assert.ok(
        Math.abs(videoError - audioError) < audioFrame,
        `A/V offset ${videoError - audioError}`,
      );
      assert.ok(Math.abs(videoError) <= 0.5 && Math.abs(audioError) <= 0.5);
      // Both streams end within one of their frames after the hour mark.
      const videoEnd = last.v + (video.duration * 90000) / video.timescale;
      assert.ok(
        videoEnd >= HOUR * 90000 &&
          videoEnd - HOUR * 90000 <= (video.duration * 90000) / video.timescale,
      );
    });
  }
}

Deno.test("MpegTsMuxer muxes a full hour of 29.97 fps + 44.1 kHz in 6 s segments with exact timestamps", () => {
  const video = VIDEO_RATES[1]!;
  const muxer = configured(44100);
  let next = { v: 0, a: 0 };
  let last = { v: 0, a: 0 };
  for (let t = 0; t < HOUR; t += 6) {
    const ts = muxer.mux([...frames(video, 44100, t, t + 6)]);
    last = checkExact(ts, video, 44100, next);
    next = {
      v: Math.ceil(((t + 6) * 30000) / 1001),
      a: Math.ceil(((t + 6) * 44100) / 1024),
    };
  }
  const videoEnd = last.v + 3003;
  const audioEnd = last.a + (1024 * 90000) / 44100;
  assert.ok(Math.abs(videoEnd - audioEnd) <= (1024 * 90000) / 44100);
  assert.equal(last.v, Math.round(((next.v - 1) * 1001 * 90000) / 30000));
});

Deno.test("MpegTsMuxer converts RTMP millisecond timestamps without accumulating rounding", () => {
  // 29.97 fps from RTMP: each pts is rounded to 1 ms once, never summed.
  const muxer = configured(44100);
  const n = 107_892; // frames in one hour at 29.97 fps
  const input: MediaFrame[] = [];
  for (const i of [0, 1, n - 2, n - 1]) {
    const ms = Math.round((i * 1001) / 30);
    input.push({
      kind: "video",
      codec: "h264",
      trackId: 0,
      pts: ms,
      dts: ms,
      timescale: 1000,
      keyframe: true,
      config: false,
      data: AU,
    });
  }
  const pes = scanTs(muxer.mux(input)).pes;
  for (const [k, i] of [0, 1, n - 2, n - 1].entries()) {
    const exact = (i * 1001 * 90000) / 30000;
    assert.ok(
      Math.abs(pes[k]!.pts - exact) <= 45,
      `frame ${i}: ${pes[k]!.pts} vs ${exact}`,
    );
  }
});
