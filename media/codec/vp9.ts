/**
 * VP9 uncompressed frame header (profile, key frame, show_existing_frame, bit
 * depth, colour space and range, subsampling, size), superframe index
 * splitting, and the VPCodecConfigurationRecord ("vpcC").
 *
 * Specification: VP9 Bitstream & Decoding Process v0.6 §6.2
 * (uncompressed_header), §7.2 / Annex B (superframes); VP Codec ISO Media File
 * Format Binding v1.0 §2.2 (VPCodecConfigurationRecord), §5 (level table).
 *
 * ```text
 * vpcC (12 bytes after the FullBox header): version(8)=1 flags(24)=0 profile(8) level(8)
 *   bitDepth(4) chromaSubsampling(3) videoFullRangeFlag(1) colourPrimaries(8)
 *   transferCharacteristics(8) matrixCoefficients(8) codecInitializationDataSize(16)=0
 * ```
 *
 * Data path: a {@linkcode BitReader} over the first bytes of the frame; the
 * header read is bounded by its fixed layout (≤ 10 bytes).
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader } from "./bit_reader.ts";

/**
 * The uncompressed header fields of one VP9 frame.
 *
 * Specification: VP9 §6.2, uncompressed_header().
 *
 * @example An inter frame header
 * ```ts
 * import { parseVp9FrameHeader, type Vp9FrameHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header: Vp9FrameHeader = parseVp9FrameHeader(new Uint8Array([0x86, 0x00]));
 * assert.equal(header.keyFrame, false);
 * assert.equal(header.width, 0);
 * ```
 */
export interface Vp9FrameHeader {
  /** Profile 0..3. */
  profile: number;
  /** show_existing_frame (the frame repeats a decoded one; no other fields are meaningful). */
  showExistingFrame: boolean;
  /** frame_type == KEY_FRAME. */
  keyFrame: boolean;
  /** intra_only (a non-key intra frame). */
  intraOnly: boolean;
  /** show_frame. */
  showFrame: boolean;
  /** Bit depth 8, 10 or 12 (key/intra-only frames; 8 otherwise). */
  bitDepth: number;
  /** color_space (0 unknown, 1 BT.601, 2 BT.709, 3 SMPTE-170, 4 SMPTE-240, 5 BT.2020, 7 sRGB). */
  colorSpace: number;
  /** color_range (true = full). */
  fullRange: boolean;
  /** subsampling_x. */
  subsamplingX: number;
  /** subsampling_y. */
  subsamplingY: number;
  /** frame_width_minus_1 + 1 (0 for inter frames, whose size is inherited). */
  width: number;
  /** frame_height_minus_1 + 1 (0 for inter frames). */
  height: number;
}

/**
 * Parses the uncompressed header of a VP9 frame (the first frame of a
 * superframe).
 *
 * @param frame the frame bytes
 * @returns the header fields
 * @throws {BitstreamError} on truncation, a bad frame marker or sync code
 *
 * @example Parse a 64x64 key frame header
 * ```ts
 * import { parseVp9FrameHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header = parseVp9FrameHeader(new Uint8Array([0x82, 0x49, 0x83, 0x42, 0x00, 0x03, 0xf0, 0x03, 0xf0, 0x00]));
 * assert.ok(header.keyFrame);
 * assert.equal(header.width, 64);
 * assert.equal(header.height, 64);
 * ```
 */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameHeader {
  const r = new BitReader(frame);
  if (r.readBits(2) !== 2) fail(r, "frame_marker is not 2");
  const low = r.readBit();
  const profile = (r.readBit() << 1) | low;
  if (profile === 3) r.skip(1);
  const header: Vp9FrameHeader = {
    profile,
    showExistingFrame: false,
    keyFrame: false,
    intraOnly: false,
    showFrame: true,
    bitDepth: 8,
    colorSpace: 0,
    fullRange: false,
    subsamplingX: 1,
    subsamplingY: 1,
    width: 0,
    height: 0,
  };
  if (r.readFlag()) {
    header.showExistingFrame = true;
    return header;
  }
  header.keyFrame = r.readBit() === 0;
  header.showFrame = r.readFlag();
  const errorResilient = r.readFlag();
  if (!header.keyFrame) {
    header.intraOnly = header.showFrame ? false : r.readFlag();
    if (!header.intraOnly) return header;
    if (!errorResilient) r.skip(2); // reset_frame_context
  }
  if (r.readBits(24) !== 0x498342) fail(r, "frame_sync_code mismatch");
  if (header.keyFrame || profile > 0) readColorConfig(r, header);
  if (header.intraOnly) r.skip(8); // refresh_frame_flags
  header.width = r.readBits(16) + 1;
  header.height = r.readBits(16) + 1;
  return header;
}

