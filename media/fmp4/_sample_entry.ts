/**
 * Internal: the `stsd` sample entry of one track, with its codec
 * configuration box.
 *
 * ```
 * avc1|hvc1|av01|vp09            VisualSampleEntry   14496-12 §12.1.3
 *   avcC                          AVCDecoderConfigurationRecord   14496-15 §5.3.3.1
 *   hvcC                          HEVCDecoderConfigurationRecord  14496-15 §8.3.3.1
 *   av1C                          AV1CodecConfigurationRecord     AV1-ISOBMFF §2.3
 *   vpcC (FullBox v1)             VPCodecConfigurationRecord      VP-ISOBMFF §2.2
 * mp4a                           AudioSampleEntry    14496-12 §12.2.3
 *   esds (FullBox v0)             ES_Descriptor       14496-14 §5.6, 14496-1 §7.2.6.5
 * Opus                           AudioSampleEntry
 *   dOps                          OpusSpecificBox     Opus-in-ISOBMFF §4.3.2
 * ```
 *
 * @module
 */
import { BitstreamError } from "../stream_error.ts";
import { type BoxWriter, fourcc } from "./_box_writer.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

const AVC1 = fourcc("avc1");
const AVCC = fourcc("avcC");
const HVC1 = fourcc("hvc1");
const HVCC = fourcc("hvcC");
const AV01 = fourcc("av01");
const AV1C = fourcc("av1C");
const VP09 = fourcc("vp09");
const VPCC = fourcc("vpcC");
const MP4A = fourcc("mp4a");
const ESDS = fourcc("esds");
const OPUS = fourcc("Opus");
const DOPS = fourcc("dOps");

/** 72 dpi in 16.16 fixed point, the value 14496-12 requires for horiz/vertresolution. */
const DPI_72 = 0x0048_0000;
/** ES descriptor tags, ISO/IEC 14496-1 §7.2.2.1. */
const ES_DESCR_TAG = 0x03;
const DECODER_CONFIG_DESCR_TAG = 0x04;
const DEC_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCR_TAG = 0x06;
/** objectTypeIndication for MPEG-4 Audio (AAC), 14496-1 Table 5. */
const OBJECT_TYPE_AAC = 0x40;
/** streamType 5 (AudioStream) << 2 | upStream 0 | reserved 1. */
const STREAM_TYPE_AUDIO = 0x15;
/** Length of "OpusHead" + version + channels + pre-skip + rate + gain + family (RFC 7845 §5.1). */
const OPUS_HEAD_MIN_BYTES = 19;

/** Write the sample entry (with its configuration box) of `track`. */
export function writeSampleEntry(w: BoxWriter, track: Fmp4Track): void {
  switch (track.codec) {
    case "h264":
      return writeVisual(w, track, AVC1, AVCC, track.config);
    case "h265":
      return writeVisual(w, track, HVC1, HVCC, track.config);
    case "av1":
      return writeVisual(w, track, AV01, AV1C, track.config);
    case "vp9":
      return writeVisual(w, track, VP09, VPCC, vpccRecord(track.config));
    case "aac":
      return writeMp4a(w, track);
    case "opus":
      return writeOpus(w, track);
    default:
      throw new BitstreamError(
        `Cannot write an fMP4 sample entry for ${track.codec}: supported are h264, h265, av1, vp9, aac, opus`,
        { byteOffset: 0 },
      );
  }
}

function writeVisual(
  w: BoxWriter,
  track: Fmp4Track,
  type: number,
  configType: number,
  config: Uint8Array,
): void {
  const entry = w.box(type);
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index
  w.zeros(16); // pre_defined, reserved, pre_defined[3]
  w.u16(track.width);
  w.u16(track.height);
  w.u32(DPI_72);
  w.u32(DPI_72);
  w.u32(0); // reserved
  w.u16(1); // frame_count
  w.zeros(32); // compressorname
  w.u16(0x0018); // depth
  w.i16(-1); // pre_defined
  if (configType === VPCC) {
    const box = w.fullBox(configType, 1, 0);
    w.raw(config);
    w.end(box);
  } else {
    const box = w.box(configType);
    w.raw(config);
    w.end(box);
  }
  w.end(entry);
}

/**
 * The VPCodecConfigurationRecord without the FullBox version/flags, whether
 * `config` carries them (a whole vpcC payload) or not. VP-ISOBMFF §2.2: the
 * record is 8 bytes plus `codecIntializationDataSize` bytes.
 */
