/**
 * Per-track state of the MPEG-TS muxer and the conversion of one frame into
 * the ES bytes of its PES (as a list of views, so nothing is copied before the
 * final write).
 *
 * Specification: ISO/IEC 13818-1 Table 2-34 (stream_type), Table 2-22
 * (stream_id), §2.14 (AVC) and §2.17 (HEVC) carriage as Annex B byte streams
 * with access unit delimiters; ISO/IEC 13818-7 §6.2 (ADTS); the Opus project's
 * "Opus in MPEG-2 TS" ETSI draft (opus_control_header, registration
 * descriptor "Opus", extension descriptor 0x7F/0x80 with channel_config_code);
 * ITU-T H.264 §7.3.2.4 and H.265 §7.3.2.5 (access unit delimiter).
 *
 * Video access units get an AUD first; at each keyframe the parameter sets
 * from the config record (SPS/PPS, VPS/SPS/PPS) follow unless the access unit
 * already carries them. Existing AUDs are dropped (ours replaces them).
 *
 * @module
 */
import type { CodecId, MediaFrame } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import {
  AAC_SAMPLE_RATES,
  type AudioSpecificConfig,
  parseAudioSpecificConfig,
  parseAvcDecoderConfig,
  parseHevcDecoderConfig,
  parseOpusHead,
} from "../codec/mod.ts";

const START_CODE: Uint8Array = new Uint8Array([0, 0, 0, 1]);
const H264_AUD: Uint8Array = new Uint8Array([0, 0, 0, 1, 0x09, 0xf0]);
const H265_AUD: Uint8Array = new Uint8Array([0, 0, 0, 1, 0x46, 0x01, 0x50]);
/** Largest raw AAC frame an ADTS header can describe (13-bit frame_length). */
const MAX_ADTS_PAYLOAD = 8191 - 7;

/** An empty view: what a cleared {@linkcode PieceList} slot holds. */
const NO_BYTES: Uint8Array = new Uint8Array(0);
/** Size of a {@linkcode PieceList}'s header buffer (ADTS: ~290 frames). */
const HEAD_BYTES = 2048;

/**
 * The ES pieces of one mux call, in a list reused across calls: appending
 * allocates nothing once the list has grown to a segment's size, and
 * `clear()` drops the views (so no frame is kept alive) but keeps the
 * capacity (`length = 0` on an array would release it).
 */
export class PieceList {
  /** The views; only the first `length` are current. */
  readonly items: Uint8Array[] = [];
  /** Number of current views. */
  length = 0;

  /** Append a view. */
  push(piece: Uint8Array): void {
    this.items[this.length++] = piece;
  }

  /**
   * Small per-frame headers (ADTS, Opus control header), written here back
   * to back instead of into an array of their own each; a PES refers to its
   * header by offset (`headAt`, `headLength`) in this buffer.
   */
  bytes: Uint8Array = new Uint8Array(HEAD_BYTES);
  /** Offset in `bytes` of the current frame's header. */
  headAt = 0;
  /** Length of the current frame's header; 0 for none. */
  headLength = 0;
  #bytesUsed = 0;

  /**
   * Room for the current frame's `n`-byte header in `bytes`.
   *
   * @returns its offset in `bytes`
   */
  head(n: number): number {
    if (this.#bytesUsed + n > this.bytes.length) {
      // A fresh buffer: the headers already written stay in the old one,
      // which the plans that refer to them keep.
      this.bytes = new Uint8Array(Math.max(HEAD_BYTES, n));
      this.#bytesUsed = 0;
    }
    this.headAt = this.#bytesUsed;
    this.headLength = n;
    this.#bytesUsed += n;
    return this.headAt;
  }

  /** Forget every view and header, keep the capacity. */
  clear(): void {
    const items = this.items;
    for (let i = 0; i < this.length; i++) items[i] = NO_BYTES;
    this.length = 0;
    this.#bytesUsed = 0;
    this.headLength = 0;
  }
}

/** What the muxer knows about one track. */
export interface TrackState {
  readonly kind: "video" | "audio";
  readonly codec: CodecId;
  readonly trackId: number;
  readonly pid: number;
  /** stream_type for the PMT. */
  readonly streamType: number;
  /** PES stream_id. */
  readonly streamId: number;
  /** ES_info descriptors. */
  descriptors: Uint8Array;
  /** Parameter sets (each a view) to send before keyframes, in order. */
  paramSets: Uint8Array[];
  /** NAL length size of the media frames (avcC/hvcC). */
  lengthSize: number;
  /** AAC configuration, for the ADTS headers. */
  asc: AudioSpecificConfig | undefined;
}

