/**
 * {@linkcode MediaIngest}: RTMP audio (8), video (9), data (18) and aggregate
 * (22) messages → {@linkcode MediaFrame}s, with per-track monotonic
 * timestamps.
 *
 * Specification: Adobe RTMP 1.0 §7.1.5 (audio/video), §7.1.2 (data),
 * §7.1.6 (aggregate); the bodies are FLV tag bodies (FLV v10.1 Annex E, and
 * Enhanced RTMP), mapped by `flvBodyToFrames` from `media/flv`.
 *
 * Data path: frames are views into the message payload (no copy), except
 * codec configuration (sequence headers: small, rare and kept for the life
 * of the stream, so copied rather than pinning the chunk reader's slab their
 * payload lies in) and `@setDataFrame` metadata, whose leading name is stripped by re-encoding the
 * (small) AMF0 values. State: one {@linkcode TimestampUnwrapper} per track.
 *
 * `onMetaData` is made live once, here, for every viewer: the fields that
 * describe a file (`duration`, `filesize`, keyframe index…, see
 * {@linkcode FILE_ONLY_METADATA}) are dropped, and it is stamped at
 * timestamp 0, so a repeated one is read by players as metadata again
 * (ffmpeg turns script data at any other time into a `text` stream).
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import {
  Amf0EcmaArray,
  type Amf0Value,
  decodeAmf0,
  encodeAmf0,
  flvBodyToFrames,
} from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { RtmpMessage } from "./chunk_reader.ts";
import { TimestampUnwrapper } from "./timestamp_unwrapper.ts";

/**
 * What {@linkcode MediaIngest.toFrames} returns.
 *
 * @example
 * ```ts
 * import { type IngestResult, MediaIngest } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const result: IngestResult = new MediaIngest().toFrames({
 *   csid: 4, typeId: 8, streamId: 1, timestamp: 0, payload: new Uint8Array([0xaf, 1, 9]),
 * });
 * assert.equal(result.frames.length, 1);
 * ```
 */
export interface IngestResult {
  /** The frames in arrival order (may be empty). */
  frames: MediaFrame[];
  /** The onMetaData values when the message was metadata. */
  metadata?: Amf0Value;
}

const AGGREGATE_TAG_HEADER = 11;

/**
 * Maps media messages of one published stream to frames.
 *
 * @example An AAC sequence header
 * ```ts
 * import { MediaIngest } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const ingest = new MediaIngest();
 * const { frames } = ingest.toFrames({
 *   csid: 4, typeId: 8, streamId: 1, timestamp: 0,
 *   payload: new Uint8Array([0xaf, 0x00, 0x12, 0x10]),
 * });
 * assert.equal(frames[0]?.config, true);
 * ```
 */
export class MediaIngest {
  #unwrappers = new Map<string, TimestampUnwrapper>();

  #unwrap(kind: number, raw: number): number {
    const key = String(kind);
    let u = this.#unwrappers.get(key);
    if (u === undefined) {
      u = new TimestampUnwrapper();
      this.#unwrappers.set(key, u);
    }
    return u.unwrap(raw);
  }

  /**
   * Map one message (type 8, 9, 18 or 22) to frames.
   *
   * @param message a complete RTMP message
   * @returns the frames and, for onMetaData, the metadata object
   * @throws {StreamError} `InvalidInput`/`Unsupported` for a body that cannot be mapped
   */
  toFrames(message: RtmpMessage): IngestResult {
    if (message.typeId === 22) return this.#aggregate(message);
    const ts = this.#unwrap(message.typeId, message.timestamp);
    if (message.typeId === 18) return this.#data(message.payload, ts);
    if (message.typeId !== 8 && message.typeId !== 9) {
      throw new StreamError(
        "Unsupported",
        `Cannot map RTMP message type ${message.typeId} to frames: only 8, 9, 18 and 22 carry media`,
      );
    }
    const frames = flvBodyToFrames(message.typeId, message.payload, ts);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.config) frames[i] = { ...f, data: f.data.slice() };
    }
    return { frames };
  }

  #data(payload: Uint8Array, ts: number): IngestResult {
    const values = decodeAmf0(payload);
    if (values[0] === "|RtmpSampleAccess") return { frames: [] }; // Flash access flags
    let data = payload;
    let rest = values;
    if (values[0] === "@setDataFrame") {
      rest = values.slice(1);
      data = encodeAmf0(rest);
    }
    const metadata = rest[0] === "onMetaData";
    if (metadata) {
      rest = ["onMetaData", liveMetadata(rest[1]), ...rest.slice(2)];
      data = encodeAmf0(rest);
    }
    const at = metadata ? 0 : ts;
    const frame: MediaFrame = {
      kind: "data",
      codec: "amf0",
      trackId: 0,
      pts: at,
      dts: at,
      timescale: 1000,
      keyframe: true,
      config: false,
      data,
    };
    if (rest[0] === "onMetaData") {
      return { frames: [frame], metadata: rest[1] ?? null };
    }
    return { frames: [frame] };
  }

  #aggregate(message: RtmpMessage): IngestResult {
    const body = message.payload;
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const frames: MediaFrame[] = [];
    let metadata: Amf0Value | undefined;
    let first = -1;
    let p = 0;
    while (p + AGGREGATE_TAG_HEADER <= body.length) {
      const type = body[p]!;
      const size = (body[p + 1]! << 16) | (body[p + 2]! << 8) | body[p + 3]!;
      const ts = ((body[p + 7]! << 24) | (view.getUint32(p + 4) >>> 8)) >>> 0;
      const start = p + AGGREGATE_TAG_HEADER;
      if (start + size > body.length) {
        throw new StreamError(
          "InvalidInput",
          `Cannot read aggregate message: tag of ${size} bytes at ${p} exceeds ${body.length}`,
        );
      }
      if (first < 0) first = ts;
      const sub = this.toFrames({
        ...message,
        typeId: type,
        timestamp: (message.timestamp + ts - first) >>> 0,
        payload: body.subarray(start, start + size),
      });
      for (const f of sub.frames) frames.push(f);
      if (sub.metadata !== undefined) metadata = sub.metadata;
      p = start + size + 4;
    }
    return metadata === undefined ? { frames } : { frames, metadata };
  }
}

/**
 * `onMetaData` fields that describe a file, not a live stream: dropped at
 * ingest (a file-fed publish would otherwise tell live viewers a duration
 * and size; players then stop or seek by them).
 *
 * @example
 * ```ts
 * import { FILE_ONLY_METADATA } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.ok(FILE_ONLY_METADATA.has("duration"));
 * ```
 */
export const FILE_ONLY_METADATA: ReadonlySet<string> = new Set([
  "duration",
  "filesize",
  "datasize",
  "videosize",
  "audiosize",
  "lasttimestamp",
  "lastkeyframetimestamp",
  "lastkeyframelocation",
  "keyframes",
  "canSeekToEnd",
]);

/** The metadata object without its file-only fields (a new object). */
function liveMetadata(value: Amf0Value): Amf0Value {
  const properties = value instanceof Amf0EcmaArray
    ? value.properties
    : value !== null && typeof value === "object" && !Array.isArray(value) &&
        !(value instanceof Date)
    ? value
    : undefined;
  if (properties === undefined) return value;
  const kept: Record<string, Amf0Value> = {};
  for (const [key, v] of Object.entries(properties)) {
    if (!FILE_ONLY_METADATA.has(key)) kept[key] = v;
  }
  return value instanceof Amf0EcmaArray ? new Amf0EcmaArray(kept) : kept;
}
