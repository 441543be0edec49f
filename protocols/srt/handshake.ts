/**
 * The SRT handshake control information field (draft-sharabayko-srt §3.2.1)
 * and its extensions: HSREQ/HSRSP (§3.2.1.1), KMREQ/KMRSP (§3.2.1.2, the
 * content is a key-material message, see `key_material.ts`) and the stream
 * id (§3.2.1.3: UTF-8 in 32-bit words whose bytes are reversed, zero
 * padded, at most 512 bytes).
 *
 * ```
 * version(32) | encryption(16) extension(16) | ISN(32) | MTU(32) | flow window(32)
 * handshake type(32) | SRT socket id(32) | SYN cookie(32) | peer IP(128)
 * then per extension: type(16) length-in-words(16) content
 * ```
 *
 * Data path: parsing returns views into the datagram; nothing here holds
 * state.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

export * from "./handshake_constants.ts";

/**
 * One handshake extension block (content is a view).
 *
 * @example
 * ```ts
 * import type { SrtExtension } from "@arcly/stream/srt";
 * const e: SrtExtension = { type: 5, content: new Uint8Array(4) };
 * ```
 */
export interface SrtExtension {
  /** {@linkcode SrtExtensionType} value. */
  type: number;
  /** The content (length a multiple of 4). */
  content: Uint8Array;
}

/**
 * The handshake CIF.
 *
 * @example
 * ```ts
 * import { parseHandshake, writeHandshake, SrtHandshakeType } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const hs = { version: 4, encryption: 0, extension: 2, initialSeq: 1, mtu: 1500,
 *   flowWindow: 8192, type: SrtHandshakeType.Induction, socketId: 7, cookie: 0,
 *   peerIp: new Uint8Array(16), extensions: [] };
 * assert.equal(parseHandshake(writeHandshake(hs)).socketId, 7);
 * ```
 */
export interface SrtHandshake {
  /** 4 (caller induction) or 5. */
  version: number;
  /** Encryption field: 0 none, 2/3/4 AES-128/192/256. */
  encryption: number;
  /** Extension field: 2 (induction request), {@linkcode SRT_MAGIC}, or {@linkcode SRT_HS_EXT} bits. */
  extension: number;
  /** Initial packet sequence number. */
  initialSeq: number;
  /** Maximum transmission unit. */
  mtu: number;
  /** Maximum flow window, packets. */
  flowWindow: number;
  /** {@linkcode SrtHandshakeType} or 1000 + reject reason. */
  type: number;
  /** The sender's socket id. */
  socketId: number;
  /** SYN cookie. */
  cookie: number;
  /** Peer IP field, 16 bytes. */
  peerIp: Uint8Array;
  /** Extension blocks. */
  extensions: SrtExtension[];
}

const HS_FIXED_BYTES = 48;
const MAX_EXTENSIONS = 16;

/**
 * Parse a handshake CIF.
 *
 * @example
 * ```ts
 * import { parseHandshake, StreamError } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseHandshake(new Uint8Array(10)), StreamError);
 * ```
 *
 * @param cif the control information field
 * @returns the fields and extension blocks (views)
 * @throws {StreamError} `InvalidInput` when truncated or an extension overruns
 */
export function parseHandshake(cif: Uint8Array): SrtHandshake {
  if (cif.length < HS_FIXED_BYTES) {
    throw new StreamError(
      "InvalidInput",
      `Cannot parse SRT handshake: ${cif.length} bytes, needs 48`,
    );
  }
  const v = new DataView(cif.buffer, cif.byteOffset, cif.byteLength);
  const extensions: SrtExtension[] = [];
  let at = HS_FIXED_BYTES;
  while (at + 4 <= cif.length) {
    const type = v.getUint16(at);
    const bytes = v.getUint16(at + 2) * 4;
    if (at + 4 + bytes > cif.length) {
      throw new StreamError(
        "InvalidInput",
        `Cannot parse SRT handshake extension ${type}: ${bytes} bytes overrun the packet`,
      );
    }
    if (extensions.length >= MAX_EXTENSIONS) {
      throw new StreamError(
        "InvalidInput",
        "Cannot parse SRT handshake: more than 16 extensions",
      );
    }
    extensions.push({ type, content: cif.subarray(at + 4, at + 4 + bytes) });
    at += 4 + bytes;
  }
  return {
    version: v.getUint32(0),
    encryption: v.getUint16(4),
    extension: v.getUint16(6),
    initialSeq: v.getUint32(8) & 0x7fffffff,
    mtu: v.getUint32(12),
    flowWindow: v.getUint32(16),
    type: v.getUint32(20),
    socketId: v.getUint32(24),
    cookie: v.getUint32(28),
    peerIp: cif.subarray(32, 48),
    extensions,
  };
}