const STREAM_TYPES: Readonly<Partial<Record<CodecId, [number, number]>>> = {
  h264: [0x1b, 0xe0],
  h265: [0x24, 0xe0],
  aac: [0x0f, 0xc0],
  mp3: [0x03, 0xc0],
  opus: [0x06, 0xbd],
};

/**
 * Create the state for a new track.
 *
 * @param frame the first frame seen for the track
 * @param pid its elementary PID
 * @returns the state, or undefined when TS cannot carry the codec
 */
export function newTrack(
  frame: MediaFrame,
  pid: number,
): TrackState | undefined {
  const types = STREAM_TYPES[frame.codec];
  if (types === undefined || frame.kind === "data") return undefined;
  return {
    kind: frame.kind,
    codec: frame.codec,
    trackId: frame.trackId,
    pid,
    streamType: types[0],
    streamId: types[1],
    descriptors: frame.codec === "opus"
      ? opusDescriptors(2)
      : new Uint8Array(0),
    paramSets: [],
    lengthSize: 4,
    asc: undefined,
  };
}

function opusDescriptors(channels: number): Uint8Array {
  // registration_descriptor "Opus"; extension_descriptor (0x7F) with
  // extension tag 0x80 and channel_config_code = channel count (families 0/1).
  return new Uint8Array([
    0x05,
    4,
    0x4f,
    0x70,
    0x75,
    0x73,
    0x7f,
    2,
    0x80,
    channels,
  ]);
}

/**
 * Apply a config frame (avcC, hvcC, AudioSpecificConfig, OpusHead) to a track.
 *
 * @param track the track
 * @param frame the config frame
 * @throws {BitstreamError} when the record is malformed
 */
export function configureTrack(track: TrackState, frame: MediaFrame): void {
  if (track.codec === "h264") {
    const avc = parseAvcDecoderConfig(frame.data);
    track.lengthSize = avc.lengthSize;
    track.paramSets = [...avc.sps, ...avc.pps];
  } else if (track.codec === "h265") {
    const hevc = parseHevcDecoderConfig(frame.data);
    track.lengthSize = hevc.lengthSize;
    const sets: Uint8Array[] = [];
    for (const type of [32, 33, 34]) {
      for (const array of hevc.arrays) {
        if (array.nalType === type) sets.push(...array.nalus);
      }
    }
    track.paramSets = sets;
  } else if (track.codec === "aac") {
    const asc = parseAudioSpecificConfig(frame.data);
    // ADTS has no escape for an explicit rate (index 15): map it to its index.
    const index = asc.samplingFrequencyIndex <= 12
      ? asc.samplingFrequencyIndex
      : AAC_SAMPLE_RATES.indexOf(asc.sampleRate);
    if (index < 0 || index > 12) {
      throw new StreamError(
        "Unsupported",
        `Cannot mux AAC at ${asc.sampleRate} Hz into ADTS: no sampling frequency index`,
      );
    }
    track.asc = { ...asc, samplingFrequencyIndex: index };
  } else if (track.codec === "opus") {
    const head = parseOpusHead(frame.data);
    track.descriptors = opusDescriptors(
      head.mappingFamily <= 1 && head.channels <= 8 ? head.channels : 0x81,
    );
  }
}

function nalType(track: TrackState, first: number): number {
  return track.codec === "h264" ? first & 0x1f : (first >> 1) & 0x3f;
}

/**
 * Append the Annex B ES bytes of a video access unit to `pieces`.
 *
 * @param track the track (parameter sets, length size)
 * @param frame the access unit (length-prefixed NAL units)
 * @param pieces receives views, in order
 * @returns the ES byte length
 * @throws {BitstreamError} when a NAL length runs past the frame
 */
export function videoPieces(
  track: TrackState,
  frame: MediaFrame,
  pieces: PieceList,
): number {
  const h264 = track.codec === "h264";
  const aud = h264 ? H264_AUD : H265_AUD;
  const audType = h264 ? 9 : 35;
  const data = frame.data;
  const size = track.lengthSize;
  pieces.push(aud);
  let length = aud.length;
  // Parameter sets go right after the AUD: find out first whether the
  // access unit carries its own.
  if (frame.keyframe && track.paramSets.length > 0 && !hasSps(track, data)) {
    for (const set of track.paramSets) {
      pieces.push(START_CODE);
      pieces.push(set);
      length += 4 + set.length;
    }
  }
  for (let pos = 0; pos < data.length;) {
    const n = nalLengthAt(data, pos, size);
    pos += size;
    if (n === 0) continue;
    if (nalType(track, data[pos]!) !== audType) {
      pieces.push(START_CODE);
      pieces.push(data.subarray(pos, pos + n));
      length += 4 + n;
    }
    pos += n;
  }
  return length;
}

