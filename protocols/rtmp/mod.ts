/**
 * RTMP for arcly-stream: a server ({@linkcode RtmpHandler}, a
 * `ProtocolHandler` driven by `Engine.serve`, over TCP or TLS) and a client
 * ({@linkcode RtmpClient}), built on pure, socket-free pieces: the handshake,
 * {@linkcode ChunkReader}, chunk writer, message builders and
 * {@linkcode RtmpSession}.
 *
 * @example Chunk a message and read it back
 * ```ts
 * import { ChunkReader, writeChunks } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const bytes = writeChunks({ csid: 3, typeId: 20, streamId: 0, timestamp: 7 }, new Uint8Array(200), 128);
 * const [message] = new ChunkReader().feed(bytes);
 * assert.equal(message?.timestamp, 7);
 * ```
 *
 * @module
 */
export * from "./handshake.ts";
export * from "./chunk_limits.ts";
export * from "./chunk_reader.ts";
export * from "./chunk_writer.ts";
export * from "./messages.ts";
export * from "./timestamp_unwrapper.ts";
export * from "./media_ingest.ts";
export * from "./frame_chunk_cache.ts";
export * from "./session_types.ts";
export * from "./session.ts";
export * from "./client_options.ts";
export * from "./client.ts";
export * from "./server.ts";

// Types from the kernel and media that this module's signatures use;
// re-exported (types only) so the docs resolve.
export type * from "../../src/mod.ts";
export type * from "../../media/frame.ts";
export type * from "../../media/stream_error.ts";
export type * from "../../media/flv/amf0_value.ts";
