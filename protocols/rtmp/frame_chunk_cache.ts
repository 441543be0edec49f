/**
 * {@linkcode FrameChunkCache}: serialize-once egress for RTMP play. Each
 * frame of a stream becomes its RTMP chunk bytes (FLV tag body inside type-0
 * chunks on a fixed chunk stream per kind, message stream
 * {@linkcode MEDIA_STREAM_ID}, the stream's absolute timestamp) exactly once;
 * every player of the stream writes the very same `Uint8Array`.
 *
 * Specification: Adobe RTMP 1.0 §5.3.1 (chunks), §7.1.5 (audio/video
 * messages); bodies by `writeFlvBodyInto` from `media/flv`.
 *
 * A batch of several frames (a player's `takeAll()`) is joined once and
 * memoised by its first frame (append-only, so a longer run from the same
 * frame extends it and a shorter one is a view), so players at the same
 * cursor share one `Uint8Array` per batch and one write each: no per-player
 * copy.
 *
 * Timing: the cache hands out the stream's shared flush tick
 * (`nextFlush()`: `stream.egressTick(egressBatchMs)`, owned by the kernel,
 * on the engine's clock; period {@linkcode DEFAULT_RTMP_EGRESS_BATCH_MS}
 * unless configured): players wait for it after `sub.ready()`, so they all
 * wake together, take the same run and write the same batch, at most
 * `egressBatchMs` later than without it, and earlier when a burst of half
 * the stream's lag limit arrived (the kernel fires the tick from
 * `publishFrame`). A player's first batch (its replay) does not wait for
 * the tick. A cache built without a stream cannot see publishes: it keeps
 * a private tick on the system clock with no backlog trigger, period 0
 * unless given.
 *
 * Memory: `WeakMap`s keyed by the frame (its chunk bytes; the joined batch
 * it starts), so cached bytes live exactly as long as the kernel's ring or
 * GOP cache keeps the frame; at most one joined run per frame, so joined
 * bytes are bounded by about twice the retained frames' bytes (a run's
 * spare capacity after growth included). A run keyed by a long-lived frame
 * (a config frame heading every replay) is replaced when the next replay
 * diverges from it, so at most one stale GOP per stream.
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
import {
  chunkedByteLength,
  type ChunkHeader,
  writeChunksInto,
  writeMessageHeaderInto,
} from "./chunk_writer.ts";
import { ChunkStreamId, MEDIA_STREAM_ID } from "./messages.ts";
import { cacheTick } from "../../src/_flush_tick.ts";
import { JoinedRuns } from "../../src/_joined_runs.ts";
import type { EgressTick, StreamHandle } from "../../src/stream_handle.ts";

/**
 * Default RTMP play flush period, ms: 100. The players of a stream wake on
 * one shared tick (the stream's `egressTick(100)`) and write what arrived
 * since as one shared batch: at most 10 writes per player per second instead
 * of one per frame (~77/s for 30 fps video + AAC), for at most 100 ms of
 * added latency (SRS merges writes over 350 ms by default). Why 100 and not
 * less: on loopback a write costs the sender the receiver's TCP work too, so
 * per-viewer CPU is mostly writes; measured with 500 viewers of a 3.2 Mbit/s
 * stream, a raw Deno writer of one shared batch per tick costs 0.28 ms of CPU
 * per viewer-second at 40 ms and 0.13 ms at 100 ms (bench/RESULTS.md). A
 * publisher burst (an unpaced file push) fires the tick early,
 * after half the stream's lag limit in frames, so players at the live edge
 * are never resynced by coalescing. `egressBatchMs: 0` writes every batch at
 * once.
 *
 * @example The default
 * ```ts
 * import { DEFAULT_RTMP_EGRESS_BATCH_MS } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_RTMP_EGRESS_BATCH_MS, 100);
 * ```
 */
export const DEFAULT_RTMP_EGRESS_BATCH_MS = 100;

/**
 * Chunk bytes of frames, built once per frame.
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
export class FrameChunkCache {
  #cache = new WeakMap<MediaFrame, Uint8Array>();
  #tick: EgressTick;
  #runs = new JoinedRuns();
  #chunkSize: number;
  #built = 0;

  /**
   * Create an empty cache for one stream.
   *
   * @param chunkSize the outgoing chunk size every player of the stream uses
   * @param egressBatchMs the shared flush period in ms (0 to 1,000; 0: write
   *   every batch at once); default {@linkcode DEFAULT_RTMP_EGRESS_BATCH_MS}
   *   with a `stream`, 0 without
   * @param stream the stream whose shared tick (`egressTick`) players wait
   *   on; without it, a private tick on the system clock with no backlog
   *   trigger
   * @throws {StreamError} `InvalidInput` for a flush period out of range
   */
  constructor(
    chunkSize: number,
    egressBatchMs?: number,
    stream?: Pick<StreamHandle, "egressTick">,
  ) {
    this.#chunkSize = chunkSize;
    this.#tick = cacheTick(stream, egressBatchMs, DEFAULT_RTMP_EGRESS_BATCH_MS);
  }

  /** The shared flush period, ms (0: none). */
  get egressBatchMs(): number {
    return this.#tick.periodMs;
  }

  /**
   * Register a player of the stream for the shared flush tick.
   *
   * @returns `leave`, to call once when the player ends (idempotent)
   */
  joinFlush(): () => void {
    return this.#tick.join();
  }

  /**
   * The stream's next shared flush: the same promise for every player until
   * it fires, at most `egressBatchMs` from now (at once when 0).
   *
   * @returns resolves at the flush
   */
  nextFlush(): Promise<void> {
    return this.#tick.next();
  }

  /** The chunk size the bytes are built for. */
  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** How many frames were serialized (for tests: one per frame, not per player). */
  get built(): number {
    return this.#built;
  }

  /** How many multi-frame batches were joined (for tests: one per distinct run of frames, not per player). */
  get joined(): number {
    return this.#runs.joined;
  }

  /**
   * The chunk bytes of `frame`, built on first use.
   *
   * @param frame a frame of this stream
   * @returns shared, read-only bytes
   * @throws {StreamError} `Unsupported` for codecs FLV cannot carry
   */
  bytesOf(frame: MediaFrame): Uint8Array {
    let bytes = this.#cache.get(frame);
    if (bytes === undefined) {
      bytes = chunkFrame(frame, { chunkSize: this.#chunkSize });
      this.#cache.set(frame, bytes);
      this.#built++;
    }
    return bytes;
  }

  /**
   * The chunk bytes of a batch, for one write per batch. One frame: its
   * cached bytes as they are (no copy). More: the bytes joined once and
   * memoised by the batch's first frame, so every player whose batch is the
   * same run of frames (all players at the live edge, woken by the same
   * flush) writes the very same `Uint8Array`. A longer run from the same
   * first frame (a replay for a later joiner, a lagging player) is appended
   * to the memoised bytes in place and a shorter one is a view of them:
   * never a copy per player.
   *
   * @param frames consecutive frames of this stream, in order
   * @returns the bytes to write (shared, read-only)
   * @throws {StreamError} `Unsupported` for codecs FLV cannot carry
   */
  batchOf(frames: readonly MediaFrame[]): Uint8Array {
    return this.#runs.join(frames, this.#bytesOf);
  }

  #bytesOf = (frame: MediaFrame): Uint8Array => this.bytesOf(frame);
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