/**
 * Serialize a handshake CIF.
 *
 * @example
 * ```ts
 * import { writeHandshake } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const cif = writeHandshake({ version: 5, encryption: 0, extension: 0x4a17, initialSeq: 0,
 *   mtu: 1500, flowWindow: 8192, type: 1, socketId: 1, cookie: 2, peerIp: new Uint8Array(16),
 *   extensions: [{ type: 5, content: new Uint8Array(4) }] });
 * assert.equal(cif.length, 48 + 8);
 * ```
 *
 * @param hs the fields
 * @returns the CIF bytes
 * @throws {StreamError} `InvalidInput` when an extension is not word-aligned
 */
export function writeHandshake(hs: SrtHandshake): Uint8Array {
  let size = HS_FIXED_BYTES;
  for (const e of hs.extensions) {
    if (e.content.length % 4 !== 0 || e.content.length > 0x3fffc) {
      throw new StreamError(
        "InvalidInput",
        `Cannot write SRT handshake extension ${e.type}: ${e.content.length} bytes is not whole words`,
      );
    }
    size += 4 + e.content.length;
  }
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, hs.version >>> 0);
  v.setUint16(4, hs.encryption & 0xffff);
  v.setUint16(6, hs.extension & 0xffff);
  v.setUint32(8, hs.initialSeq & 0x7fffffff);
  v.setUint32(12, hs.mtu >>> 0);
  v.setUint32(16, hs.flowWindow >>> 0);
  v.setUint32(20, hs.type >>> 0);
  v.setUint32(24, hs.socketId >>> 0);
  v.setUint32(28, hs.cookie >>> 0);
  out.set(hs.peerIp.subarray(0, 16), 32);
  let at = HS_FIXED_BYTES;
  for (const e of hs.extensions) {
    v.setUint16(at, e.type);
    v.setUint16(at + 2, e.content.length / 4);
    out.set(e.content, at + 4);
    at += 4 + e.content.length;
  }
  return out;
}

/**
 * HSREQ/HSRSP content.
 *
 * @example
 * ```ts
 * import { parseHsExt, writeHsExt } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const ext = { version: 0x010502, flags: 0x3f, receiverDelayMs: 120, senderDelayMs: 0 };
 * assert.deepEqual(parseHsExt(writeHsExt(ext)), ext);
 * ```
 */
export interface SrtHsExt {
  /** SRT version, 0x00XXYYZZ. */
  version: number;
  /** {@linkcode SrtFlags} bits. */
  flags: number;
  /** TSBPD delay the sender of this block wants as receiver, ms. */
  receiverDelayMs: number;
  /** TSBPD delay it wants as sender, ms. */
  senderDelayMs: number;
}

/**
 * Parse an HSREQ/HSRSP block.
 *
 * @example
 * ```ts
 * import { parseHsExt, StreamError } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseHsExt(new Uint8Array(4)), StreamError);
 * ```
 *
 * @param content the extension content
 * @returns the fields
 * @throws {StreamError} `InvalidInput` when shorter than 12 bytes
 */
