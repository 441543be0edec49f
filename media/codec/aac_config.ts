/**
 * MPEG-4 AudioSpecificConfig parse and build: audio object type (with the
 * escape to 32+), sampling frequency index with explicit 24-bit rate, channel
 * configuration, GASpecificConfig, and SBR/PS signalling both explicit
 * (object types 5/29) and backward-compatible (sync extensions 0x2b7/0x548).
 *
 * Specification: ISO/IEC 14496-3 §1.6.2.1 (AudioSpecificConfig), §4.4.1
 * (GASpecificConfig), §1.6.6.2 (SBR/PS signalling).
 *
 * Data path: a few bytes read with a {@linkcode BitReader}; building sizes the
 * record in bits first and writes it into one allocation.
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { BitReader } from "./bit_reader.ts";
import { BitWriter } from "./_bit_writer.ts";

/**
 * Sampling frequencies for samplingFrequencyIndex 0..12 (ISO/IEC 14496-3 Table 1.18).
 *
 * @example Look up an index
 * ```ts
 * import { AAC_SAMPLE_RATES } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * assert.equal(AAC_SAMPLE_RATES.indexOf(44100), 4);
 * ```
 */
export const AAC_SAMPLE_RATES: readonly number[] = Object.freeze([
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
  7350,
]);

/** Output channels per channelConfiguration (ISO/IEC 14496-3 Table 1.19, 23003-3). */
const CHANNELS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24];

/** Object types that carry a GASpecificConfig (ISO/IEC 14496-3 §1.6.2.1). */
const GA_TYPES: ReadonlySet<number> = new Set([
  1,
  2,
  3,
  4,
  6,
  7,
  17,
  19,
  20,
  21,
  22,
  23,
]);

/** Error-resilient object types with the three resilience flags (§4.4.1). */
const ER_TYPES: ReadonlySet<number> = new Set([17, 19, 20, 23]);

/**
 * A parsed AudioSpecificConfig.
 *
 * Specification: ISO/IEC 14496-3 §1.6.2.1, AudioSpecificConfig.
 *
 * @example Read a config
 * ```ts
 * import { type AudioSpecificConfig, parseAudioSpecificConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const asc: AudioSpecificConfig = parseAudioSpecificConfig(new Uint8Array([0x11, 0x90]));
 * assert.equal(asc.sampleRate, 48000);
 * assert.equal(asc.sbr, false);
 * ```
 */
export interface AudioSpecificConfig {
  /** The core audio object type (2 = AAC LC, also for HE-AAC, whose core is LC). */
  objectType: number;
  /** The first object type written (5 = SBR, 29 = PS for explicit HE-AAC; else equal to `objectType`); the `mp4a.40.N` number. */
  signalledObjectType: number;
  /** samplingFrequencyIndex (15 = explicit rate). */
  samplingFrequencyIndex: number;
  /** Core sampling rate in Hz. */
  sampleRate: number;
  /** channelConfiguration (0 = defined by a program config element). */
  channelConfiguration: number;
  /** Output channel count (0 when given by a program config element). */
  channels: number;
  /** Spectral band replication signalled (HE-AAC). */
  sbr: boolean;
  /** Parametric stereo signalled (HE-AAC v2). */
  ps: boolean;
  /** Output sampling rate with SBR (double the core rate), else `sampleRate`. */
  outputSampleRate: number;
  /** Samples per frame: 1024 or 960 (frameLengthFlag). */
  frameLength: number;
}

/**
 * Parses an AudioSpecificConfig.
 *
 * @param data the record (an RTMP AAC sequence header body or esds DecoderSpecificInfo)
 * @returns the parsed fields
 * @throws {BitstreamError} on truncation or a reserved sampling frequency index
 *
 * @example AAC LC, 44.1 kHz, stereo
 * ```ts
 * import { parseAudioSpecificConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const asc = parseAudioSpecificConfig(new Uint8Array([0x12, 0x10]));
 * assert.equal(asc.objectType, 2);
 * assert.equal(asc.sampleRate, 44100);
 * assert.equal(asc.channels, 2);
 * ```
 */
