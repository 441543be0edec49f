/**
 * SRT (Secure Reliable Transport, draft-sharabayko-srt) for arcly-stream:
 * {@linkcode SrtHandler}, a UDP listener that ingests MPEG-TS from SRT
 * callers (ffmpeg, OBS, GStreamer) and serves readers; {@linkcode SrtClient}
 * for caller mode (pull from / push to an SRT listener); and the
 * socket-free pieces: packets, the handshake and its extensions, key
 * material and AES-CTR, the connection state machine, stream ids.
 *
 * Stream ids: `publish:{app}/{name}[:user:pass]`, `read:{app}/{name}[:user:pass]`,
 * `#!::r={app}/{name},m=publish|request[,u=…][,t=…]`, with an optional `?token=…`.
 *
 * @example Parse a stream id
 * ```ts
 * import { parseSrtStreamId } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSrtStreamId("read:live/cam").mode, "read");
 * ```
 *
 * @module
 */
export * from "./packet.ts";
export * from "./handshake.ts";
export * from "./key_material.ts";
export * from "./stream_id.ts";
export * from "./connection.ts";
export * from "./listener_handshake.ts";
export * from "./ts_format.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./pull_push.ts";
export { StreamError } from "../../media/stream_error.ts";
// The kernel types this module's signatures mention (Engine, StreamHost,
// MediaFrame, StreamErrorCode, …) are re-exported (types only) so the docs resolve.
export type * from "../../src/mod.ts";
export type * from "../../media/frame.ts";
export type { StreamErrorCode } from "../../media/stream_error.ts";
