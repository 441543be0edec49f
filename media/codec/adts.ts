/**
 * ADTS (Audio Data Transport Stream) header parse and build, and splitting an
 * ADTS stream into raw AAC frames.
 *
 * Specification: ISO/IEC 13818-7 §6.2.1 (adts_fixed_header,
 * adts_variable_header), ISO/IEC 14496-3 §1.A.2.
 *
 * ```text
 * syncword(12)=0xFFF ID(1) layer(2)=0 protection_absent(1) profile(2)
 * sampling_frequency_index(4) private(1) channel_configuration(3)
 * original(1) home(1) copyright_id_bit(1) copyright_id_start(1)
 * aac_frame_length(13, header included) buffer_fullness(11) raw_blocks(2)
 * [crc_check(16) when protection_absent = 0]
 * ```
 *
 * Data path: headers are read from fixed bit positions; splitting validates
 * every header, then returns `subarray` views of the payloads (no copies).
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { AAC_SAMPLE_RATES, type AudioSpecificConfig } from "./aac_config.ts";

/**
 * Size of an ADTS header without CRC.
 *
 * @example Header size
 * ```ts
 * import { ADTS_HEADER_BYTES } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ADTS_HEADER_BYTES, 7);
 * ```
 */
export const ADTS_HEADER_BYTES = 7;

/**
 * Largest aac_frame_length (13 bits), header included.
 *
 * @example Largest frame
 * ```ts
 * import { MAX_ADTS_FRAME_BYTES } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_ADTS_FRAME_BYTES, 2 ** 13 - 1);
 * ```
 */
export const MAX_ADTS_FRAME_BYTES = 8191;

/**
 * A parsed ADTS header.
 *
 * Specification: ISO/IEC 13818-7 §6.2.1, adts_fixed_header + adts_variable_header.
 *
 * @example Read a header
 * ```ts
 * import { type AdtsHeader, parseAdtsHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header: AdtsHeader = parseAdtsHeader(new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]));
 * assert.equal(header.headerLength, 7);
 * assert.equal(header.mpegVersion, 4);
 * ```
 */
export interface AdtsHeader {
  /** 4 for MPEG-4 (ID 0), 2 for MPEG-2 (ID 1). */
  mpegVersion: 2 | 4;
  /** Audio object type: profile + 1 (2 = AAC LC). */
  objectType: number;
  /** sampling_frequency_index. */
  samplingFrequencyIndex: number;
  /** Sampling rate in Hz. */
  sampleRate: number;
  /** channel_configuration (0 = in-band program config element). */
  channelConfiguration: number;
  /** Header size: 7, or 9 with CRC. */
  headerLength: number;
  /** aac_frame_length: header plus payload bytes. */
  frameLength: number;
  /** number_of_raw_data_blocks_in_frame + 1. */
  rawDataBlocks: number;
}

/**
 * Parses the ADTS header at the start of `data`.
 *
 * @param data bytes starting with an ADTS sync word
 * @returns the header fields
 * @throws {BitstreamError} on a missing sync word, truncation, a non-zero layer, a reserved rate or a frame length shorter than its header
 *
 * @example Parse a header
 * ```ts
 * import { parseAdtsHeader } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header = parseAdtsHeader(new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]));
 * assert.equal(header.objectType, 2);
 * assert.equal(header.sampleRate, 44100);
 * assert.equal(header.channelConfiguration, 2);
 * assert.equal(header.frameLength, 16);
 * ```
 */
export function parseAdtsHeader(data: Uint8Array): AdtsHeader {
  if (data.length < ADTS_HEADER_BYTES) {
    throw new BitstreamError(
      `Cannot parse ADTS header: ${data.length} bytes, need 7`,
      { byteOffset: 0 },
    );
  }
  const b1 = data[1]!;
  const b2 = data[2]!;
  const b3 = data[3]!;
  if (data[0] !== 0xff || (b1 & 0xf6) !== 0xf0) {
    throw new BitstreamError(
      "Cannot parse ADTS header: no sync word (or layer is not 0)",
      { byteOffset: 0 },
    );
  }
  const headerLength = (b1 & 1) === 1 ? 7 : 9;
  const samplingFrequencyIndex = (b2 >>> 2) & 0xf;
  const sampleRate = AAC_SAMPLE_RATES[samplingFrequencyIndex];
  if (sampleRate === undefined) {
    throw new BitstreamError(
      `Cannot parse ADTS header: reserved sampling frequency index ${samplingFrequencyIndex}`,
      { byteOffset: 2 },
    );
  }
  const frameLength = ((b3 & 3) << 11) | (data[4]! << 3) | (data[5]! >>> 5);
  if (frameLength < headerLength) {
    throw new BitstreamError(
      `Cannot parse ADTS header: frame length ${frameLength} is shorter than the ${headerLength}-byte header`,
      { byteOffset: 3 },
    );
  }
  return {
    mpegVersion: (b1 & 8) === 0 ? 4 : 2,
    objectType: (b2 >>> 6) + 1,
    samplingFrequencyIndex,
    sampleRate,
    channelConfiguration: ((b2 & 1) << 2) | (b3 >>> 6),
    headerLength,
    frameLength,
    rawDataBlocks: (data[6]! & 3) + 1,
  };
}

