/**
 * AV1 sequence header OBU parsing (profile, level, tier, bit depth, chroma,
 * maximum frame size, timing) and the AV1CodecConfigurationRecord ("av1C").
 *
 * Specification: AV1 Bitstream & Decoding Process §5.5 (sequence_header_obu,
 * color_config, timing_info); AV1 Codec ISO Media File Format Binding §2.3
 * (AV1CodecConfigurationRecord).
 *
 * ```text
 * av1C: marker(1)=1 version(7)=1 | seq_profile(3) seq_level_idx_0(5)
 *       | seq_tier_0 high_bitdepth twelve_bit monochrome ss_x ss_y chroma_sample_position(2)
 *       | 000 initial_presentation_delay_present(1) minus_one(4) | configOBUs
 * ```
 *
 * Data path: a {@linkcode BitReader} over the OBU payload; building writes 4
 * bytes plus the sequence header OBU into one allocation.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader } from "./bit_reader.ts";
import { Av1ObuType, splitAv1Obus } from "./av1_obu.ts";

/**
 * The fields of an AV1 sequence header used for configuration and codec strings.
 *
 * Specification: AV1 §5.5.1 sequence_header_obu, §5.5.2 color_config.
 *
 * @example Read a sequence header
 * ```ts
 * import { type Av1SequenceHeader, parseAv1SequenceHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const seq: Av1SequenceHeader = parseAv1SequenceHeader(new Uint8Array([0, 0, 0, 2, 0xaf, 0xff, 0x9b, 0x5f, 0x20, 0x08]));
 * assert.equal(seq.level, 0);
 * assert.equal(seq.subsamplingX, 1);
 * ```
 */
export interface Av1SequenceHeader {
  /** seq_profile (0 Main, 1 High, 2 Professional). */
  profile: number;
  /** still_picture. */
  stillPicture: boolean;
  /** reduced_still_picture_header. */
  reducedStillPictureHeader: boolean;
  /** seq_level_idx[0] (0 = level 2.0, 8 = 4.0, …; 31 = unconstrained). */
  level: number;
  /** seq_tier[0] (true = High tier). */
  tier: boolean;
  /** BitDepth: 8, 10 or 12. */
  bitDepth: number;
  /** mono_chrome. */
  monochrome: boolean;
  /** subsampling_x. */
  subsamplingX: number;
  /** subsampling_y. */
  subsamplingY: number;
  /** chroma_sample_position (0 unknown, 1 vertical, 2 colocated). */
  chromaSamplePosition: number;
  /** color_primaries (2 = unspecified). */
  colourPrimaries: number;
  /** transfer_characteristics (2 = unspecified). */
  transferCharacteristics: number;
  /** matrix_coefficients (2 = unspecified). */
  matrixCoefficients: number;
  /** color_range (true = full). */
  fullRange: boolean;
  /** max_frame_width_minus_1 + 1. */
  width: number;
  /** max_frame_height_minus_1 + 1. */
  height: number;
  /** Frames per second from timing_info with equal_picture_interval, when present. */
  frameRate?: number;
}

