/**
 * Reading and rewriting the fragmented MP4 files a `RecordingSink` writes
 * (`ftyp`+`moov`, then `moof`+`mdat` pairs): {@linkcode parseFmp4Init} reads
 * the tracks of the `moov`, {@linkcode parseFmp4Fragment} the sample table of
 * one `moof` (decode times, durations, sizes, sync flags, composition offsets
 * and where each sample's bytes are in the file), and
 * {@linkcode writeFmp4Fragment} writes one `moof`+`mdat` from such a table,
 * so a range of a recording can be re-cut and re-timed without decoding
 * (`writeFmp4Fragment` in `fmp4_fragment_writer.ts` writes the result).
 *
 * Data path: the caller reads one `moof` (a few hundred bytes) and its
 * `mdat` from storage; sample payloads are views into that `mdat`, copied
 * once into the new fragment. Nothing is kept between calls.
 *
 * Specification: ISO/IEC 14496-12 §8.8.7 (tfhd), §8.8.8 (trun), §8.8.12
 * (tfdt), §8.8.3 (trex defaults, sample flags §8.8.3.1).
 *
 * @module
 */
import { readBoxes } from "../fmp4/read_boxes.ts";
import { BitstreamError } from "../stream_error.ts";

/**
 * Most samples one `trun` may declare: bounds the work and the sample table
 * on hostile input (a 2 s fragment holds a few hundred).
 *
 * @example
 * ```ts
 * import { MAX_FRAGMENT_SAMPLES } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_FRAGMENT_SAMPLES >= 10_000);
 * ```
 */
export const MAX_FRAGMENT_SAMPLES = 100_000;

/**
 * One track of an fMP4 `moov`.
 *
 * @example
 * ```ts
 * import type { Fmp4InitTrack } from "@arcly/stream/recording";
 * const track: Fmp4InitTrack = { id: 1, timescale: 90000, handler: "vide",
 *   sampleEntry: new Uint8Array(0), defaultDuration: 0, defaultSize: 0, defaultFlags: 0 };
 * ```
 */
export interface Fmp4InitTrack {
  /** `track_ID`. */
  readonly id: number;
  /** `mdhd` timescale (ticks per second). */
  readonly timescale: number;
  /** `hdlr` handler type (`vide`, `soun`, …). */
  readonly handler: string;
  /** The `stsd` body (sample entries): equal bytes mean the same decoder setup. */
  readonly sampleEntry: Uint8Array;
  /** `trex` default sample duration. */
  readonly defaultDuration: number;
  /** `trex` default sample size. */
  readonly defaultSize: number;
  /** `trex` default sample flags. */
  readonly defaultFlags: number;
}

/**
 * One sample of a fragment.
 *
 * @example
 * ```ts
 * import type { Fmp4Sample } from "@arcly/stream/recording";
 * const sample: Fmp4Sample = { dts: 0, duration: 3000, size: 10, flags: 0, cto: 0, offset: 100 };
 * ```
 */
export interface Fmp4Sample {
  /** Decode time in the track timescale. */
  readonly dts: number;
  /** Duration in the track timescale. */
  readonly duration: number;
  /** Bytes. */
  readonly size: number;
  /** Sample flags (§8.8.3.1); bit 0x10000 set means not a sync sample. */
  readonly flags: number;
  /** Composition offset (pts - dts), signed. */
  readonly cto: number;
  /** Offset of the sample's bytes in the file (or in the bytes given as the fragment). */
  readonly offset: number;
}

/**
 * One track run of a fragment.
 *
 * @example
 * ```ts
 * import type { Fmp4TrackRun } from "@arcly/stream/recording";
 * const run: Fmp4TrackRun = { trackId: 1, samples: [] };
 * ```
 */
export interface Fmp4TrackRun {
  /** `track_ID`. */
  readonly trackId: number;
  /** Samples in decode order. */
  readonly samples: readonly Fmp4Sample[];
}

/**
 * Whether a sample is a sync sample (a keyframe).
 *
 * @param sample the sample
 * @returns true unless `sample_is_non_sync_sample` is set
 * @example
 * ```ts
 * import { isSyncSample } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.equal(isSyncSample({ dts: 0, duration: 1, size: 1, flags: 0x01010000, cto: 0, offset: 0 }), false);
 * ```
 */
export function isSyncSample(sample: Fmp4Sample): boolean {
  return (sample.flags & 0x10000) === 0;
}

function fail(what: string): never {
  throw new BitstreamError(`Cannot read fMP4 recording: ${what}`, {
    byteOffset: 0,
  });
}