export function parseHsExt(content: Uint8Array): SrtHsExt {
  if (content.length < 12) {
    throw new StreamError(
      "InvalidInput",
      `Cannot parse SRT HSREQ: ${content.length} bytes, needs 12`,
    );
  }
  const v = new DataView(content.buffer, content.byteOffset, 12);
  return {
    version: v.getUint32(0),
    flags: v.getUint32(4),
    receiverDelayMs: v.getUint16(8),
    senderDelayMs: v.getUint16(10),
  };
}

/**
 * Serialize an HSREQ/HSRSP block.
 *
 * @example
 * ```ts
 * import { writeHsExt } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(writeHsExt({ version: 1, flags: 0, receiverDelayMs: 1, senderDelayMs: 2 }).length, 12);
 * ```
 *
 * @param ext the fields
 * @returns 12 bytes
 */
export function writeHsExt(ext: SrtHsExt): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint32(0, ext.version >>> 0);
  v.setUint32(4, ext.flags >>> 0);
  v.setUint16(8, Math.min(0xffff, ext.receiverDelayMs));
  v.setUint16(10, Math.min(0xffff, ext.senderDelayMs));
  return out;
}

/**
 * Longest stream id (§3.2.1.3).
 *
 * @example
 * ```ts
 * import { MAX_STREAM_ID_BYTES } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_STREAM_ID_BYTES, 512);
 * ```
 */
export const MAX_STREAM_ID_BYTES = 512;

/**
 * Encode a stream id: UTF-8, zero padded to whole words, each word's bytes
 * reversed (libsrt writes the string as little-endian 32-bit words).
 *
 * @example
 * ```ts
 * import { encodeStreamIdExt } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.deepEqual([...encodeStreamIdExt("abcde")], [100, 99, 98, 97, 0, 0, 0, 101]);
 * ```
 *
 * @param streamId the id
 * @returns the extension content
 * @throws {StreamError} `InvalidInput` past 512 bytes
 */
export function encodeStreamIdExt(streamId: string): Uint8Array {
  const text = new TextEncoder().encode(streamId);
  if (text.length > MAX_STREAM_ID_BYTES) {
    throw new StreamError(
      "InvalidInput",
      `Cannot encode SRT stream id: ${text.length} bytes, at most 512`,
    );
  }
  const out = new Uint8Array(Math.ceil(text.length / 4) * 4);
  for (let i = 0; i < text.length; i++) {
    out[(i & ~3) + 3 - (i & 3)] = text[i]!;
  }
  return out;
}

/**
 * Decode a stream id extension (the inverse of {@linkcode encodeStreamIdExt}).
 *
 * @example
 * ```ts
 * import { decodeStreamIdExt, encodeStreamIdExt } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(decodeStreamIdExt(encodeStreamIdExt("publish:live/cam")), "publish:live/cam");
 * ```
 *
 * @param content the extension content
 * @returns the id
 * @throws {StreamError} `InvalidInput` past 512 bytes or for invalid UTF-8
 */
export function decodeStreamIdExt(content: Uint8Array): string {
  if (content.length > MAX_STREAM_ID_BYTES) {
    throw new StreamError(
      "InvalidInput",
      `Cannot decode SRT stream id: ${content.length} bytes, at most 512`,
    );
  }
  const bytes = new Uint8Array(content.length);
  for (let i = 0; i < content.length; i++) {
    bytes[(i & ~3) + 3 - (i & 3)] = content[i]!;
  }
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(0, end),
    );
  } catch (cause) {
    throw new StreamError(
      "InvalidInput",
      "Cannot decode SRT stream id: not UTF-8",
      { cause },
    );
  }
}

/**
 * The first extension of `type`, if any.
 *
 * @example
 * ```ts
 * import { findExtension } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(findExtension([{ type: 1, content: new Uint8Array(12) }], 5), undefined);
 * ```
 *
 * @param extensions the blocks
 * @param type the wanted type
 * @returns the block's content
 */
export function findExtension(
  extensions: readonly SrtExtension[],
  type: number,
): Uint8Array | undefined {
  for (const e of extensions) if (e.type === type) return e.content;
  return undefined;
}
