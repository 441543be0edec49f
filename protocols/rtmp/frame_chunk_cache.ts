/**
 * The RTMP chunk format of the kernel's egress seam:
 * {@linkcode rtmpChunkFormat} serializes a frame as its RTMP chunk bytes
 * (FLV tag body on a fixed chunk stream per kind, message stream
 * {@linkcode MEDIA_STREAM_ID}), or `null` for a codec FLV cannot carry
 * (skipped and counted by the kernel's cache, reported once per stream by
 * the handler); {@linkcode FrameChunkCache} is the kernel's
 * `JoinedEgressCache` with that format, so every player of a stream writes
 * the very same `Uint8Array` per batch. The egress tick, subscription and
 * loop are the kernel's (`JoinedEgress`, `src/egress.ts`).
 *
 * Timestamps (issue 20): each message's first chunk has a **type-1 header**,
 * the timestamp delta from the previous message on the same chunk stream in
 * stream order (the format is stateful: one per stream, frames serialized in
 * stream order, which is the order the kernel's cache asks for them). The
 * bytes thus do not carry the stream's absolute time, and each player
 * starts its own timeline near 0 (as SRS with `atc off` and nginx-rtmp do):
 * at its join and after any gap, the first message of each chunk stream
 * goes out with the player's own type-0 header (`absolute − epoch`), then
 * the rest of the shared bytes (`_play_timeline.ts`). Why deltas, not a
 * per-player copy: the shared bytes stay one slab per batch for every
 * player; only a join or gap costs a few 12-byte headers. HTTP-FLV and
 * WS-FLV keep the stream's absolute timestamps (an FLV tag has no delta
 * form).
 *
 * Specification: Adobe RTMP 1.0 §5.3.1 (chunks; §5.3.1.2.2 type 1,
 * §5.3.1.3 extended timestamp), §7.1.5 (audio/video messages); bodies by
 * `writeFlvBodyInto` from `media/flv`.
 *
 * Memory: the chunk bytes of the frames the kernel retains, plus the
 * kernel cache's few memoised runs; no object per frame (a player reads
 * what it checks from the shared type-1 header and the frame).
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import {
  flvBodyByteLength,
  flvTagTypeOf,
  flvTimestampOf,
  frameToFlvBody,
  writeFlvBodyInto,
} from "../../media/flv/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import {
  chunkedByteLength,
  type ChunkHeader,
  writeChunksInto,
  writeMessageHeaderInto,
} from "./chunk_writer.ts";
import { ChunkStreamId, MEDIA_STREAM_ID } from "./messages.ts";
import type { EgressFormat } from "../../src/egress_cache.ts";
import { ChunkChain, registerChain } from "./_chunk_chain.ts";
import { JoinedEgressCache } from "../../src/egress_cache.ts";

/**
 * The RTMP play egress format of one stream for one outgoing chunk size:
 * each frame's chunk bytes (a type-1 first header: the timestamp delta from
 * the previous message of the stream on that chunk stream), `null` for a
 * codec FLV cannot carry (e.g. VVC). Stateful: make one per stream (a
 * `JoinedEgress` takes `(stream) => rtmpChunkFormat(size)`).
 *
 * @param chunkSize the outgoing chunk size every player uses
 * @returns the format
 *
 * @example
 * ```ts
 * import { rtmpChunkFormat } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const format = rtmpChunkFormat(4096);
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(4) } as const;
 * assert.equal(format.serialize(frame)?.length, 8 + 6); // type-1 header
 * assert.equal(format.serialize({ ...frame, kind: "video", codec: "vvc" }), null);
 * ```
 */