function child(body: Uint8Array, type: string): Uint8Array | undefined {
  return readBoxes(body).find((b) => b.type === type)?.body;
}

function need(body: Uint8Array, bytes: number, box: string): DataView {
  if (body.length < bytes) {
    fail(`${box} is ${body.length} bytes, needs ${bytes}`);
  }
  return new DataView(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Read the tracks of an init segment (`ftyp`+`moov`, or a `moov` alone).
 *
 * @param bytes the init segment
 * @returns the tracks, in `moov` order
 * @throws {BitstreamError} for a missing or malformed box
 * @example
 * ```ts
 * import { parseFmp4Init } from "@arcly/stream/recording";
 * import { Fmp4Muxer } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const muxer = new Fmp4Muxer();
 * muxer.configure({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0, timescale: 1000,
 *   keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const [track] = parseFmp4Init(muxer.initSegment()!);
 * assert.equal(track?.handler, "soun");
 * assert.equal(track?.timescale, 44100);
 * ```
 */
export function parseFmp4Init(bytes: Uint8Array): Fmp4InitTrack[] {
  const moov = child(bytes, "moov") ?? fail("no moov box");
  const defaults = new Map<number, [number, number, number]>();
  const mvex = child(moov, "mvex");
  if (mvex !== undefined) {
    for (const box of readBoxes(mvex)) {
      if (box.type !== "trex") continue;
      const v = need(box.body, 24, "trex");
      defaults.set(v.getUint32(4), [
        v.getUint32(12),
        v.getUint32(16),
        v.getUint32(20),
      ]);
    }
  }
  const tracks: Fmp4InitTrack[] = [];
  for (const trak of readBoxes(moov)) {
    if (trak.type !== "trak") continue;
    const tkhd = child(trak.body, "tkhd") ?? fail("trak without tkhd");
    const tv = need(tkhd, 24, "tkhd");
    const id = tv.getUint32(tkhd[0] === 1 ? 20 : 12);
    const mdia = child(trak.body, "mdia") ?? fail("trak without mdia");
    const mdhd = child(mdia, "mdhd") ?? fail("mdia without mdhd");
    const mv = need(mdhd, 24, "mdhd");
    const timescale = mv.getUint32(mdhd[0] === 1 ? 20 : 12);
    if (timescale === 0) fail(`track ${id} has timescale 0`);
    const hdlr = need(child(mdia, "hdlr") ?? fail("no hdlr"), 12, "hdlr");
    const handler = String.fromCharCode(
      hdlr.getUint8(8),
      hdlr.getUint8(9),
      hdlr.getUint8(10),
      hdlr.getUint8(11),
    );
    const minf = child(mdia, "minf") ?? fail("mdia without minf");
    const stbl = child(minf, "stbl") ?? fail("minf without stbl");
    const stsd = child(stbl, "stsd") ?? fail("stbl without stsd");
    const [d, s, f] = defaults.get(id) ?? [0, 0, 0];
    tracks.push({
      id,
      timescale,
      handler,
      sampleEntry: stsd,
      defaultDuration: d,
      defaultSize: s,
      defaultFlags: f,
    });
  }
  if (tracks.length === 0) fail("moov has no track");
  return tracks;
}

/**
 * Read the sample table of one `moof`.
 *
 * @param moof the whole `moof` box (header included)
 * @param moofOffset where the `moof` starts in the file: sample offsets are
 *   file offsets (`default-base-is-moof` or the moof's position)
 * @param tracks the init's tracks (defaults)
 * @param dataEnd when given, where the fragment's `mdat` ends (same origin
 *   as the offsets): every sample must be at least one byte and lie before it
 * @returns one run per `traf`
 * @throws {BitstreamError} for a malformed box or a run over
 *   {@linkcode MAX_FRAGMENT_SAMPLES}
 * @example
 * ```ts
 * import { parseFmp4Fragment, parseFmp4Init } from "@arcly/stream/recording";
 * import { Fmp4Muxer, readBoxes } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const muxer = new Fmp4Muxer();
 * const base = { kind: "audio", codec: "aac", trackId: 0, timescale: 1000, keyframe: true } as const;
 * muxer.configure({ ...base, pts: 0, dts: 0, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const tracks = parseFmp4Init(muxer.initSegment()!);
 * const bytes = muxer.mux([{ ...base, pts: 0, dts: 0, config: false, data: new Uint8Array(6) }]);
 * const moof = readBoxes(bytes)[0]!;
 * const [run] = parseFmp4Fragment(bytes.subarray(0, moof.size), 0, tracks);
 * assert.equal(run?.samples[0]?.size, 6);
 * ```
 */
export function parseFmp4Fragment(
  moof: Uint8Array,
  moofOffset: number,
  tracks: readonly Fmp4InitTrack[],
  dataEnd?: number,
): Fmp4TrackRun[] {
  const [box] = readBoxes(moof);
  if (box?.type !== "moof") fail("expected a moof box");
  const runs: Fmp4TrackRun[] = [];
  let total = 0;
  for (const traf of readBoxes(box.body)) {
    if (traf.type !== "traf") continue;
    const tfhd = child(traf.body, "tfhd") ?? fail("traf without tfhd");
    const hv = need(tfhd, 8, "tfhd");
    const tf = hv.getUint32(0) & 0xffffff;
    const trackId = hv.getUint32(4);
    const track = tracks.find((t) => t.id === trackId);
    let p = 8;
    let base = moofOffset;
    if (tf & 0x01) {
      need(tfhd, p + 8, "tfhd");
      base = hv.getUint32(p) * 0x1_0000_0000 + hv.getUint32(p + 4);
      p += 8;
    }
    if (tf & 0x02) p += 4;
    let dDuration = track?.defaultDuration ?? 0;
    let dSize = track?.defaultSize ?? 0;
    let dFlags = track?.defaultFlags ?? 0;
    if (tf & 0x08) dDuration = need(tfhd, p + 4, "tfhd").getUint32(p), p += 4;
    if (tf & 0x10) dSize = need(tfhd, p + 4, "tfhd").getUint32(p), p += 4;
    if (tf & 0x20) dFlags = need(tfhd, p + 4, "tfhd").getUint32(p), p += 4;
    const tfdt = child(traf.body, "tfdt");
    let dts = 0;
    if (tfdt !== undefined) {
      const dv = need(tfdt, tfdt[0] === 1 ? 12 : 8, "tfdt");
      dts = tfdt[0] === 1
        ? dv.getUint32(4) * 0x1_0000_0000 + dv.getUint32(8)
        : dv.getUint32(4);
    }
    const samples: Fmp4Sample[] = [];
    let offset = base;
    for (const trun of readBoxes(traf.body)) {
      if (trun.type !== "trun") continue;
      const b = trun.body;
      const v = need(b, 8, "trun");
      const version = b[0]!;
      const rf = v.getUint32(0) & 0xffffff;
      const count = v.getUint32(4);
      total += count;
      if (total > MAX_FRAGMENT_SAMPLES) {
        fail(`over MAX_FRAGMENT_SAMPLES (${MAX_FRAGMENT_SAMPLES}) samples`);
      }
      let q = 8;
      if (rf & 0x01) offset = base + need(b, q + 4, "trun").getInt32(q), q += 4;
      let firstFlags: number | undefined;
      if (rf & 0x04) firstFlags = need(b, q + 4, "trun").getUint32(q), q += 4;
      const per = ((rf & 0x100) ? 4 : 0) + ((rf & 0x200) ? 4 : 0) +
        ((rf & 0x400) ? 4 : 0) + ((rf & 0x800) ? 4 : 0);
      need(b, q + per * count, "trun");
      if (
        dataEnd !== undefined && !(offset >= 0 && count <= dataEnd - offset)
      ) {
        fail(`a run of ${count} samples at ${offset} does not fit the mdat`);
      }
      for (let i = 0; i < count; i++) {
        const duration = (rf & 0x100) ? v.getUint32(q) : dDuration;
        if (rf & 0x100) q += 4;
        const size = (rf & 0x200) ? v.getUint32(q) : dSize;
        if (rf & 0x200) q += 4;
        let flags = (rf & 0x400)
          ? v.getUint32(q)
          : i === 0 && firstFlags !== undefined
          ? firstFlags
          : dFlags;
        if (rf & 0x400) q += 4;
        if (track?.handler !== "vide" && !(rf & 0x400)) flags &= ~0x10000;
        const cto = (rf & 0x800)
          ? (version === 0 ? v.getUint32(q) : v.getInt32(q))
          : 0;
        if (rf & 0x800) q += 4;
        if (dataEnd !== undefined && (size === 0 || offset + size > dataEnd)) {
          fail(`sample ${i} (${size} bytes at ${offset}) is outside the mdat`);
        }
        samples.push({ dts, duration, size, flags, cto, offset });
        dts += duration;
        offset += size;
      }
    }
    runs.push({ trackId, samples });
  }
  return runs;
}
