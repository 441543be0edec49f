/**
 * Opus identification header ("OpusHead") parse and build.
 *
 * Specification: RFC 7845 §5.1 (Ogg Opus ID header).
 *
 * ```text
 * "OpusHead"(8) version(u8) channel_count(u8) pre_skip(u16 LE)
 * input_sample_rate(u32 LE) output_gain(i16 LE, Q7.8 dB) mapping_family(u8)
 * [mapping_family != 0: stream_count(u8) coupled_count(u8) channel_mapping(channel_count)]
 * ```
 *
 * Data path: fixed-offset little-endian reads; the channel mapping is a view
 * of the input.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";

/**
 * Opus always decodes at 48 kHz (RFC 6716 §2); `pre_skip` counts 48 kHz samples.
 *
 * @example Opus decodes at 48 kHz
 * ```ts
 * import { OPUS_SAMPLE_RATE } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(OPUS_SAMPLE_RATE, 48000);
 * ```
 */
export const OPUS_SAMPLE_RATE = 48000;

const MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // "OpusHead"

/**
 * A parsed OpusHead.
 *
 * Specification: RFC 7845 §5.1, Identification Header.
 *
 * @example Fields of a header
 * ```ts
 * import { type OpusHead, parseOpusHead } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const head: OpusHead = parseOpusHead(new Uint8Array([
 *   0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 1, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0,
 * ]));
 * assert.equal(head.channels, 1);
 * assert.equal(head.coupledCount, 0);
 * ```
 */
export interface OpusHead {
  /** Version (major version must be 0). */
  version: number;
  /** Output channel count (≥ 1). */
  channels: number;
  /** Samples (at 48 kHz) to discard from the decoder output at the start. */
  preSkip: number;
  /** The original input sample rate in Hz (informational; 0 = unknown). */
  inputSampleRate: number;
  /** Output gain in Q7.8 dB. */
  outputGain: number;
  /** Channel mapping family (0 = mono/stereo, 1 = Vorbis order, 255 = none). */
  mappingFamily: number;
  /** Number of Opus streams per packet (1 for family 0). */
  streamCount: number;
  /** Number of coupled (stereo) streams. */
  coupledCount: number;
  /** Output channel → decoded channel mapping (empty for family 0). */
  channelMapping: Uint8Array;
}

/**
 * Parses an OpusHead identification header.
 *
 * @param data the header (starting with "OpusHead")
 * @returns the parsed fields
 * @throws {BitstreamError} on a wrong magic, truncation, an unsupported major version or inconsistent counts
 *
 * @example Parse a stereo header
 * ```ts
 * import { parseOpusHead } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const head = parseOpusHead(new Uint8Array([
 *   0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0,
 * ]));
 * assert.equal(head.channels, 2);
 * assert.equal(head.preSkip, 312);
 * assert.equal(head.inputSampleRate, 48000);
 * ```
 */
export function parseOpusHead(data: Uint8Array): OpusHead {
  if (data.length < 19 || MAGIC.some((b, i) => data[i] !== b)) {
    throw new BitstreamError(
      `Cannot parse OpusHead: ${
        data.length < 19 ? `${data.length} bytes, need 19` : "no OpusHead magic"
      }`,
      { byteOffset: 0 },
    );
  }
  const version = data[8]!;
  if (version >> 4 !== 0) {
    throw new BitstreamError(
      `Cannot parse OpusHead: unsupported version ${version}`,
      { byteOffset: 8 },
    );
  }
  const channels = data[9]!;
  const mappingFamily = data[18]!;
  if (channels === 0 || (mappingFamily === 0 && channels > 2)) {
    throw new BitstreamError(
      `Cannot parse OpusHead: ${channels} channels with mapping family ${mappingFamily}`,
      { byteOffset: 9 },
    );
  }
  const head: OpusHead = {
    version,
    channels,
    preSkip: data[10]! | (data[11]! << 8),
    inputSampleRate: (data[12]! | (data[13]! << 8) | (data[14]! << 16) |
      (data[15]! << 24)) >>> 0,
    outputGain: ((data[16]! | (data[17]! << 8)) << 16) >> 16,
    mappingFamily,
    streamCount: 1,
    coupledCount: channels - 1,
    channelMapping: new Uint8Array(0),
  };
  if (mappingFamily !== 0) {
    if (data.length < 21 + channels) {
      throw new BitstreamError(
        `Cannot parse OpusHead: ${data.length} bytes, the channel mapping needs ${
          21 + channels
        }`,
        { byteOffset: 19 },
      );
    }
    head.streamCount = data[19]!;
    head.coupledCount = data[20]!;
    if (head.streamCount === 0 || head.coupledCount > head.streamCount) {
      throw new BitstreamError(
        `Cannot parse OpusHead: ${head.coupledCount} coupled of ${head.streamCount} streams`,
        { byteOffset: 19 },
      );
    }
    head.channelMapping = data.subarray(21, 21 + channels);
  }
  return head;
}

/**
 * Builds an OpusHead (version 1). Family 0 headers are 19 bytes.
 *
 * @param head the fields; `version` is ignored (1 is written)
 * @returns the header bytes
 * @throws {RangeError} when a field does not fit
 *
 * @example Round trip
 * ```ts
 * import { buildOpusHead, parseOpusHead } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const bytes = buildOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48000, outputGain: 0,
 *   mappingFamily: 0, streamCount: 1, coupledCount: 1, channelMapping: new Uint8Array(0) });
 * assert.equal(parseOpusHead(bytes).preSkip, 312);
 * ```
 */
export function buildOpusHead(head: Omit<OpusHead, "version">): Uint8Array {
  const family = head.mappingFamily;
  if (head.channels < 1 || head.channels > 255 || family < 0 || family > 255) {
    throw new RangeError(
      `Cannot build OpusHead: ${head.channels} channels, family ${family}`,
    );
  }
  if (family !== 0 && head.channelMapping.length !== head.channels) {
    throw new RangeError(
      `Cannot build OpusHead: mapping has ${head.channelMapping.length} entries for ${head.channels} channels`,
    );
  }
  const out = new Uint8Array(family === 0 ? 19 : 21 + head.channels);
  out.set(MAGIC);
  const view = new DataView(out.buffer);
  out[8] = 1;
  out[9] = head.channels;
  view.setUint16(10, head.preSkip, true);
  view.setUint32(12, head.inputSampleRate, true);
  view.setInt16(16, head.outputGain, true);
  out[18] = family;
  if (family !== 0) {
    out[19] = head.streamCount;
    out[20] = head.coupledCount;
    out.set(head.channelMapping, 21);
  }
  return out;
}
