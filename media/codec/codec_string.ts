/**
 * RFC 6381 codec strings (the `CODECS` attribute of HLS and the MSE
 * `codecs=` parameter) for every supported codec.
 *
 * Specification: RFC 6381 §3.3 (avc1, mp4a), ISO/IEC 14496-15 Annex E
 * (hvc1/hev1, vvc1), AV1-ISOBMFF "Codecs Parameter String" (av01), VP Codec
 * ISO Media File Format Binding "Codecs Parameter String" (vp09).
 *
 * Data path: pure string formatting from already-parsed fields.
 *
 * @module
 */

function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

function dec2(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * Fields of an `avc1.PPCCLL` string.
 *
 * @example From literal fields
 * ```ts
 * import { type AvcCodecFields, avcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: AvcCodecFields = { profile: 100, compatibility: 0, level: 41 };
 * assert.equal(avcCodecString(fields), "avc1.640029");
 * ```
 */
export interface AvcCodecFields {
  /** profile_idc. */
  profile: number;
  /** The constraint flags byte (avcC profile_compatibility). */
  compatibility: number;
  /** level_idc. */
  level: number;
}

/**
 * `avc1.PPCCLL` (lower-case hex, as FFmpeg's HLS muxer writes it).
 *
 * @param fields profile, constraint flags and level (an {@linkcode AvcDecoderConfig} fits)
 * @returns the codec string
 *
 * @example Main profile, level 3.0
 * ```ts
 * import { avcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(avcCodecString({ profile: 77, compatibility: 0x40, level: 30 }), "avc1.4d401e");
 * ```
 */
export function avcCodecString(fields: AvcCodecFields): string {
  return `avc1.${hex2(fields.profile)}${hex2(fields.compatibility)}${
    hex2(fields.level)
  }`;
}

/**
 * Fields of an `hvc1.` string (an H.265 SPS, VPS or hvcC fits).
 *
 * @example From literal fields
 * ```ts
 * import { type HevcCodecFields, hevcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: HevcCodecFields = { profileSpace: 0, profile: 1, compatibilityFlags: 0x60000000, tier: false,
 *   level: 120, constraintFlags: new Uint8Array(6) };
 * assert.equal(hevcCodecString(fields), "hvc1.1.6.L120");
 * ```
 */
export interface HevcCodecFields {
  /** general_profile_space. */
  profileSpace: number;
  /** general_profile_idc. */
  profile: number;
  /** general_profile_compatibility_flags (flag j at bit 31 - j). */
  compatibilityFlags: number;
  /** general_tier_flag. */
  tier: boolean;
  /** general_level_idc. */
  level: number;
  /** The 6 constraint-indicator bytes. */
  constraintFlags: Uint8Array;
}

/**
 * Options of {@linkcode hevcCodecString}.
 *
 * @example In-band parameter sets
 * ```ts
 * import { type HevcCodecStringOptions, hevcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const options: HevcCodecStringOptions = { sampleEntry: "hev1" };
 * const fields = { profileSpace: 0, profile: 1, compatibilityFlags: 0x60000000, tier: false, level: 93,
 *   constraintFlags: new Uint8Array([0xb0, 0, 0, 0, 0, 0]) };
 * assert.equal(hevcCodecString(fields, options), "hev1.1.6.L93.B0");
 * ```
 */
export interface HevcCodecStringOptions {
  /** Sample entry: "hvc1" (parameter sets only in hvcC; default) or "hev1" (in-band). */
  sampleEntry?: "hvc1" | "hev1";
}

/**
 * The full HEVC codec string: sample entry, profile space letter + profile,
 * compatibility flags bit-reversed in hex, tier + level (`L93`/`H120`), then
 * the constraint bytes in hex with trailing zero bytes removed.
 *
 * @param fields the general profile/tier/level
 * @param options the sample entry
 * @returns e.g. "hvc1.1.6.L93.B0"
 *
 * @example Main profile, level 3.1
 * ```ts
 * import { hevcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const constraintFlags = new Uint8Array([0xb0, 0, 0, 0, 0, 0]);
 * assert.equal(
 *   hevcCodecString({ profileSpace: 0, profile: 1, compatibilityFlags: 0x60000000, tier: false, level: 93, constraintFlags }),
 *   "hvc1.1.6.L93.B0",
 * );
 * ```
 */
export function hevcCodecString(
  fields: HevcCodecFields,
  options: HevcCodecStringOptions = {},
): string {
  let reversed = 0;
  for (let i = 0; i < 32; i++) {
    if ((fields.compatibilityFlags >>> i) & 1) reversed |= 1 << (31 - i);
  }
  const space = ["", "A", "B", "C"][fields.profileSpace & 3];
  let s = `${options.sampleEntry ?? "hvc1"}.${space}${fields.profile}.${
    (reversed >>> 0).toString(16).toUpperCase()
  }.${fields.tier ? "H" : "L"}${fields.level}`;
  let last = fields.constraintFlags.length - 1;
  while (last >= 0 && fields.constraintFlags[last] === 0) last--;
  for (let i = 0; i <= last; i++) {
    s += `.${fields.constraintFlags[i]!.toString(16).toUpperCase()}`;
  }
  return s;
}

/**
 * Fields of an `av01.` string (an {@linkcode Av1SequenceHeader} fits).
 *
 * @example From literal fields
 * ```ts
 * import { type Av1CodecFields, av1CodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: Av1CodecFields = { profile: 0, level: 8, tier: false, bitDepth: 8 };
 * assert.equal(av1CodecString(fields), "av01.0.08M.08");
 * ```
 */
export interface Av1CodecFields {
  /** seq_profile. */
  profile: number;
  /** seq_level_idx[0]. */
  level: number;
  /** seq_tier[0]. */
  tier: boolean;
  /** 8, 10 or 12. */
  bitDepth: number;
  /** mono_chrome. */
  monochrome?: boolean;
  /** subsampling_x (default 1). */
  subsamplingX?: number;
  /** subsampling_y (default 1). */
  subsamplingY?: number;
  /** chroma_sample_position (default 0). */
  chromaSamplePosition?: number;
  /** color_primaries (default 1). */
  colourPrimaries?: number;
  /** transfer_characteristics (default 1). */
  transferCharacteristics?: number;
  /** matrix_coefficients (default 1). */
  matrixCoefficients?: number;
  /** color_range (default false). */
  fullRange?: boolean;
}

/**
 * `av01.P.LLT.DD`, followed by `.M.CCC.cp.tc.mc.F` only when the colour
 * description differs from the defaults (unspecified colour counts as
 * default).
 *
 * @param fields the sequence header fields
 * @returns e.g. "av01.0.04M.08"
 *
 * @example Main profile, level 3.0, 10-bit
 * ```ts
 * import { av1CodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(av1CodecString({ profile: 0, level: 4, tier: false, bitDepth: 10 }), "av01.0.04M.10");
 * ```
 */
export function av1CodecString(fields: Av1CodecFields): string {
  const base = `av01.${fields.profile}.${dec2(fields.level)}${
    fields.tier ? "H" : "M"
  }.${dec2(fields.bitDepth)}`;
  const mono = fields.monochrome ?? false;
  const sx = fields.subsamplingX ?? 1;
  const sy = fields.subsamplingY ?? 1;
  const ccc = `${sx}${sy}${sx && sy ? fields.chromaSamplePosition ?? 0 : 0}`;
  const cp = fields.colourPrimaries ?? 1;
  const tc = fields.transferCharacteristics ?? 1;
  const mc = fields.matrixCoefficients ?? 1;
  const full = fields.fullRange ?? false;
  const defaultColour = cp === tc && tc === mc && (cp === 1 || cp === 2);
  if (!mono && ccc === "110" && defaultColour && !full) return base;
  return `${base}.${mono ? 1 : 0}.${ccc}.${dec2(cp)}.${dec2(tc)}.${dec2(mc)}.${
    full ? 1 : 0
  }`;
}

/**
 * Fields of a `vp09.` string (a {@linkcode Vp9DecoderConfig} fits).
 *
 * @example From literal fields
 * ```ts
 * import { type Vp9CodecFields, vp9CodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: Vp9CodecFields = { profile: 0, level: 21, bitDepth: 8, fullRange: true };
 * assert.equal(vp9CodecString(fields), "vp09.00.21.08.01.01.01.01.01");
 * ```
 */
export interface Vp9CodecFields {
  /** Profile 0..3. */
  profile: number;
  /** Level × 10. */
  level: number;
  /** 8, 10 or 12. */
  bitDepth: number;
  /** vpcC chromaSubsampling (default 1). */
  chromaSubsampling?: number;
  /** colourPrimaries (default 1). */
  colourPrimaries?: number;
  /** transferCharacteristics (default 1). */
  transferCharacteristics?: number;
  /** matrixCoefficients (default 1). */
  matrixCoefficients?: number;
  /** videoFullRangeFlag (default false). */
  fullRange?: boolean;
}

/**
 * `vp09.PP.LL.DD`, followed by `.CC.cp.tc.mc.FF` only when the values differ
 * from the defaults (unspecified colour counts as default).
 *
 * @param fields the configuration
 * @returns e.g. "vp09.00.10.08"
 *
 * @example Profile 2, level 3.1, 10-bit, BT.2020 PQ
 * ```ts
 * import { vp9CodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(vp9CodecString({ profile: 0, level: 10, bitDepth: 8 }), "vp09.00.10.08");
 * assert.equal(
 *   vp9CodecString({ profile: 2, level: 31, bitDepth: 10, colourPrimaries: 9, transferCharacteristics: 16, matrixCoefficients: 9 }),
 *   "vp09.02.31.10.01.09.16.09.00",
 * );
 * ```
 */
export function vp9CodecString(fields: Vp9CodecFields): string {
  const base = `vp09.${dec2(fields.profile)}.${dec2(fields.level)}.${
    dec2(fields.bitDepth)
  }`;
  const cc = fields.chromaSubsampling ?? 1;
  const cp = fields.colourPrimaries ?? 1;
  const tc = fields.transferCharacteristics ?? 1;
  const mc = fields.matrixCoefficients ?? 1;
  const full = fields.fullRange ?? false;
  const defaultColour = cp === tc && tc === mc && (cp === 1 || cp === 2);
  if (cc === 1 && defaultColour && !full) return base;
  return `${base}.${dec2(cc)}.${dec2(cp)}.${dec2(tc)}.${dec2(mc)}.${
    full ? "01" : "00"
  }`;
}

/**
 * Fields of an `mp4a.40.N` string (an {@linkcode AudioSpecificConfig} fits).
 *
 * @example HE-AAC v2
 * ```ts
 * import { type AacCodecFields, aacCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: AacCodecFields = { objectType: 2, sbr: true, ps: true };
 * assert.equal(aacCodecString(fields), "mp4a.40.29");
 * ```
 */
export interface AacCodecFields {
  /** The core audio object type (2 = LC). */
  objectType: number;
  /** SBR signalled (HE-AAC → 5). */
  sbr?: boolean;
  /** PS signalled (HE-AAC v2 → 29). */
  ps?: boolean;
}

/**
 * `mp4a.40.N`: 29 with PS, 5 with SBR, else the object type (2 = LC), as
 * FFmpeg's HLS muxer and Apple's authoring spec write it.
 *
 * @param fields the object type and SBR/PS flags
 * @returns e.g. "mp4a.40.2"
 *
 * @example AAC LC and HE-AAC
 * ```ts
 * import { aacCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(aacCodecString({ objectType: 2 }), "mp4a.40.2");
 * assert.equal(aacCodecString({ objectType: 2, sbr: true }), "mp4a.40.5");
 * ```
 */
export function aacCodecString(fields: AacCodecFields): string {
  const n = fields.ps ? 29 : fields.sbr ? 5 : fields.objectType;
  return `mp4a.40.${n}`;
}

/**
 * Fields of a `vvc1.` string (a {@linkcode VvcDecoderConfig} or VVC SPS fits).
 *
 * @example From literal fields
 * ```ts
 * import { type VvcCodecFields, vvcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const fields: VvcCodecFields = { profile: 1, tier: true, level: 102 };
 * assert.equal(vvcCodecString(fields), "vvc1.1.H102");
 * ```
 */
export interface VvcCodecFields {
  /** general_profile_idc. */
  profile: number;
  /** general_tier_flag. */
  tier: boolean;
  /** general_level_idc. */
  level: number;
}

/**
 * `vvc1.P.LXX` / `vvc1.P.HXX` (ISO/IEC 14496-15 Annex E.6 without the optional
 * constraint and sub-profile parts).
 *
 * @param fields profile, tier, level
 * @param sampleEntry "vvc1" (default) or "vvi1"
 * @returns e.g. "vvc1.1.L51"
 *
 * @example Main 10, level 5.1
 * ```ts
 * import { vvcCodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(vvcCodecString({ profile: 1, tier: false, level: 83 }), "vvc1.1.L83");
 * ```
 */
export function vvcCodecString(
  fields: VvcCodecFields,
  sampleEntry: "vvc1" | "vvi1" = "vvc1",
): string {
  return `${sampleEntry}.${fields.profile}.${
    fields.tier ? "H" : "L"
  }${fields.level}`;
}