/**
 * Parses the payload of a sequence header OBU.
 *
 * @param payload the OBU payload (after header and size field)
 * @returns the parsed fields
 * @throws {BitstreamError} on truncation or invalid values
 *
 * @example Parse a 64x64 Main profile header
 * ```ts
 * import { parseAv1SequenceHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const seq = parseAv1SequenceHeader(new Uint8Array([0, 0, 0, 2, 0xaf, 0xff, 0x9b, 0x5f, 0x20, 0x08]));
 * assert.equal(seq.profile, 0);
 * assert.equal(seq.width, 64);
 * assert.equal(seq.bitDepth, 8);
 * ```
 */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const r = new BitReader(payload);
  const profile = r.readBits(3);
  if (profile > 2) fail(r, `seq_profile ${profile}`);
  const stillPicture = r.readFlag();
  const reducedStillPictureHeader = r.readFlag();
  let level = 0;
  let tier = false;
  let frameRate: number | undefined;
  if (reducedStillPictureHeader) {
    level = r.readBits(5);
  } else {
    let decoderModel = false;
    let bufferDelayBits = 0;
    if (r.readFlag()) { // timing_info_present_flag
      const unitsPerTick = r.readBits(32);
      const timeScale = r.readBits(32);
      if (r.readFlag()) { // equal_picture_interval
        const ticks = readUvlc(r) + 1;
        if (unitsPerTick > 0) frameRate = timeScale / (unitsPerTick * ticks);
      }
      decoderModel = r.readFlag();
      if (decoderModel) {
        bufferDelayBits = r.readBits(5) + 1;
        r.skip(32 + 5 + 5);
      }
    }
    const displayDelay = r.readFlag();
    const points = r.readBits(5) + 1;
    for (let i = 0; i < points; i++) {
      r.skip(12); // operating_point_idc
      const idx = r.readBits(5);
      const t = idx > 7 ? r.readFlag() : false;
      if (i === 0) [level, tier] = [idx, t];
      if (decoderModel && r.readFlag()) r.skip(2 * bufferDelayBits + 1);
      if (displayDelay && r.readFlag()) r.skip(4);
    }
  }
  const widthBits = r.readBits(4) + 1;
  const heightBits = r.readBits(4) + 1;
  const width = r.readBits(widthBits) + 1;
  const height = r.readBits(heightBits) + 1;
  if (!reducedStillPictureHeader && r.readFlag()) r.skip(7); // frame id lengths
  r.skip(3); // 128x128 superblock, filter intra, intra edge filter
  if (!reducedStillPictureHeader) {
    r.skip(4); // interintra, masked compound, warped motion, dual filter
    const orderHint = r.readFlag();
    if (orderHint) r.skip(2); // jnt_comp, ref_frame_mvs
    const chooseScreenContent = r.readFlag();
    const forceScreenContent = chooseScreenContent ? 2 : r.readBits(1);
    if (forceScreenContent > 0 && !r.readFlag()) r.skip(1); // integer mv
    if (orderHint) r.skip(3);
  }
  r.skip(3); // superres, cdef, restoration
  const header: Av1SequenceHeader = {
    profile,
    stillPicture,
    reducedStillPictureHeader,
    level,
    tier,
    width,
    height,
    ...readColorConfig(r, profile),
  };
  if (frameRate !== undefined) header.frameRate = frameRate;
  return header;
}

type ColorConfig = Pick<
  Av1SequenceHeader,
  | "bitDepth"
  | "monochrome"
  | "subsamplingX"
  | "subsamplingY"
  | "chromaSamplePosition"
  | "colourPrimaries"
  | "transferCharacteristics"
  | "matrixCoefficients"
  | "fullRange"
>;

/** color_config() (§5.5.2). */
function readColorConfig(r: BitReader, profile: number): ColorConfig {
  const high = r.readFlag();
  const bitDepth = profile === 2 && high
    ? (r.readFlag() ? 12 : 10)
    : high
    ? 10
    : 8;
  const monochrome = profile === 1 ? false : r.readFlag();
  let [cp, tc, mc] = [2, 2, 2];
  if (r.readFlag()) {
    [cp, tc, mc] = [r.readBits(8), r.readBits(8), r.readBits(8)];
  }
  const base = {
    bitDepth,
    monochrome,
    colourPrimaries: cp,
    transferCharacteristics: tc,
    matrixCoefficients: mc,
  };
  if (monochrome) {
    return {
      ...base,
      fullRange: r.readFlag(),
      subsamplingX: 1,
      subsamplingY: 1,
      chromaSamplePosition: 0,
    };
  }
  if (cp === 1 && tc === 13 && mc === 0) {
    return {
      ...base,
      fullRange: true,
      subsamplingX: 0,
      subsamplingY: 0,
      chromaSamplePosition: 0,
    };
  }
  const fullRange = r.readFlag();
  let [sx, sy] = profile === 0 ? [1, 1] : profile === 1 ? [0, 0] : [1, 0];
  if (profile === 2 && bitDepth === 12) {
    sx = r.readBits(1);
    sy = sx ? r.readBits(1) : 0;
  }
  const position = sx && sy ? r.readBits(2) : 0;
  r.skip(1); // separate_uv_delta_q
  return {
    ...base,
    fullRange,
    subsamplingX: sx,
    subsamplingY: sy,
    chromaSamplePosition: position,
  };
}

/** uvlc() (§4.10.3), capped at 32 leading zeros. */
function readUvlc(r: BitReader): number {
  let zeros = 0;
  while (!r.readFlag()) {
    if (++zeros >= 32) return 2 ** 32 - 1;
  }
  return zeros === 0 ? 0 : r.readBits(zeros) + 2 ** zeros - 1;
}

function fail(r: BitReader, state: string): never {
  throw new BitstreamError(`Cannot parse AV1 sequence header: ${state}`, {
    byteOffset: r.bitPosition >>> 3,
  });
}

