// Helpers for the MPEG-TS demuxer tests: demux in odd-sized chunks, mux in
// keyframe-aligned segments, compare frames.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  MpegTsDemuxer,
  type MpegTsDemuxerOptions,
  type MpegTsDemuxEvent,
  MpegTsMuxer,
} from "../../../media/mpegts/mod.ts";

/** Demux `ts` pushed in chunks of `chunk` bytes (default: a prime, not 188-aligned). */
export function demuxAll(
  ts: Uint8Array,
  chunk = 1009,
  options: MpegTsDemuxerOptions = {},
): {
  frames: MediaFrame[];
  events: MpegTsDemuxEvent[];
  demuxer: MpegTsDemuxer;
} {
  const events: MpegTsDemuxEvent[] = [];
  const demuxer = new MpegTsDemuxer({
    ...options,
    onEvent: (e) => events.push(e),
  });
  const frames: MediaFrame[] = [];
  for (let pos = 0; pos < ts.length; pos += chunk) {
    // A fresh copy per chunk, then scribbled over: the demuxer must not keep views.
    const piece = ts.slice(pos, pos + chunk);
    frames.push(...demuxer.push(piece));
    piece.fill(0xaa);
  }
  frames.push(...demuxer.flush());
  return { frames, events, demuxer };
}

/** Mux in segments that start at video keyframes, like the HLS segmenter. */
export function muxSegments(frames: readonly MediaFrame[]): Uint8Array {
  const muxer = new MpegTsMuxer();
  const segments: Uint8Array[] = [];
  let batch: MediaFrame[] = [];
  for (const frame of frames) {
    if (
      frame.kind === "video" && frame.keyframe && !frame.config &&
      batch.length > 0
    ) {
      segments.push(muxer.mux(batch));
      batch = [];
    }
    batch.push(frame);
  }
  segments.push(muxer.mux(batch));
  return concat(segments);
}

/** Concatenate byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, s) => n + s.length, 0));
  let pos = 0;
  for (const s of parts) out.set(s, pos), pos += s.length;
  return out;
}

/** A frame's timestamp converted to 90 kHz exactly as the muxer does. */
export function to90k(ticks: number, timescale: number): number {
  if (timescale === 90000) return ticks;
  const whole = Math.floor(ticks / timescale);
  return whole * 90000 +
    Math.round((ticks - whole * timescale) * 90000 / timescale);
}

/** Media frames in == media frames out: codec, track, pts/dts, keyframe, bytes. */
export function assertSameMedia(
  input: readonly MediaFrame[],
  output: readonly MediaFrame[],
  label: string,
): void {
  const a = input.filter((f) => !f.config && f.kind !== "data");
  const b = output.filter((f) => !f.config);
  assert.equal(b.length, a.length, `${label}: media frame count`);
  // Output is decode order across tracks; compare per track in order.
  for (const key of new Set(a.map((f) => `${f.kind}:${f.trackId}`))) {
    const x = a.filter((f) => `${f.kind}:${f.trackId}` === key);
    const y = b.filter((f) => `${f.kind}:${f.trackId}` === key);
    assert.equal(y.length, x.length, `${label} ${key}: count`);
    for (let i = 0; i < x.length; i++) {
      const f = x[i]!, g = y[i]!;
      const where = `${label} ${key} #${i}`;
      assert.equal(g.codec, f.codec, `${where} codec`);
      assert.equal(g.timescale, 90000, `${where} timescale`);
      assert.equal(g.pts, to90k(f.pts, f.timescale), `${where} pts`);
      assert.equal(g.dts, to90k(f.dts, f.timescale), `${where} dts`);
      assert.equal(g.keyframe, f.keyframe, `${where} keyframe`);
      assert.ok(bytesEqual(g.data, f.data), `${where} bytes`);
    }
  }
}

/** Byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Every track's first frame is its config (codecs that have one), never media first. */
export function assertConfigFirst(frames: readonly MediaFrame[]): void {
  const seen = new Set<string>();
  for (const f of frames) {
    const key = `${f.kind}:${f.trackId}`;
    if (f.config) seen.add(key);
    else if (f.codec !== "mp3") {
      assert.ok(seen.has(key), `${key}: media frame before its config`);
    }
  }
}