export function rtmpChunkFormat(chunkSize: number): EgressFormat<Uint8Array> {
  const chain = new ChunkChain(chunkSize, MEDIA_STREAM_ID);
  // A codec FLV cannot carry: null, and the frame is remembered as skipped
  // (its unit is empty in every batch); refused before anything is taken.
  const serialize = (
    frame: MediaFrame,
    take?: (n: number) => Uint8Array,
  ): Uint8Array | null => {
    try {
      return chain.serialize(frame, take);
    } catch (error) {
      if (error instanceof StreamError) {
        chain.skip(frame);
        return null;
      }
      throw error;
    }
  };
  const format: EgressFormat<Uint8Array> = {
    name: "rtmp",
    serialize: (frame: MediaFrame): Uint8Array | null => serialize(frame),
    // Straight into the cache's slab: no per-frame buffer to copy and drop.
    serializeInto: serialize,
  };
  registerChain(format, chain);
  return format;
}

/**
 * Chunk bytes of frames, built once per frame (the kernel's
 * `JoinedEgressCache` with {@linkcode rtmpChunkFormat}).
 *
 * @example Same bytes for every caller
 * ```ts
 * import { FrameChunkCache } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const cache = new FrameChunkCache(60000);
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(8) } as const;
 * assert.equal(cache.bytesOf(frame), cache.bytesOf(frame));
 * ```
 */
export class FrameChunkCache extends JoinedEgressCache {
  #chunkSize: number;

  /**
   * Create an empty cache for one stream.
   *
   * @param chunkSize the outgoing chunk size every player of the stream uses
   */
  constructor(chunkSize: number) {
    super(rtmpChunkFormat(chunkSize));
    this.#chunkSize = chunkSize;
  }

  /** The chunk size the bytes are built for. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** How many frames were serialized (for tests: one per frame, not per player). */
  get built(): number {
    return this.serialized;
  }

  /**
   * The chunk bytes of a batch, for one write per batch (`batch()`: one
   * frame's bytes as they are, more joined once and shared by every player
   * taking the same run; frames FLV cannot carry are left out).
   *
   * @param frames consecutive frames of this stream, in order
   * @returns the bytes to write (shared, read-only)
   */
  batchOf(frames: readonly MediaFrame[]): Uint8Array {
    return this.batch(frames);
  }
}

/**
 * Options for {@linkcode chunkFrame}.
 *
 * @example
 * ```ts
 * import { chunkFrame, type ChunkFrameOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: ChunkFrameOptions = { chunkSize: 4096, streamId: 1 };
 * const frame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(4) } as const;
 * assert.equal(chunkFrame(frame, options).length, 12 + 6);
 * ```
 */
export interface ChunkFrameOptions {
  /** Outgoing chunk size. */
  chunkSize: number;
  /** Message stream id; default {@linkcode MEDIA_STREAM_ID}. */
  streamId?: number;
}

/**
 * Build the chunk bytes of one frame (not cached): the FLV body on chunk
 * stream 6 (video), 4 (audio) or 5 (data).
 *
 * @param frame the frame
 * @param options chunk size and message stream id
 * @returns the chunk bytes
 * @example
 * ```ts
 * import { chunkFrame } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const frame = { kind: "video", codec: "h264", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(10) } as const;
 * assert.equal(chunkFrame(frame, { chunkSize: 128 }).length, 12 + 15);
 * ```
 */
export function chunkFrame(
  frame: MediaFrame,
  options: ChunkFrameOptions,
): Uint8Array {
  const chunkSize = options.chunkSize;
  const typeId = flvTagTypeOf(frame);
  const header: ChunkHeader = {
    csid: typeId === 9
      ? ChunkStreamId.Video
      : typeId === 8
      ? ChunkStreamId.Audio
      : ChunkStreamId.Data,
    typeId,
    streamId: options.streamId ?? MEDIA_STREAM_ID,
    timestamp: flvTimestampOf(frame),
  };
  const bodyLength = flvBodyByteLength(frame);
  const out = new Uint8Array(chunkedByteLength(header, bodyLength, chunkSize));
  if (bodyLength <= chunkSize) {
    const at = writeMessageHeaderInto(header, bodyLength, out, 0);
    writeFlvBodyInto(frame, out, at);
  } else {
    writeChunksInto(header, frameToFlvBody(frame), chunkSize, out, 0);
  }
  return out;
}