function readColorConfig(r: BitReader, h: Vp9FrameHeader): void {
  if (h.profile >= 2) h.bitDepth = r.readFlag() ? 12 : 10;
  h.colorSpace = r.readBits(3);
  const odd = h.profile === 1 || h.profile === 3;
  if (h.colorSpace !== 7) {
    h.fullRange = r.readFlag();
    if (odd) {
      h.subsamplingX = r.readBit();
      h.subsamplingY = r.readBit();
      r.skip(1);
    }
  } else {
    h.fullRange = true;
    h.subsamplingX = 0;
    h.subsamplingY = 0;
    if (odd) r.skip(1);
  }
}

function fail(r: BitReader, state: string): never {
  throw new BitstreamError(`Cannot parse VP9 frame header: ${state}`, {
    byteOffset: r.bitPosition >>> 3,
  });
}

/**
 * Splits a VP9 superframe into its frames (views); a plain frame is returned
 * alone.
 *
 * @param data one VP9 frame or superframe
 * @returns the frames
 * @throws {BitstreamError} when the superframe index sizes exceed the data
 *
 * @example A plain frame is its own only frame
 * ```ts
 * import { splitVp9Superframe } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(splitVp9Superframe(new Uint8Array([0x82, 0x49, 0x83])).length, 1);
 * ```
 */