export function parseAudioSpecificConfig(
  data: Uint8Array,
): AudioSpecificConfig {
  const r = new BitReader(data);
  const signalledObjectType = readObjectType(r);
  let objectType = signalledObjectType;
  const [samplingFrequencyIndex, sampleRate] = readFrequency(r);
  const channelConfiguration = r.readBits(4);
  let sbr = false;
  let ps = false;
  let outputSampleRate = sampleRate;
  if (objectType === 5 || objectType === 29) {
    sbr = true;
    ps = objectType === 29;
    outputSampleRate = readFrequency(r)[1];
    objectType = readObjectType(r);
    if (objectType === 22) r.skip(4); // extensionChannelConfiguration
  }
  let frameLength = 1024;
  if (GA_TYPES.has(objectType)) {
    frameLength = r.readFlag() ? 960 : 1024;
    if (r.readFlag()) r.skip(14); // coreCoderDelay
    const extensionFlag = r.readFlag();
    // channelConfiguration 0 is followed by a program_config_element, which
    // this parser does not read: the fields after it (and the backward-
    // compatible SBR/PS extension) are then not examined.
    if (channelConfiguration !== 0) {
      if (objectType === 6 || objectType === 20) r.skip(3); // layerNr
      if (extensionFlag) {
        if (objectType === 22) r.skip(16);
        if (ER_TYPES.has(objectType)) r.skip(3); // aacSection/Scalefactor/SpectralDataResilienceFlag
        r.skip(1); // extensionFlag3
      }
      // Backward-compatible SBR/PS signalling (§1.6.6.2.3).
      if (!sbr && r.bitsLeft >= 16 && r.readBits(11) === 0x2b7) {
        if (readObjectType(r) === 5 && r.readFlag()) {
          sbr = true;
          outputSampleRate = readFrequency(r)[1];
          if (r.bitsLeft >= 12 && r.readBits(11) === 0x548) ps = r.readFlag();
        }
      }
    }
  }
  return {
    objectType,
    signalledObjectType,
    samplingFrequencyIndex,
    sampleRate,
    channelConfiguration,
    channels: CHANNELS[channelConfiguration] ?? 0,
    sbr,
    ps,
    outputSampleRate,
    frameLength,
  };
}

function readObjectType(r: BitReader): number {
  const type = r.readBits(5);
  return type === 31 ? 32 + r.readBits(6) : type;
}

function readFrequency(r: BitReader): [number, number] {
  const index = r.readBits(4);
  if (index === 15) {
    const rate = r.readBits(24);
    if (rate === 0) {
      throw new BitstreamError(
        "Cannot parse AudioSpecificConfig: explicit sampling frequency 0",
        {
          byteOffset: r.bitPosition >>> 3,
        },
      );
    }
    return [index, rate];
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) {
    throw new BitstreamError(
      `Cannot parse AudioSpecificConfig: reserved sampling frequency index ${index}`,
      { byteOffset: r.bitPosition >>> 3 },
    );
  }
  return [index, rate];
}

/**
 * Input of {@linkcode buildAudioSpecificConfig}.
 *
 * @example Build input
 * ```ts
 * import { type AudioSpecificConfigInit, buildAudioSpecificConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const init: AudioSpecificConfigInit = { objectType: 2, sampleRate: 44100, channelConfiguration: 2 };
 * assert.deepEqual([...buildAudioSpecificConfig(init)], [0x12, 0x10]);
 * ```
 */
export interface AudioSpecificConfigInit {
  /** Audio object type (2 = AAC LC). */
  objectType: number;
  /** Sampling rate in Hz; written as an index when in the table, else explicitly. */
  sampleRate: number;
  /** channelConfiguration (1..7, 11..13). */
  channelConfiguration: number;
}

/**
 * Builds a plain AudioSpecificConfig with a GASpecificConfig (1024-sample
 * frames, no core coder, no extension): 2 bytes for a tabled rate, 5 with an
 * explicit one. HE-AAC is written as its core type (`objectType` 2) so every
 * decoder can play it.
 *
 * @param init object type, rate and channel configuration
 * @returns the record bytes
 * @throws {RangeError} when a field does not fit its syntax element
 *
 * @example Build AAC LC 48 kHz stereo
 * ```ts
 * import { buildAudioSpecificConfig } from "@arcly/stream/codec";
 * import assert from "node:assert/strict";
 *
 * const asc = buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channelConfiguration: 2 });
 * assert.deepEqual([...asc], [0x11, 0x90]);
 * ```
 */
export function buildAudioSpecificConfig(
  init: AudioSpecificConfigInit,
): Uint8Array {
  const { objectType, sampleRate, channelConfiguration } = init;
  if (
    !(objectType >= 1 && objectType <= 95 && objectType !== 31 &&
      Number.isInteger(objectType))
  ) {
    throw new RangeError(
      `Cannot build AudioSpecificConfig: object type ${objectType}`,
    );
  }
  if (!(channelConfiguration >= 0 && channelConfiguration <= 15)) {
    throw new RangeError(
      `Cannot build AudioSpecificConfig: channel configuration ${channelConfiguration}`,
    );
  }
  if (
    !(sampleRate > 0 && sampleRate < 2 ** 24 && Number.isInteger(sampleRate))
  ) {
    throw new RangeError(
      `Cannot build AudioSpecificConfig: sample rate ${sampleRate}`,
    );
  }
  const index = AAC_SAMPLE_RATES.indexOf(sampleRate);
  const ga = GA_TYPES.has(objectType) ? 3 : 0;
  const bits = (objectType >= 32 ? 11 : 5) + (index < 0 ? 28 : 4) + 4 + ga;
  const out = new Uint8Array(Math.ceil(bits / 8));
  const w = new BitWriter(out);
  if (objectType >= 32) {
    w.write(5, 31);
    w.write(6, objectType - 32);
  } else w.write(5, objectType);
  if (index < 0) {
    w.write(4, 15);
    w.write(24, sampleRate);
  } else w.write(4, index);
  w.write(4, channelConfiguration);
  w.write(ga, 0); // frameLengthFlag, dependsOnCoreCoder, extensionFlag
  return out;
}
