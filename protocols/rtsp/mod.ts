/**
 * RTSP for arcly-stream (RFC 2326, RFC 7826 where 1.0 is silent): the
 * message reader and serializers ({@linkcode RtspReader}), structured
 * headers (`Transport`, `Session`, `RTP-Info`) and Basic/Digest
 * authentication.
 *
 * @example Read a request
 * ```ts
 * import { RtspReader } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const reader = new RtspReader();
 * reader.push(new TextEncoder().encode("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n"));
 * const item = reader.next();
 * assert.equal(item?.type, "request");
 * ```
 *
 * @module
 */
export * from "./message.ts";
export * from "./reader.ts";
export * from "./serialize.ts";
export * from "./headers.ts";
export * from "./auth.ts";

export type * from "../../media/stream_error.ts";
export type * from "../../src/mod.ts";
export type * from "../../media/frame.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./pull_source.ts";
export * from "./pull_provider.ts";
