/**
 * Message → RTMP chunk bytes, size first, written in place.
 *
 * Specification: Adobe RTMP 1.0 §5.3.1 (chunk format). The writer always
 * starts a message with a type-0 header (absolute timestamp) and continues
 * with type-3 headers, repeating the extended timestamp on each type-3 chunk
 * when the timestamp needs one (§5.3.1.3). Type-0 only means the bytes do not
 * depend on what was sent before on the chunk stream, so the same chunk bytes
 * of a media message can be written to every player of a stream.
 *
 * Data path: {@linkcode chunkedByteLength} sizes the output, then
 * {@linkcode writeChunksInto} copies the payload once, between headers.
 *
 * @module
 */

/**
 * The header fields of one message.
 *
 * @example
 * ```ts
 * import { type ChunkHeader, writeChunks } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const header: ChunkHeader = { csid: 3, typeId: 20, streamId: 0, timestamp: 0 };
 * assert.equal(writeChunks(header, new Uint8Array(1), 128).length, 13);
 * ```
 */
export interface ChunkHeader {
  /** Chunk stream id, 2..65599. */
  csid: number;
  /** Message type id. */
  typeId: number;
  /** Message stream id. */
  streamId: number;
  /** Timestamp in ms; reduced modulo 2^32 on the wire. */
  timestamp: number;
}

function basicHeaderLength(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

/**
 * Bytes needed to send a payload of `payloadLength` bytes in chunks.
 *
 * @param header the message header (csid and timestamp decide header sizes)
 * @param payloadLength payload bytes
 * @param chunkSize outgoing chunk size
 * @returns total bytes of all chunks
 * @example 300 bytes at chunk size 128 make 3 chunks
 * ```ts
 * import { chunkedByteLength } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const header = { csid: 3, typeId: 20, streamId: 0, timestamp: 0 };
 * assert.equal(chunkedByteLength(header, 300, 128), 12 + 300 + 2);
 * ```
 */
export function chunkedByteLength(
  header: ChunkHeader,
  payloadLength: number,
  chunkSize: number,
): number {
  const basic = basicHeaderLength(header.csid);
  const ts = header.timestamp % 0x100000000;
  const ext = ts >= 0xffffff ? 4 : 0;
  const chunks = Math.max(1, Math.ceil(payloadLength / chunkSize));
  return basic + 11 + ext + (chunks - 1) * (basic + ext) + payloadLength;
}

function writeBasic(dst: Uint8Array, o: number, fmt: number, csid: number) {
  if (csid < 64) {
    dst[o] = (fmt << 6) | csid;
    return o + 1;
  }
  if (csid < 320) {
    dst[o] = fmt << 6;
    dst[o + 1] = csid - 64;
    return o + 2;
  }
  dst[o] = (fmt << 6) | 1;
  dst[o + 1] = (csid - 64) & 0xff;
  dst[o + 2] = (csid - 64) >> 8;
  return o + 3;
}

function writeU32(dst: Uint8Array, o: number, v: number): void {
  dst[o] = v >>> 24;
  dst[o + 1] = (v >>> 16) & 0xff;
  dst[o + 2] = (v >>> 8) & 0xff;
  dst[o + 3] = v & 0xff;
}

/**
 * Write the type-0 header of a message (basic header, 11-byte message header,
 * extended timestamp if needed) and return where the first payload byte goes.
 *
 * @param header the message header
 * @param payloadLength payload bytes (goes in the 24-bit length field)
 * @param dst destination
 * @param offset where to start
 * @returns offset of the first payload byte
 * @example
 * ```ts
 * import { writeMessageHeaderInto } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const dst = new Uint8Array(12);
 * const at = writeMessageHeaderInto({ csid: 2, typeId: 1, streamId: 0, timestamp: 0 }, 4, dst, 0);
 * assert.equal(at, 12);
 * assert.equal(dst[7], 1);
 * ```
 */
export function writeMessageHeaderInto(
  header: ChunkHeader,
  payloadLength: number,
  dst: Uint8Array,
  offset: number,
): number {
  let o = writeBasic(dst, offset, 0, header.csid);
  const ts = header.timestamp % 0x100000000;
  const field = ts >= 0xffffff ? 0xffffff : ts;
  dst[o] = field >>> 16;
  dst[o + 1] = (field >>> 8) & 0xff;
  dst[o + 2] = field & 0xff;
  dst[o + 3] = payloadLength >>> 16;
  dst[o + 4] = (payloadLength >>> 8) & 0xff;
  dst[o + 5] = payloadLength & 0xff;
  dst[o + 6] = header.typeId;
  const sid = header.streamId;
  dst[o + 7] = sid & 0xff;
  dst[o + 8] = (sid >>> 8) & 0xff;
  dst[o + 9] = (sid >>> 16) & 0xff;
  dst[o + 10] = sid >>> 24;
  o += 11;
  if (field === 0xffffff) {
    writeU32(dst, o, ts);
    o += 4;
  }
  return o;
}

/**
 * Write a whole message as chunks into `dst`.
 *
 * @param header the message header
 * @param payload the message body
 * @param chunkSize outgoing chunk size
 * @param dst destination, at least {@linkcode chunkedByteLength} bytes from `offset`
 * @param offset where to start
 * @returns the offset after the last byte written
 * @example
 * ```ts
 * import { chunkedByteLength, writeChunksInto } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const header = { csid: 6, typeId: 9, streamId: 1, timestamp: 40 };
 * const dst = new Uint8Array(chunkedByteLength(header, 10, 128));
 * assert.equal(writeChunksInto(header, new Uint8Array(10), 128, dst, 0), dst.length);
 * ```
 */
export function writeChunksInto(
  header: ChunkHeader,
  payload: Uint8Array,
  chunkSize: number,
  dst: Uint8Array,
  offset: number,
): number {
  let o = writeMessageHeaderInto(header, payload.length, dst, offset);
  const ts = header.timestamp % 0x100000000;
  const ext = ts >= 0xffffff;
  let p = 0;
  while (true) {
    const n = Math.min(chunkSize, payload.length - p);
    dst.set(payload.subarray(p, p + n), o);
    o += n;
    p += n;
    if (p >= payload.length) return o;
    o = writeBasic(dst, o, 3, header.csid);
    if (ext) {
      writeU32(dst, o, ts);
      o += 4;
    }
  }
}

/**
 * Convenience: chunk one message into a new buffer (allocates exactly once).
 *
 * @param header the message header
 * @param payload the message body
 * @param chunkSize outgoing chunk size
 * @returns the chunk bytes
 * @example
 * ```ts
 * import { writeChunks } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const bytes = writeChunks({ csid: 2, typeId: 5, streamId: 0, timestamp: 0 }, new Uint8Array(4), 128);
 * assert.equal(bytes.length, 16);
 * ```
 */
export function writeChunks(
  header: ChunkHeader,
  payload: Uint8Array,
  chunkSize: number,
): Uint8Array {
  const dst = new Uint8Array(
    chunkedByteLength(header, payload.length, chunkSize),
  );
  writeChunksInto(header, payload, chunkSize, dst, 0);
  return dst;
}
