/**
 * `.flv` recordings: {@linkcode FlvWriterStream} (a `TransformStream` from
 * frames to file bytes) and {@linkcode encodeFlvFile} (frames to a whole file).
 *
 * Specification: Adobe Flash Video File Format v10.1, Annex E.2–E.4.
 *
 * Data path: config and script frames that arrive before the first media
 * frame are held (a handful, one per track) so that the file header's audio
 * and video flags and the sequence-header tags are known; from then on each
 * frame becomes exactly one chunk (one tag, written by {@linkcode FlvMuxer}).
 * Timestamps are rebased so that the first media frame is at 0 ms, and
 * converted from each frame's own timescale to milliseconds.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import { toMilliseconds } from "./_milliseconds.ts";
import type { Amf0Object } from "./amf0.ts";
import { FlvMuxer } from "./flv_muxer.ts";

/**
 * Most config/script frames held before the first media frame. A live source
 * sends one per track, so a larger count means the input never starts.
 */
const MAX_HELD_FRAMES = 64;

/**
 * Options for {@linkcode FlvWriterStream} and {@linkcode encodeFlvFile}.
 *
 * @example Keep the source timestamps
 * ```ts
 * import { type FlvWriterOptions, FlvWriterStream } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const options: FlvWriterOptions = { rebase: false, metadata: { title: "cam" } };
 * assert.ok(new FlvWriterStream(options).writable instanceof WritableStream);
 * ```
 */
export interface FlvWriterOptions {
  /** Shift timestamps so the first media frame is at 0 ms (default true). */
  rebase?: boolean;
  /** Extra `onMetaData` properties. */
  metadata?: Amf0Object;
}

/**
 * Frames in, `.flv` file bytes out; pipe a subscription's `readable` through
 * it into a file.
 *
 * @example Record to bytes
 * ```ts
 * import { FlvWriterStream, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const frames = [
 *   { kind: "audio", codec: "aac", trackId: 0, pts: 500, dts: 500, timescale: 1000,
 *     keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) },
 *   { kind: "audio", codec: "aac", trackId: 0, pts: 500, dts: 500, timescale: 1000,
 *     keyframe: true, config: false, data: new Uint8Array([1]) },
 * ] as const;
 * const chunks = await Array.fromAsync(
 *   ReadableStream.from(frames).pipeThrough(new FlvWriterStream()),
 * );
 * const file = new Uint8Array(chunks.flatMap((c) => [...c]));
 * assert.deepEqual(readFlvFile(file).frames.map((f) => f.dts), [0, 0, 0]);
 * ```
 */
export class FlvWriterStream extends TransformStream<MediaFrame, Uint8Array> {
  /**
   * Create a writer; nothing is emitted until the first media frame.
   *
   * @param options rebasing and metadata
   */
  constructor(options: FlvWriterOptions = {}) {
    const state = new WriterState(options);
    super({
      transform(frame, controller) {
        const bytes = state.push(frame);
        if (bytes !== undefined) controller.enqueue(bytes);
      },
      flush(controller) {
        const bytes = state.finish();
        if (bytes !== undefined) controller.enqueue(bytes);
      },
    });
  }
}

/**
 * Encode frames (decode order) as one complete `.flv` file.
 *
 * @param frames config, data and media frames
 * @param options rebasing and metadata
 * @returns the file bytes
 * @throws {StreamError} code `Unsupported` for codecs FLV cannot carry
 *
 * @example Write a whole file without rebasing
 * ```ts
 * import { encodeFlvFile, readFlvFile } from "@arcly/stream/flv";
 * import assert from "node:assert/strict";
 *
 * const file = encodeFlvFile([{ kind: "audio", codec: "mp3", trackId: 0, pts: 90_000,
 *   dts: 90_000, timescale: 90_000, keyframe: true, config: false,
 *   data: new Uint8Array([0xff, 0xfb]) }], { rebase: false });
 * const { frames, header } = readFlvFile(file);
 * assert.equal(header.hasAudio, true);
 * assert.equal(frames.at(-1)?.dts, 1000);
 * ```
 */
export function encodeFlvFile(
  frames: Iterable<MediaFrame>,
  options: FlvWriterOptions = {},
): Uint8Array {
  const state = new WriterState(options);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (const frame of frames) {
    const bytes = state.push(frame);
    if (bytes !== undefined) chunks.push(bytes), size += bytes.length;
  }
  const tail = state.finish();
  if (tail !== undefined) chunks.push(tail), size += tail.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const chunk of chunks) out.set(chunk, pos), pos += chunk.length;
  return out;
}

class WriterState {
  #muxer: FlvMuxer;
  #rebase: boolean;
  #held: MediaFrame[] = [];
  #started = false;
  #baseMs = 0;

  constructor(options: FlvWriterOptions) {
    this.#muxer = new FlvMuxer(
      options.metadata === undefined ? {} : { metadata: options.metadata },
    );
    this.#rebase = options.rebase ?? true;
  }

  push(frame: MediaFrame): Uint8Array | undefined {
    if (this.#started) return this.#muxer.mux([this.#retime(frame)]);
    if (frame.config || frame.kind === "data") {
      if (this.#held.length >= MAX_HELD_FRAMES) {
        throw new StreamError(
          "LimitExceeded",
          `Cannot write FLV: more than ${MAX_HELD_FRAMES} config frames before the first media frame`,
        );
      }
      this.#held.push(frame);
      return undefined;
    }
    this.#baseMs = this.#rebase
      ? toMilliseconds(frame.dts, frame.timescale)
      : 0;
    return this.#start([this.#retime(frame)]);
  }

  finish(): Uint8Array | undefined {
    return this.#started ? undefined : this.#start([]);
  }

  #start(first: MediaFrame[]): Uint8Array {
    this.#started = true;
    for (const frame of this.#held) this.#muxer.configure(frame);
    for (const frame of first) this.#muxer.configure(frame);
    this.#held = [];
    const head = this.#muxer.initSegment();
    const body = this.#muxer.mux(first);
    const out = new Uint8Array(head.length + body.length);
    out.set(head, 0);
    out.set(body, head.length);
    return out;
  }

  #retime(frame: MediaFrame): MediaFrame {
    const dts = toMilliseconds(frame.dts, frame.timescale) - this.#baseMs;
    const pts = toMilliseconds(frame.pts, frame.timescale) - this.#baseMs;
    if (frame.timescale === 1000 && this.#baseMs === 0) return frame;
    return { ...frame, timescale: 1000, dts: Math.max(0, dts), pts };
  }
}