export function splitVp9Superframe(data: Uint8Array): Uint8Array[] {
  const last = data[data.length - 1];
  if (last === undefined || (last & 0xe0) !== 0xc0) return [data];
  const frames = (last & 7) + 1;
  const bytes = ((last >>> 3) & 3) + 1;
  const indexSize = 2 + bytes * frames;
  if (indexSize > data.length || data[data.length - indexSize] !== last) {
    return [data];
  }
  const out: Uint8Array[] = [];
  let pos = 0;
  let at = data.length - indexSize + 1;
  for (let i = 0; i < frames; i++) {
    let size = 0;
    for (let b = 0; b < bytes; b++) size += data[at++]! * 2 ** (8 * b);
    if (size > data.length - indexSize - pos) {
      throw new BitstreamError(
        `Cannot split VP9 superframe: frame size ${size} exceeds the data`,
        { byteOffset: at - bytes },
      );
    }
    out.push(data.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/**
 * True when a VP9 frame (or superframe) starts with a key frame.
 *
 * @param data one VP9 frame or superframe
 * @returns whether decoding can start here
 * @throws {BitstreamError} when the header is malformed
 *
 * @example A key frame
 * ```ts
 * import { isVp9KeyFrame } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isVp9KeyFrame(new Uint8Array([0x82, 0x49, 0x83, 0x42, 0x00, 0x03, 0xf0, 0x03, 0xf0, 0x00])));
 * assert.ok(!isVp9KeyFrame(new Uint8Array([0x86, 0x00])));
 * ```
 */
export function isVp9KeyFrame(data: Uint8Array): boolean {
  const first = splitVp9Superframe(data)[0]!;
  const header = parseVp9FrameHeader(first);
  return header.keyFrame;
}

/**
 * A VPCodecConfigurationRecord.
 *
 * Specification: VP Codec ISO Media File Format Binding §2.2.
 *
 * @example A configuration
 * ```ts
 * import { type Vp9DecoderConfig, vp9CodecString } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config: Vp9DecoderConfig = { profile: 0, level: 31, bitDepth: 8, chromaSubsampling: 1, fullRange: false,
 *   colourPrimaries: 2, transferCharacteristics: 2, matrixCoefficients: 2 };
 * assert.equal(vp9CodecString(config), "vp09.00.31.08");
 * ```
 */
export interface Vp9DecoderConfig {
  /** Profile 0..3. */
  profile: number;
  /** Level × 10 (10 = level 1, 31 = level 3.1). */
  level: number;
  /** Bit depth 8, 10 or 12. */
  bitDepth: number;
  /** 0 = 4:2:0 vertical, 1 = 4:2:0 colocated, 2 = 4:2:2, 3 = 4:4:4. */
  chromaSubsampling: number;
  /** videoFullRangeFlag. */
  fullRange: boolean;
  /** colourPrimaries (ISO/IEC 23091-2; 2 = unspecified). */
  colourPrimaries: number;
  /** transferCharacteristics (2 = unspecified). */
  transferCharacteristics: number;
  /** matrixCoefficients (2 = unspecified). */
  matrixCoefficients: number;
}

/** VP9 levels: [level × 10, max luma picture size, max luma sample rate] (binding §5). */
const VP9_LEVELS: readonly (readonly [number, number, number])[] = [
  [10, 36864, 829440],
  [11, 73728, 2764800],
  [20, 122880, 4608000],
  [21, 245760, 9216000],
  [30, 552960, 20736000],
  [31, 983040, 36864000],
  [40, 2228224, 83558400],
  [41, 2228224, 160432128],
  [50, 8912896, 311951360],
  [51, 8912896, 588251136],
  [52, 8912896, 1176502272],
  [60, 35651584, 1176502272],
  [61, 35651584, 2353004544],
  [62, 35651584, 4706009088],
];

/** matrix_coefficients for each VP9 color_space (as FFmpeg maps them). */
const VP9_MATRIX: readonly number[] = [2, 5, 1, 6, 7, 9, 2, 0];

/**
 * Derives a vpcC description from a VP9 key frame header, computing the level
 * from the picture size and frame rate (level 1 when both are small).
 *
 * @param header a key frame header (with size and colour)
 * @param frameRate frames per second (default 30)
 * @returns the configuration
 *
 * @example Configuration of a 64x64 stream
 * ```ts
 * import { parseVp9FrameHeader, vp9DecoderConfigFromHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header = parseVp9FrameHeader(new Uint8Array([0x82, 0x49, 0x83, 0x42, 0x00, 0x03, 0xf0, 0x03, 0xf0, 0x00]));
 * assert.equal(vp9DecoderConfigFromHeader(header, 25).level, 10);
 * ```
 */
export function vp9DecoderConfigFromHeader(
  header: Vp9FrameHeader,
  frameRate = 30,
): Vp9DecoderConfig {
  const size = header.width * header.height;
  const rate = size * frameRate;
  const level =
    VP9_LEVELS.find(([, maxSize, maxRate]) =>
      size <= maxSize && rate <= maxRate
    )?.[0] ?? 62;
  const chromaSubsampling = header.subsamplingX === 0
    ? 3
    : header.subsamplingY === 0
    ? 2
    : 1;
  return {
    profile: header.profile,
    level,
    bitDepth: header.bitDepth,
    chromaSubsampling,
    fullRange: header.fullRange,
    colourPrimaries: 2,
    transferCharacteristics: 2,
    matrixCoefficients: VP9_MATRIX[header.colorSpace] ?? 2,
  };
}

/**
 * Builds the 12-byte vpcC payload (version 1, no codec initialization data).
 *
 * @param config the configuration
 * @returns the record bytes (the vpcC box content, FullBox header included)
 *
 * @example Build a record
 * ```ts
 * import { buildVp9DecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const vpcC = buildVp9DecoderConfig({ profile: 0, level: 10, bitDepth: 8, chromaSubsampling: 1,
 *   fullRange: false, colourPrimaries: 2, transferCharacteristics: 2, matrixCoefficients: 2 });
 * assert.deepEqual([...vpcC], [1, 0, 0, 0, 0, 10, 0x82, 2, 2, 2, 0, 0]);
 * ```
 */
export function buildVp9DecoderConfig(config: Vp9DecoderConfig): Uint8Array {
  const out = new Uint8Array(12);
  out[0] = 1;
  out[4] = config.profile;
  out[5] = config.level;
  out[6] = (config.bitDepth << 4) | (config.chromaSubsampling << 1) |
    (config.fullRange ? 1 : 0);
  out[7] = config.colourPrimaries;
  out[8] = config.transferCharacteristics;
  out[9] = config.matrixCoefficients;
  return out;
}

/**
 * Parses a vpcC payload (version 1; the 8-byte version-0 form is accepted too).
 *
 * @param data the vpcC box content
 * @returns the configuration
 * @throws {BitstreamError} when too short
 *
 * @example Parse a record
 * ```ts
 * import { parseVp9DecoderConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = parseVp9DecoderConfig(new Uint8Array([1, 0, 0, 0, 2, 31, 0xa2, 9, 16, 9, 0, 0]));
 * assert.equal(config.profile, 2);
 * assert.equal(config.bitDepth, 10);
 * ```
 */
export function parseVp9DecoderConfig(data: Uint8Array): Vp9DecoderConfig {
  if (data.length < 10) {
    throw new BitstreamError(
      `Cannot parse vpcC: ${data.length} bytes, need 12`,
      { byteOffset: 0 },
    );
  }
  const b = data[6]!;
  return {
    profile: data[4]!,
    level: data[5]!,
    bitDepth: b >>> 4,
    chromaSubsampling: (b >>> 1) & 7,
    fullRange: (b & 1) === 1,
    colourPrimaries: data[7]!,
    transferCharacteristics: data[8]!,
    matrixCoefficients: data[9]!,
  };
}