/**
 * The length of the NAL unit whose `size`-byte prefix is at `pos`, checked
 * against the frame (prefix and unit both inside `data`).
 *
 * @throws {BitstreamError} when the prefix or the unit runs past the frame
 */
function nalLengthAt(data: Uint8Array, pos: number, size: number): number {
  if (pos + size > data.length) throw nalError(pos, size, data.length);
  let n = 0;
  for (let i = 0; i < size; i++) n = n * 256 + data[pos + i]!;
  if (n > data.length - pos - size) {
    throw nalError(pos + size, n, data.length);
  }
  return n;
}

/**
 * Whether the length-prefixed access unit `data` has an SPS; checks every
 * NAL length against the frame.
 *
 * @throws {BitstreamError} when a NAL length runs past the frame
 */
function hasSps(track: TrackState, data: Uint8Array): boolean {
  const spsType = track.codec === "h264" ? 7 : 33;
  const size = track.lengthSize;
  let found = false;
  for (let pos = 0; pos < data.length;) {
    const n = nalLengthAt(data, pos, size);
    pos += size;
    if (n > 0 && nalType(track, data[pos]!) === spsType) found = true;
    pos += n;
  }
  return found;
}

function nalError(pos: number, need: number, total: number): BitstreamError {
  return new BitstreamError(
    `Cannot mux access unit: NAL length field needs ${need} bytes at ${pos}, frame has ${total}`,
    { byteOffset: pos },
  );
}

/**
 * Append the ES bytes of an audio frame to `pieces`: its header (ADTS for
 * AAC, control header for Opus; none for MP3) in `pieces.bytes` at
 * `pieces.headAt` (`pieces.headLength` bytes, else 0), then the frame.
 *
 * @param track the track (AudioSpecificConfig for AAC)
 * @param frame the audio frame
 * @param pieces receives views, in order
 * @returns the ES byte length
 * @throws {StreamError} `InvalidInput` for AAC without a configuration or a frame too large for ADTS
 */
export function audioPieces(
  track: TrackState,
  frame: MediaFrame,
  pieces: PieceList,
): number {
  const data = frame.data;
  if (track.codec === "aac") {
    const asc = track.asc;
    if (asc === undefined) {
      throw new StreamError(
        "InvalidInput",
        "Cannot mux AAC frame: no AudioSpecificConfig configured for the track",
      );
    }
    if (data.length > MAX_ADTS_PAYLOAD) {
      throw new StreamError(
        "InvalidInput",
        `Cannot mux AAC frame: ${data.length} bytes exceeds the ADTS limit ${MAX_ADTS_PAYLOAD}`,
      );
    }
    writeAdtsHeader(pieces.bytes, pieces.head(7), asc, data.length);
    pieces.push(data);
    return 7 + data.length;
  }
  if (track.codec === "opus") {
    const length = opusControlHeaderLength(data.length);
    writeOpusControlHeader(pieces.bytes, pieces.head(length), data.length);
    pieces.push(data);
    return length + data.length;
  }
  pieces.push(data);
  return data.length;
}

function writeAdtsHeader(
  dst: Uint8Array,
  at: number,
  asc: AudioSpecificConfig,
  payload: number,
): void {
  // ISO/IEC 13818-7 §6.2.1 adts_fixed_header + adts_variable_header, no CRC.
  const profile = Math.max(0, Math.min(3, asc.objectType - 1));
  const length = payload + 7;
  const channels = asc.channelConfiguration;
  dst[at] = 0xff;
  dst[at + 1] = 0xf1;
  dst[at + 2] = (profile << 6) | ((asc.samplingFrequencyIndex & 0x0f) << 2) |
    (channels >> 2);
  dst[at + 3] = ((channels & 3) << 6) | (length >> 11);
  dst[at + 4] = (length >> 3) & 0xff;
  dst[at + 5] = ((length & 7) << 5) | 0x1f;
  dst[at + 6] = 0xfc;
}

/** Bytes of the opus_control_header of an access unit of `size` bytes. */
function opusControlHeaderLength(size: number): number {
  return 2 + Math.floor(size / 255) + 1;
}

function writeOpusControlHeader(
  dst: Uint8Array,
  at: number,
  size: number,
): void {
  // opus_control_header: prefix 0x3FF (11 bits), no trim/extension flags, then
  // au_size as a run of 0xFF bytes plus a final byte < 255.
  const end = at + opusControlHeaderLength(size);
  dst[at] = 0x7f;
  dst[at + 1] = 0xe0;
  dst.fill(0xff, at + 2, end - 1);
  dst[end - 1] = size % 255;
}
