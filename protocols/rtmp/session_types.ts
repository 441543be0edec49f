/**
 * Options, actions and constants of `RtmpSession`: what the
 * socket-free server session asks of its host.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import type { Amf0Value } from "../../media/flv/mod.ts";
import type { StreamError } from "../../media/stream_error.ts";
import type { HandshakeOptions } from "./handshake.ts";

/**
 * Default outgoing chunk size: large chunks mean fewer headers per frame.
 *
 * @example
 * ```ts
 * import { DEFAULT_OUT_CHUNK_SIZE } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_OUT_CHUNK_SIZE, 60000);
 * ```
 */
export const DEFAULT_OUT_CHUNK_SIZE = 60000;
/**
 * Frames kept while a publish awaits authorization (clients that do not wait
 * for NetStream.Publish.Start). A few seconds of media; the rest is dropped.
 *
 * @example
 * ```ts
 * import { MAX_HELD_FRAMES } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_HELD_FRAMES, 256);
 * ```
 */
export const MAX_HELD_FRAMES = 256;
/**
 * Window Acknowledgement Size we announce (the value FMS/ffmpeg use).
 *
 * @example
 * ```ts
 * import { DEFAULT_WINDOW_ACK_SIZE } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_WINDOW_ACK_SIZE, 2_500_000);
 * ```
 */
export const DEFAULT_WINDOW_ACK_SIZE = 2_500_000;

/**
 * Options for `RtmpSession`.
 *
 * @example
 * ```ts
 * import { RtmpSession, type RtmpSessionOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: RtmpSessionOptions = { chunkSize: 4096, maxChunkStreams: 16 };
 * assert.equal(new RtmpSession(options).chunkSize, 4096);
 * ```
 */
export interface RtmpSessionOptions {
  /** Outgoing chunk size; default {@linkcode DEFAULT_OUT_CHUNK_SIZE}. */
  chunkSize?: number;
  /** Largest incoming message; see `MAX_RTMP_MESSAGE_BYTES`. */
  maxMessageBytes?: number;
  /** Most chunk streams; see `MAX_CHUNK_STREAMS`. */
  maxChunkStreams?: number;
  /** Handshake time and random source (tests). */
  handshake?: HandshakeOptions;
}

/**
 * What the session asks of its host.
 *
 * @example
 * ```ts
 * import { createClientHello, RtmpSession, type SessionAction } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const actions: SessionAction[] = new RtmpSession().feed(createClientHello());
 * assert.equal(actions[0]?.type, "send");
 * ```
 */
export type SessionAction =
  | { type: "send"; bytes: Uint8Array }
  | { type: "connect"; app: string; tcUrl: string; query: URLSearchParams }
  | {
    type: "publish";
    name: string;
    query: URLSearchParams;
    publishType: string;
  }
  | {
    type: "play";
    name: string;
    query: URLSearchParams;
    start: number;
    duration: number;
    reset: boolean;
  }
  | { type: "frames"; frames: MediaFrame[] }
  | { type: "metadata"; value: Amf0Value }
  | { type: "unpublish" }
  | { type: "stopPlay" }
  | { type: "decodeError"; error: StreamError };

/**
 * The per-stream state of an `RtmpSession`.
 *
 * @example
 * ```ts
 * import { RtmpSession, type RtmpStreamState } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const state: RtmpStreamState = new RtmpSession().state;
 * assert.equal(state, "idle");
 * ```
 */
export type RtmpStreamState =
  | "idle"
  | "publishPending"
  | "publishing"
  | "playPending"
  | "playing";
