/**
 * AVCDecoderConfigurationRecord ("avcC") parse and build.
 *
 * Specification: ISO/IEC 14496-15 §5.3.3.1.
 *
 * ```text
 * avcC
 *   u8  configurationVersion = 1
 *   u8  AVCProfileIndication, profile_compatibility, AVCLevelIndication
 *   u8  111111b | lengthSizeMinusOne(2)
 *   u8  111b | numOfSequenceParameterSets(5)   then { u16 length, SPS }*
 *   u8  numOfPictureParameterSets              then { u16 length, PPS }*
 *   (profiles 100/110/122/144 only, optional)
 *   u8  111111b | chroma_format(2); u8 11111b | bit_depth_luma_minus8(3)
 *   u8  11111b | bit_depth_chroma_minus8(3); u8 numOfSequenceParameterSetExt, { u16, SPSExt }*
 * ```
 *
 * Data path: parsing returns `subarray` views of the parameter sets (no copy);
 * building sizes the record first and writes it into one allocation.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { parseH264Sps } from "./h264_sps.ts";
import { ByteCursor } from "./_byte_cursor.ts";
import { writeSets } from "./_syntax.ts";

/**
 * A parsed avcC record. Parameter sets are views into the input.
 *
 * Specification: ISO/IEC 14496-15 §5.3.3.1, AVCDecoderConfigurationRecord.
 *
 * @example Inspect a record
 * ```ts
 * import { type AvcDecoderConfig, parseAvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config: AvcDecoderConfig = parseAvcDecoderConfig(new Uint8Array([1, 0x42, 0xc0, 0x0a, 0xff, 0xe0, 0]));
 * assert.equal(config.sps.length, 0);
 * assert.equal(config.spsExt.length, 0);
 * ```
 */
export interface AvcDecoderConfig {
  /** configurationVersion (1). */
  version: number;
  /** AVCProfileIndication (profile_idc of the SPS). */
  profile: number;
  /** profile_compatibility (the SPS constraint flags byte). */
  compatibility: number;
  /** AVCLevelIndication (level_idc). */
  level: number;
  /** NAL unit length size in samples: 1, 2 or 4. */
  lengthSize: number;
  /** Sequence parameter set NAL units. */
  sps: Uint8Array[];
  /** Picture parameter set NAL units. */
  pps: Uint8Array[];
  /** chroma_format from the high-profile extension, when present. */
  chromaFormat?: number;
  /** Luma bit depth from the high-profile extension, when present. */
  bitDepthLuma?: number;
  /** Chroma bit depth from the high-profile extension, when present. */
  bitDepthChroma?: number;
  /** SPS extension NAL units from the high-profile extension. */
  spsExt: Uint8Array[];
}

/** Profiles whose avcC may carry the chroma/bit-depth extension (§5.3.3.1.2). */
const EXT_PROFILES: ReadonlySet<number> = new Set([100, 110, 122, 144]);

/**
 * Parses an avcC record.
 *
 * @param data the record bytes (the avcC box payload or RTMP sequence header body)
 * @returns the record, with views of its parameter sets
 * @throws {BitstreamError} on truncation or a version other than 1
 *
 * @example Parse a record
 * ```ts
 * import { parseAvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = parseAvcDecoderConfig(new Uint8Array([
 *   1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 2, 0x68, 0xce,
 * ]));
 * assert.equal(config.profile, 66);
 * assert.equal(config.level, 30);
 * assert.equal(config.lengthSize, 4);
 * assert.deepEqual([...config.pps[0]!], [0x68, 0xce]);
 * ```
 */
export function parseAvcDecoderConfig(data: Uint8Array): AvcDecoderConfig {
  const c = new ByteCursor(data, "avcC");
  const version = c.u8();
  if (version !== 1) {
    throw new BitstreamError(
      `Cannot parse avcC: configurationVersion is ${version}, expected 1`,
      { byteOffset: 0 },
    );
  }
  const profile = c.u8();
  const compatibility = c.u8();
  const level = c.u8();
  const lengthSize = (c.u8() & 3) + 1;
  if (lengthSize === 3) {
    throw new BitstreamError("Cannot parse avcC: NAL length size 3", {
      byteOffset: 4,
    });
  }
  const sps: Uint8Array[] = [];
  for (let n = c.u8() & 0x1f; n > 0; n--) sps.push(c.sized());
  const pps: Uint8Array[] = [];
  for (let n = c.u8(); n > 0; n--) pps.push(c.sized());
  const config: AvcDecoderConfig = {
    version,
    profile,
    compatibility,
    level,
    lengthSize,
    sps,
    pps,
    spsExt: [],
  };
  if (EXT_PROFILES.has(profile) && c.left >= 4) {
    config.chromaFormat = c.u8() & 3;
    config.bitDepthLuma = (c.u8() & 7) + 8;
    config.bitDepthChroma = (c.u8() & 7) + 8;
    for (let n = c.u8(); n > 0; n--) config.spsExt.push(c.sized());
  }
  return config;
}