function vpccRecord(config: Uint8Array): Uint8Array {
  if (
    config.length >= 8 && 8 + ((config[6]! << 8) | config[7]!) === config.length
  ) {
    return config;
  }
  if (
    config.length >= 12 &&
    12 + ((config[10]! << 8) | config[11]!) === config.length
  ) {
    return config.subarray(4);
  }
  throw new BitstreamError(
    `Cannot read VPCodecConfigurationRecord: ${config.length} bytes match neither layout`,
    { byteOffset: 0 },
  );
}

function writeAudioEntryHeader(
  w: BoxWriter,
  type: number,
  channels: number,
  sampleRate: number,
): number {
  const entry = w.box(type);
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index
  w.zeros(8); // reserved[2]
  w.u16(channels);
  w.u16(16); // samplesize
  w.zeros(4); // pre_defined, reserved
  // 16.16 fixed point; rates above 65535 Hz do not fit and are carried by the config.
  w.u32(sampleRate <= 0xffff ? sampleRate * 0x1_0000 : 0);
  return entry;
}

/** A descriptor header with the 4-byte size form (0x80 0x80 0x80 n), as ffmpeg writes it. */
function descriptor(w: BoxWriter, tag: number, size: number): void {
  w.u8(tag);
  w.u8(0x80 | ((size >>> 21) & 0x7f));
  w.u8(0x80 | ((size >>> 14) & 0x7f));
  w.u8(0x80 | ((size >>> 7) & 0x7f));
  w.u8(size & 0x7f);
}

function writeMp4a(w: BoxWriter, track: Fmp4Track): void {
  const entry = writeAudioEntryHeader(
    w,
    MP4A,
    track.channels,
    track.sampleRate,
  );
  const esds = w.fullBox(ESDS, 0, 0);
  const asc = track.config;
  const decSpecific = 5 + asc.length;
  const decoderConfig = 13 + decSpecific;
  const slConfig = 5 + 1;
  descriptor(w, ES_DESCR_TAG, 3 + 5 + decoderConfig + slConfig);
  w.u16(0); // ES_ID
  w.u8(0); // flags
  descriptor(w, DECODER_CONFIG_DESCR_TAG, decoderConfig);
  w.u8(OBJECT_TYPE_AAC);
  w.u8(STREAM_TYPE_AUDIO);
  w.u24(0); // bufferSizeDB
  w.u32(0); // maxBitrate
  w.u32(0); // avgBitrate
  descriptor(w, DEC_SPECIFIC_INFO_TAG, asc.length);
  w.raw(asc);
  descriptor(w, SL_CONFIG_DESCR_TAG, 1);
  w.u8(0x02); // predefined: reserved for use in MP4 files
  w.end(esds);
  w.end(entry);
}

/** Opus: the little-endian OpusHead (RFC 7845 §5.1) rewritten as the big-endian dOps. */
function writeOpus(w: BoxWriter, track: Fmp4Track): void {
  const head = track.config;
  if (head.length < OPUS_HEAD_MIN_BYTES) {
    throw new BitstreamError(
      `Cannot read OpusHead: ${head.length} bytes, at least ${OPUS_HEAD_MIN_BYTES} needed`,
      { byteOffset: head.length },
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const channels = head[9]!;
  const family = head[18]!;
  const mappingBytes = family === 0 ? 0 : 2 + channels;
  if (head.length < OPUS_HEAD_MIN_BYTES + mappingBytes) {
    throw new BitstreamError(
      `Cannot read OpusHead channel mapping: ${head.length} bytes, ${
        OPUS_HEAD_MIN_BYTES + mappingBytes
      } needed`,
      { byteOffset: head.length },
    );
  }
  const entry = writeAudioEntryHeader(w, OPUS, channels, 48000);
  const dops = w.box(DOPS);
  w.u8(0); // Version
  w.u8(channels); // OutputChannelCount
  w.u16(view.getUint16(10, true)); // PreSkip
  w.u32(view.getUint32(12, true)); // InputSampleRate
  w.i16(view.getInt16(16, true)); // OutputGain
  w.u8(family); // ChannelMappingFamily
  if (mappingBytes > 0) w.raw(head.subarray(19, 19 + mappingBytes));
  w.end(dops);
  w.end(entry);
}
