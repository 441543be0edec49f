/**
 * The limits of the RTMP chunk stream that bound what one connection can make
 * the server allocate, and the chunk sizes of RTMP §5.4.1.
 *
 * @module
 */

/**
 * Largest message accepted. 16 MiB holds any real video frame (a 4K intra
 * frame at broadcast bitrates is a few MiB) while one malicious length field
 * cannot make us allocate more.
 *
 * @example
 * ```ts
 * import { MAX_RTMP_MESSAGE_BYTES } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_RTMP_MESSAGE_BYTES, 16 * 1024 * 1024);
 * ```
 */
export const MAX_RTMP_MESSAGE_BYTES: number = 16 * 1024 * 1024;
/**
 * Most chunk stream ids a connection may use. Encoders use 2..8; the limit
 * bounds the per-stream header state an attacker can make us keep.
 *
 * @example
 * ```ts
 * import { MAX_CHUNK_STREAMS } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_CHUNK_STREAMS, 64);
 * ```
 */
export const MAX_CHUNK_STREAMS = 64;
/**
 * Total declared size of all messages being reassembled at once. Real peers
 * interleave at most audio, video and data; this stops a peer from opening
 * 64 streams of 16 MiB each.
 *
 * @example
 * ```ts
 * import { MAX_ASSEMBLY_BYTES, MAX_RTMP_MESSAGE_BYTES } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_ASSEMBLY_BYTES, 2 * MAX_RTMP_MESSAGE_BYTES);
 * ```
 */
export const MAX_ASSEMBLY_BYTES: number = 32 * 1024 * 1024;
/**
 * Largest chunk size allowed by RTMP §5.4.1 (31 bits).
 *
 * @example
 * ```ts
 * import { MAX_CHUNK_SIZE } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MAX_CHUNK_SIZE, 2 ** 31 - 1);
 * ```
 */
export const MAX_CHUNK_SIZE = 0x7fffffff;
/**
 * Chunk size before any Set Chunk Size (RTMP §5.4.1).
 *
 * @example
 * ```ts
 * import { DEFAULT_CHUNK_SIZE } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_CHUNK_SIZE, 128);
 * ```
 */
export const DEFAULT_CHUNK_SIZE = 128;
