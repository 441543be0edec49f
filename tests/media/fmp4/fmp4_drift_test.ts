// One hour of synthetic RTMP-style timestamps (ms, rounded) muxed to fMP4 in
// ~2 s fragments: every sample's decode time is exactly the converted dts,
// each fragment starts where the previous one ended, and audio and video end
// within one audio frame of each other.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { Fmp4Muxer } from "../../../media/fmp4/mod.ts";
import { parseFragment } from "./_fragment_reader.ts";
import { AVCC_320X240 as AVCC } from "./_configs.ts";

const HOUR_MS = 3_600_000;
const AAC_FRAME_SAMPLES = 1024;
const PAYLOAD = new Uint8Array([0]);

/** Video fps as a ratio (29.97 = 30000/1001) × AAC sample rate: every pair. */
const CASES: ReadonlyArray<{ num: number; den: number; rate: number }> = [
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 60, den: 1 },
].flatMap((fps) => [44100, 48000].map((rate) => ({ ...fps, rate })));

function ascFor(rate: number): Uint8Array {
  const index = rate === 44100 ? 4 : 3;
  return new Uint8Array([0x10 | (index >> 1), ((index & 1) << 7) | (2 << 3)]);
}

function frame(
  kind: "video" | "audio",
  dts: number,
  keyframe: boolean,
): MediaFrame {
  return {
    kind,
    codec: kind === "video" ? "h264" : "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: PAYLOAD,
  };
}

const videoDts = (i: number, num: number, den: number) =>
  Math.round((i * 1000 * den) / num);
const audioDts = (i: number, rate: number) =>
  Math.round((i * AAC_FRAME_SAMPLES * 1000) / rate);

/**
 * One hour of video (dts < 1 h) and the audio that covers it (dts < the end of
 * the last video frame), interleaved in dts order; `next` holds the dts of the
 * frames that would follow, for the last fragment.
 */
function hourOfFrames(
  num: number,
  den: number,
  rate: number,
  gop: number,
): { frames: Generator<MediaFrame>; next: { video: number; audio: number } } {
  let videoCount = 0;
  while (videoDts(videoCount, num, den) < HOUR_MS) videoCount++;
  const videoEnd = videoDts(videoCount, num, den);
  let audioCount = 0;
  while (audioDts(audioCount, rate) < videoEnd) audioCount++;
  function* frames(): Generator<MediaFrame> {
    let v = 0;
    let a = 0;
    while (v < videoCount || a < audioCount) {
      const vd = videoDts(v, num, den);
      const ad = audioDts(a, rate);
      if (v < videoCount && (vd <= ad || a >= audioCount)) {
        yield frame("video", vd, v % gop === 0);
        v++;
      } else {
        yield frame("audio", ad, true);
        a++;
      }
    }
  }
  return {
    frames: frames(),
    next: { video: videoEnd, audio: audioDts(audioCount, rate) },
  };
}

for (const { num, den, rate } of CASES) {
  const fps = (num / den).toFixed(2);
  Deno.test(`Fmp4Muxer keeps one hour of ${fps} fps video + ${rate} Hz AAC (ms timestamps) drift-free`, () => {
    const muxer = new Fmp4Muxer();
    const config = {
      trackId: 0,
      pts: 0,
      dts: 0,
      timescale: 1000,
      keyframe: true,
      config: true,
    } as const;
    muxer.configure({ ...config, kind: "video", codec: "h264", data: AVCC });
    muxer.configure({
      ...config,
      kind: "audio",
      codec: "aac",
      data: ascFor(rate),
    });
    const gop = Math.round((2 * num) / den); // a keyframe every ~2 s
    const end = { 1: 0, 2: 0 } as Record<number, number>;
    const started = { 1: false, 2: false } as Record<number, boolean>;
    const counts = { 1: 0, 2: 0 } as Record<number, number>;
    const { frames, next } = hourOfFrames(num, den, rate, gop);
    const check = (batch: MediaFrame[], following: MediaFrame[]) => {
      const nextOf = (kind: "video" | "audio") =>
        following.find((f) => f.kind === kind)?.dts ?? next[kind];
      const bytes = muxer.mux(batch, {
        nextDtsByKind: { video: nextOf("video"), audio: nextOf("audio") },
      });
      const expected = new Map<number, number[]>([[1, []], [2, []]]);
      for (const f of batch) {
        expected.get(f.kind === "video" ? 1 : 2)!.push(f.dts);
      }
      for (const traf of parseFragment(bytes).trafs) {
        const scale = traf.trackId === 1 ? 90000 : rate;
        const dts = expected.get(traf.trackId)!;
        if (started[traf.trackId]) {
          assert.equal(traf.baseMediaDecodeTime, end[traf.trackId]);
        }
        started[traf.trackId] = true;
        let t = traf.baseMediaDecodeTime;
        for (let i = 0; i < traf.samples.length; i++) {
          // exact: the decode time of every sample is its own converted dts
          if (t !== Math.round((dts[i]! * scale) / 1000)) {
            assert.fail(`track ${traf.trackId} sample ${i}: ${t}`);
          }
          t += traf.samples[i]!.duration;
        }
        end[traf.trackId] = t;
        counts[traf.trackId]! += traf.samples.length;
      }
    };
    // Cut before each video keyframe; hold the keyframe's look-ahead to learn the next audio dts.
    let batch: MediaFrame[] = [];
    let pending: MediaFrame[] = [];
    for (const f of frames) {
      if (pending.length > 0) {
        pending.push(f);
        if (f.kind === "audio") {
          check(batch, pending);
          batch = pending;
          pending = [];
        }
      } else if (f.kind === "video" && f.keyframe && batch.length > 0) {
        pending.push(f);
      } else {
        batch.push(f);
      }
    }
    check([...batch, ...pending], []);
    assert.equal(counts[1], Math.ceil((HOUR_MS * num) / (1000 * den)));
    // Each track ends exactly where its next frame would start: the sum of all
    // durations is the converted end time, with no accumulated rounding.
    assert.equal(end[1], next.video * 90);
    assert.equal(end[2], Math.round((next.audio * rate) / 1000));
    const offset = end[2]! / rate - end[1]! / 90000;
    assert.ok(
      offset >= 0 && offset <= AAC_FRAME_SAMPLES / rate,
      `A/V end offset ${offset} s`,
    );
  });
}