/**
 * Builds a 7-byte ADTS header (MPEG-4, no CRC, VBR buffer fullness) for a raw
 * AAC frame of `payloadLength` bytes.
 *
 * @param config the stream's AudioSpecificConfig (its core object type, index and channels are written)
 * @param payloadLength raw frame bytes following the header
 * @returns the 7 header bytes
 * @throws {RangeError} when the object type is not 1..4, the rate has no index or the frame exceeds 8191 bytes
 *
 * @example Header for a 9-byte frame
 * ```ts
 * import { buildAdtsHeader, parseAudioSpecificConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const header = buildAdtsHeader(parseAudioSpecificConfig(new Uint8Array([0x12, 0x10])), 9);
 * assert.deepEqual([...header], [0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]);
 * ```
 */
export function buildAdtsHeader(
  config: Pick<
    AudioSpecificConfig,
    "objectType" | "samplingFrequencyIndex" | "channelConfiguration"
  >,
  payloadLength: number,
): Uint8Array {
  const { objectType, samplingFrequencyIndex, channelConfiguration } = config;
  if (objectType < 1 || objectType > 4) {
    throw new RangeError(
      `Cannot build ADTS header: object type ${objectType} does not fit the 2-bit profile`,
    );
  }
  if (samplingFrequencyIndex > 12 || channelConfiguration > 7) {
    throw new RangeError(
      `Cannot build ADTS header: frequency index ${samplingFrequencyIndex} / channels ${channelConfiguration} not representable`,
    );
  }
  const frameLength = payloadLength + ADTS_HEADER_BYTES;
  if (!(payloadLength >= 0 && frameLength <= MAX_ADTS_FRAME_BYTES)) {
    throw new RangeError(
      `Cannot build ADTS header: frame length ${frameLength} exceeds ${MAX_ADTS_FRAME_BYTES}`,
    );
  }
  const out = new Uint8Array(ADTS_HEADER_BYTES);
  out[0] = 0xff;
  out[1] = 0xf1;
  out[2] = ((objectType - 1) << 6) | (samplingFrequencyIndex << 2) |
    (channelConfiguration >>> 2);
  out[3] = ((channelConfiguration & 3) << 6) | (frameLength >>> 11);
  out[4] = (frameLength >>> 3) & 0xff;
  out[5] = ((frameLength & 7) << 5) | 0x1f;
  out[6] = 0xfc;
  return out;
}

/**
 * One frame of an ADTS stream: its header and a view of its raw payload.
 *
 * @example Payload of a frame
 * ```ts
 * import { type AdtsFrame, splitAdts } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const frames: AdtsFrame[] = splitAdts(new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0x01, 0x1f, 0xfc, 0xaa]));
 * assert.deepEqual([...frames[0]!.payload], [0xaa]);
 * ```
 */
export interface AdtsFrame {
  /** The parsed header. */
  header: AdtsHeader;
  /** The raw AAC payload (after header and CRC), a view into the input. */
  payload: Uint8Array;
}

/**
 * Splits an ADTS stream into frames (validates all headers first; payloads
 * are views, not copies).
 *
 * @param data concatenated ADTS frames
 * @returns the frames in order
 * @throws {BitstreamError} when a header is invalid or a frame is truncated
 *
 * @example Split a stream of two frames
 * ```ts
 * import { buildAdtsHeader, splitAdts } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const config = { objectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 2 };
 * const one = new Uint8Array([...buildAdtsHeader(config, 1), 0xaa]);
 * const frames = splitAdts(new Uint8Array([...one, ...one]));
 * assert.equal(frames.length, 2);
 * assert.deepEqual([...frames[1]!.payload], [0xaa]);
 * ```
 */
export function splitAdts(data: Uint8Array): AdtsFrame[] {
  let count = 0;
  for (let pos = 0; pos < data.length; count++) {
    const header = parseAdtsHeader(data.subarray(pos));
    if (header.frameLength > data.length - pos) {
      throw new BitstreamError(
        `Cannot split ADTS stream: frame of ${header.frameLength} bytes exceeds the remaining ${
          data.length - pos
        }`,
        { byteOffset: pos },
      );
    }
    pos += header.frameLength;
  }
  const frames = new Array<AdtsFrame>(count);
  for (let pos = 0, k = 0; k < count; k++) {
    const header = parseAdtsHeader(data.subarray(pos));
    frames[k] = {
      header,
      payload: data.subarray(
        pos + header.headerLength,
        pos + header.frameLength,
      ),
    };
    pos += header.frameLength;
  }
  return frames;
}
