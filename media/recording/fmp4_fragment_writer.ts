/**
 * {@linkcode writeFmp4Fragment}: one `moof`+`mdat` from a sample table read
 * by `parseFmp4Fragment` (re-timed, re-cut), sized first and written into a
 * single allocation with each payload copied once.
 *
 * Specification: ISO/IEC 14496-12 §8.8.4-§8.8.12, §8.1.1.
 *
 * @module
 */
import type { Fmp4Sample } from "./fmp4_reader.ts";

/**
 * One track of a fragment to write: the samples (their `offset`s are
 * ignored) and their bytes, in order, and the new decode time of the first.
 *
 * @example
 * ```ts
 * import type { Fmp4FragmentTrack } from "@arcly/stream/recording";
 * const track: Fmp4FragmentTrack = { trackId: 2, baseDecodeTime: 0, samples: [], payloads: [] };
 * ```
 */
export interface Fmp4FragmentTrack {
  /** `track_ID`. */
  readonly trackId: number;
  /** `tfdt` of the first sample. */
  readonly baseDecodeTime: number;
  /** Sample table. */
  readonly samples: readonly Fmp4Sample[];
  /** One payload per sample. */
  readonly payloads: readonly Uint8Array[];
}

/**
 * Write one `moof`+`mdat` (tfhd default-base-is-moof, tfdt v1, trun v1 with
 * per-sample duration, size, flags and signed composition offset).
 *
 * @param sequence `mfhd` sequence number
 * @param tracks the tracks with at least one sample
 * @returns the fragment bytes
 * @example
 * ```ts
 * import { writeFmp4Fragment } from "@arcly/stream/recording";
 * import { readBoxes } from "@arcly/stream/fmp4";
 * import assert from "node:assert/strict";
 *
 * const bytes = writeFmp4Fragment(1, [{ trackId: 1, baseDecodeTime: 0,
 *   samples: [{ dts: 0, duration: 3000, size: 2, flags: 0, cto: 0, offset: 0 }],
 *   payloads: [new Uint8Array([1, 2])] }]);
 * assert.deepEqual(readBoxes(bytes).map((b) => b.type), ["moof", "mdat"]);
 * ```
 */
export function writeFmp4Fragment(
  sequence: number,
  tracks: readonly Fmp4FragmentTrack[],
): Uint8Array {
  const trafSizes = tracks.map((t) => 8 + 16 + 20 + 20 + 16 * t.samples.length);
  const moofSize = 8 + 16 + trafSizes.reduce((a, b) => a + b, 0);
  let mdatSize = 8;
  for (const t of tracks) for (const s of t.samples) mdatSize += s.size;
  const out = new Uint8Array(moofSize + mdatSize);
  const v = new DataView(out.buffer);
  let p = 0;
  const header = (size: number, type: string) => {
    v.setUint32(p, size);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = type.charCodeAt(i);
    p += 8;
  };
  header(moofSize, "moof");
  header(16, "mfhd");
  v.setUint32(p, 0);
  v.setUint32(p + 4, sequence >>> 0);
  p += 8;
  let dataOffset = moofSize + 8;
  tracks.forEach((t, i) => {
    header(trafSizes[i]!, "traf");
    header(16, "tfhd");
    v.setUint32(p, 0x020000);
    v.setUint32(p + 4, t.trackId);
    p += 8;
    header(20, "tfdt");
    v.setUint32(p, 0x01000000);
    v.setUint32(p + 4, Math.floor(t.baseDecodeTime / 0x1_0000_0000));
    v.setUint32(p + 8, t.baseDecodeTime >>> 0);
    p += 12;
    header(20 + 16 * t.samples.length, "trun");
    v.setUint32(p, 0x01000f01);
    v.setUint32(p + 4, t.samples.length);
    v.setInt32(p + 8, dataOffset);
    p += 12;
    for (const s of t.samples) {
      v.setUint32(p, s.duration);
      v.setUint32(p + 4, s.size);
      v.setUint32(p + 8, s.flags);
      v.setInt32(p + 12, s.cto);
      p += 16;
      dataOffset += s.size;
    }
  });
  header(mdatSize, "mdat");
  for (const t of tracks) {
    t.payloads.forEach((payload, i) => {
      const size = t.samples[i]!.size;
      out.set(payload.subarray(0, size), p);
      p += size;
    });
  }
  return out;
}