/**
 * A parsed av1C record.
 *
 * Specification: AV1-ISOBMFF §2.3.3, AV1CodecConfigurationRecord.
 *
 * @example Read an av1C
 * ```ts
 * import { type Av1DecoderConfig, parseAv1DecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config: Av1DecoderConfig = parseAv1DecoderConfig(new Uint8Array([0x81, 0x00, 0x0c, 0x00]));
 * assert.equal(config.configObus.length, 0);
 * ```
 */
export interface Av1DecoderConfig {
  /** seq_profile. */
  profile: number;
  /** seq_level_idx_0. */
  level: number;
  /** seq_tier_0. */
  tier: boolean;
  /** Bit depth from high_bitdepth/twelve_bit. */
  bitDepth: number;
  /** monochrome. */
  monochrome: boolean;
  /** chroma_subsampling_x. */
  subsamplingX: number;
  /** chroma_subsampling_y. */
  subsamplingY: number;
  /** chroma_sample_position. */
  chromaSamplePosition: number;
  /** initial_presentation_delay_minus_one + 1, when present. */
  initialPresentationDelay?: number;
  /** configOBUs (sequence header and metadata OBUs), a view. */
  configObus: Uint8Array;
}

/**
 * Parses an av1C record.
 *
 * @param data the record bytes
 * @returns the parsed fields
 * @throws {BitstreamError} when it is shorter than 4 bytes or the marker/version is wrong
 *
 * @example Parse a record
 * ```ts
 * import { parseAv1DecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = parseAv1DecoderConfig(new Uint8Array([0x81, 0x08, 0x0c, 0x00]));
 * assert.equal(config.level, 8);
 * assert.equal(config.bitDepth, 8);
 * ```
 */
export function parseAv1DecoderConfig(data: Uint8Array): Av1DecoderConfig {
  if (data.length < 4 || data[0] !== 0x81) {
    throw new BitstreamError(
      "Cannot parse av1C: need 4 bytes starting with marker 1 and version 1",
      { byteOffset: 0 },
    );
  }
  const b1 = data[1]!;
  const b2 = data[2]!;
  const b3 = data[3]!;
  const config: Av1DecoderConfig = {
    profile: b1 >>> 5,
    level: b1 & 0x1f,
    tier: (b2 & 0x80) !== 0,
    bitDepth: (b2 & 0x40) === 0 ? 8 : (b2 & 0x20) !== 0 ? 12 : 10,
    monochrome: (b2 & 0x10) !== 0,
    subsamplingX: (b2 >>> 3) & 1,
    subsamplingY: (b2 >>> 2) & 1,
    chromaSamplePosition: b2 & 3,
    configObus: data.subarray(4),
  };
  if ((b3 & 0x10) !== 0) config.initialPresentationDelay = (b3 & 0xf) + 1;
  return config;
}

/**
 * Builds an av1C record from a sequence header OBU (copied verbatim into
 * configOBUs, as FFmpeg writes it).
 *
 * @param sequenceHeaderObu a complete sequence header OBU (with its header and size field)
 * @returns the record bytes
 * @throws {BitstreamError} when the OBU is not a valid sequence header
 *
 * @example Build from a sequence header OBU
 * ```ts
 * import { buildAv1DecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const obu = new Uint8Array([0x0a, 0x0a, 0, 0, 0, 2, 0xaf, 0xff, 0x9b, 0x5f, 0x20, 0x08]);
 * assert.deepEqual([...buildAv1DecoderConfig(obu).subarray(0, 4)], [0x81, 0x00, 0x0c, 0x00]);
 * ```
 */
export function buildAv1DecoderConfig(
  sequenceHeaderObu: Uint8Array,
): Uint8Array {
  const obu = splitAv1Obus(sequenceHeaderObu)[0];
  if (obu === undefined || obu.type !== Av1ObuType.SequenceHeader) {
    throw new BitstreamError("Cannot build av1C: not a sequence header OBU", {
      byteOffset: 0,
    });
  }
  const seq = parseAv1SequenceHeader(obu.payload);
  const out = new Uint8Array(4 + obu.data.length);
  out[0] = 0x81;
  out[1] = (seq.profile << 5) | seq.level;
  out[2] = (seq.tier ? 0x80 : 0) | (seq.bitDepth > 8 ? 0x40 : 0) |
    (seq.bitDepth === 12 ? 0x20 : 0) | (seq.monochrome ? 0x10 : 0) |
    (seq.subsamplingX << 3) | (seq.subsamplingY << 2) |
    seq.chromaSamplePosition;
  out.set(obu.data, 4);
  return out;
}