/**
 * Input of {@linkcode buildAvcDecoderConfig}.
 *
 * @example Build input
 * ```ts
 * import { type AvcDecoderConfigInit, buildAvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const init: AvcDecoderConfigInit = { sps: [new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99])], pps: [new Uint8Array([0x68, 0xce, 0x3c, 0x80])], lengthSize: 4 };
 * assert.equal(buildAvcDecoderConfig(init)[4], 0xff);
 * ```
 */
export interface AvcDecoderConfigInit {
  /** SPS NAL units (at least one; the first gives profile and level). */
  sps: readonly Uint8Array[];
  /** PPS NAL units. */
  pps: readonly Uint8Array[];
  /** NAL length size for samples (default 4). */
  lengthSize?: 1 | 2 | 4;
  /** SPS extension NAL units (high profiles only). */
  spsExt?: readonly Uint8Array[];
}

/**
 * Builds an avcC record from parameter sets (one allocation). For high
 * profiles the chroma/bit-depth extension is written from the parsed SPS, as
 * FFmpeg does.
 *
 * @param init the parameter sets and NAL length size
 * @returns the record bytes
 * @throws {BitstreamError} when the first SPS cannot be parsed
 * @throws {RangeError} when there is no SPS, more than 31 SPS or 255 PPS, or a set over 65535 bytes
 *
 * @example Build and re-parse
 * ```ts
 * import { buildAvcDecoderConfig, parseAvcDecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const sps = new Uint8Array([0x67, 0x42, 0xc0, 0x0a, 0xda, 0x10, 0x99]);
 * const pps = new Uint8Array([0x68, 0xce, 0x3c, 0x80]);
 * const avcC = buildAvcDecoderConfig({ sps: [sps], pps: [pps] });
 * const config = parseAvcDecoderConfig(avcC);
 * assert.equal(config.level, 10);
 * assert.deepEqual([...config.sps[0]!], [...sps]);
 * ```
 */
export function buildAvcDecoderConfig(init: AvcDecoderConfigInit): Uint8Array {
  const first = init.sps[0];
  if (first === undefined) {
    throw new RangeError("Cannot build avcC: no SPS");
  }
  if (init.sps.length > 31 || init.pps.length > 255) {
    throw new RangeError(
      `Cannot build avcC: ${init.sps.length} SPS / ${init.pps.length} PPS exceed 31 / 255`,
    );
  }
  const parsed = parseH264Sps(first);
  const spsExt = init.spsExt ?? [];
  const withExt = EXT_PROFILES.has(parsed.profile);
  let size = 7;
  for (const set of [...init.sps, ...init.pps]) size += 2 + checkSet(set);
  if (withExt) {
    size += 4;
    for (const set of spsExt) size += 2 + checkSet(set);
  }
  const out = new Uint8Array(size);
  out[0] = 1;
  out[1] = parsed.profile;
  out[2] = parsed.constraintFlags;
  out[3] = parsed.level;
  out[4] = 0xfc | ((init.lengthSize ?? 4) - 1);
  out[5] = 0xe0 | init.sps.length;
  let pos = writeSets(out, 6, init.sps);
  out[pos++] = init.pps.length;
  pos = writeSets(out, pos, init.pps);
  if (withExt) {
    out[pos++] = 0xfc | parsed.chromaFormat;
    out[pos++] = 0xf8 | (parsed.bitDepthLuma - 8);
    out[pos++] = 0xf8 | (parsed.bitDepthChroma - 8);
    out[pos++] = spsExt.length;
    writeSets(out, pos, spsExt);
  }
  return out;
}

function checkSet(set: Uint8Array): number {
  if (set.length > 0xffff) {
    throw new RangeError(
      `Cannot build decoder configuration: parameter set of ${set.length} bytes exceeds 65535`,
    );
  }
  return set.length;
}
