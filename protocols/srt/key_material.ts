/**
 * SRT encryption (draft-sharabayko-srt §3.2.2 key material, §6 encryption):
 * the KM message, the key-encrypting key (PBKDF2-HMAC-SHA1 over the
 * passphrase, 2,048 iterations, salted with the low 64 bits of the KM salt),
 * RFC 3394 AES key wrap/unwrap, and AES-CTR payload encryption with the
 * packet-index IV.
 *
 * ```
 * 0x12 | sign 0x2029 | resv:6 KK:2 | KEKI(32) | cipher auth SE resv | resv(16) SLen/4 KLen/4 | salt | wrapped key(s)
 * IV = salt[0..14] XOR (seq << 16 at bytes 10..13), bytes 14..15 = block counter
 * ```
 *
 * Data path: one AES-ECB cipher object per stream encrypting key (even and
 * odd), built once when the key arrives; each packet encrypts its counter
 * blocks with it in one call and XORs them into a fresh payload buffer.
 *
 * @module
 */
import crypto from "node:crypto";
import { StreamError } from "../../media/stream_error.ts";

/** What we use of a node:crypto cipher. */
interface Transform {
  update(data: Uint8Array): Uint8Array;
  setAutoPadding(on: boolean): unknown;
}

/**
 * KM states carried by a 4-byte KMRSP (§3.2.2).
 *
 * @example
 * ```ts
 * import { SrtKmState } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(SrtKmState.BadSecret, 4);
 * ```
 */
export const SrtKmState = {
  /** No encryption. */
  Unsecured: 0,
  /** Key exchange pending. */
  Securing: 1,
  /** Keys agreed. */
  Secured: 2,
  /** This side has no passphrase. */
  NoSecret: 3,
  /** The passphrases differ. */
  BadSecret: 4,
} as const;

/**
 * A parsed KM message (views into the input).
 *
 * @example
 * ```ts
 * import { buildKeyMaterial, parseKeyMaterial } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const km = buildKeyMaterial("0123456789", 16).message;
 * assert.equal(parseKeyMaterial(km).keyBytes, 16);
 * ```
 */
export interface SrtKeyMaterial {
  /** 1 even, 2 odd, 3 both. */
  keyFlags: number;
  /** 16, 24 or 32. */
  keyBytes: number;
  /** The 16-byte salt. */
  salt: Uint8Array;
  /** The wrapped key(s): 8 + keyBytes × (1 or 2). */
  wrapped: Uint8Array;
}

const KM_HEADER = 16;

/**
 * Parse a KM message (KMREQ/KMRSP content).
 *
 * @example
 * ```ts
 * import { parseKeyMaterial, StreamError } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.throws(() => parseKeyMaterial(new Uint8Array(8)), StreamError);
 * ```
 *
 * @param bytes the message
 * @returns its fields
 * @throws {StreamError} `InvalidInput` when malformed, `Unsupported` for ciphers other than AES-CTR
 */
export function parseKeyMaterial(bytes: Uint8Array): SrtKeyMaterial {
  const fail = (why: string): never => {
    throw new StreamError(
      "InvalidInput",
      `Cannot parse SRT key material: ${why}`,
    );
  };
  if (bytes.length < KM_HEADER) fail(`${bytes.length} bytes, header needs 16`);
  if (bytes[0] !== 0x12) fail(`version/type byte 0x${bytes[0]!.toString(16)}`);
  if (bytes[1] !== 0x20 || bytes[2] !== 0x29) fail("bad signature");
  const keyFlags = bytes[3]! & 3;
  if (keyFlags === 0) fail("no key flag");
  if (bytes[8] !== 2) {
    throw new StreamError(
      "Unsupported",
      `Cannot use SRT cipher ${bytes[8]}: only AES-CTR (2) is supported`,
    );
  }
  const saltBytes = bytes[14]! * 4;
  const keyBytes = bytes[15]! * 4;
  if (saltBytes !== 16) fail(`salt of ${saltBytes} bytes`);
  if (keyBytes !== 16 && keyBytes !== 24 && keyBytes !== 32) {
    fail(`key of ${keyBytes} bytes`);
  }
  const wrappedBytes = 8 + keyBytes * (keyFlags === 3 ? 2 : 1);
  if (bytes.length < KM_HEADER + saltBytes + wrappedBytes) {
    fail(
      `${bytes.length} bytes, needs ${KM_HEADER + saltBytes + wrappedBytes}`,
    );
  }
  return {
    keyFlags,
    keyBytes,
    salt: bytes.subarray(KM_HEADER, KM_HEADER + saltBytes),
    wrapped: bytes.subarray(
      KM_HEADER + saltBytes,
      KM_HEADER + saltBytes + wrappedBytes,
    ),
  };
}

function ecb(key: Uint8Array, decrypt: boolean): Transform {
  const name = `aes-${key.length * 8}-ecb`;
  const c = decrypt
    ? crypto.createDecipheriv(name, key, null)
    : crypto.createCipheriv(name, key, null);
  c.setAutoPadding(false);
  return c;
}

/**
 * The key-encrypting key of a passphrase for a KM salt.
 *
 * @example
 * ```ts
 * import { deriveKek } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(deriveKek("passphrase", new Uint8Array(16), 16).length, 16);
 * ```
 *
 * @param passphrase 10 to 79 characters
 * @param salt the 16-byte KM salt (its last 8 bytes salt PBKDF2)
 * @param keyBytes 16, 24 or 32
 * @returns the KEK
 */
export function deriveKek(
  passphrase: string,
  salt: Uint8Array,
  keyBytes: number,
): Uint8Array {
  return new Uint8Array(
    crypto.pbkdf2Sync(
      passphrase,
      salt.subarray(salt.length - 8),
      2048,
      keyBytes,
      "sha1",
    ),
  );
}

const WRAP_IV = [0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6];

/**
 * RFC 3394 AES key wrap.
 *
 * @example
 * ```ts
 * import { aesUnwrap, aesWrap } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const kek = new Uint8Array(16).fill(1), key = new Uint8Array(16).fill(2);
 * assert.deepEqual(aesUnwrap(kek, aesWrap(kek, key)), key);
 * ```
 *
 * @param kek key-encrypting key
 * @param plain key data, a multiple of 8 bytes (≥ 16)
 * @returns 8 + plain.length bytes
 */
export function aesWrap(kek: Uint8Array, plain: Uint8Array): Uint8Array {
  const n = plain.length / 8;
  const a = new Uint8Array(WRAP_IV);
  const r = new Uint8Array(plain);
  const cipher = ecb(kek, false);
  const block = new Uint8Array(16);
  for (let j = 0; j <= 5; j++) {
    for (let i = 1; i <= n; i++) {
      block.set(a, 0);
      block.set(r.subarray((i - 1) * 8, i * 8), 8);
      const b = cipher.update(block);
      const t = n * j + i;
      a.set(b.subarray(0, 8));
      xorCounter(a, t);
      r.set(b.subarray(8, 16), (i - 1) * 8);
    }
  }
  const out = new Uint8Array(8 + plain.length);
  out.set(a, 0);
  out.set(r, 8);
  return out;
}

function xorCounter(a: Uint8Array, t: number): void {
  for (let k = 7; k >= 0 && t > 0; k--) {
    a[k]! ^= t & 0xff;
    t = Math.floor(t / 256);
  }
}

/**
 * RFC 3394 AES key unwrap; `null` when the integrity check fails (wrong KEK).
 *
 * @example
 * ```ts
 * import { aesUnwrap } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(aesUnwrap(new Uint8Array(16), new Uint8Array(24)), null);
 * ```
 *
 * @param kek key-encrypting key
 * @param wrapped wrapped key data (8 + a multiple of 8 bytes)
 * @returns the key data, or null
 */
export function aesUnwrap(
  kek: Uint8Array,
  wrapped: Uint8Array,
): Uint8Array | null {
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) return null;
  const n = wrapped.length / 8 - 1;
  const a = new Uint8Array(wrapped.subarray(0, 8));
  const r = new Uint8Array(wrapped.subarray(8));
  const decipher = ecb(kek, true);
  const block = new Uint8Array(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      xorCounter(a, n * j + i);
      block.set(a, 0);
      block.set(r.subarray((i - 1) * 8, i * 8), 8);
      const b = decipher.update(block);
      a.set(b.subarray(0, 8));
      r.set(b.subarray(8, 16), (i - 1) * 8);
    }
  }
  for (let k = 0; k < 8; k++) if (a[k] !== 0xa6) return null;
  return r;
}

/**
 * A fresh KM message for `passphrase` and its stream encrypting key.
 *
 * @example
 * ```ts
 * import { buildKeyMaterial } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const { message, key } = buildKeyMaterial("0123456789", 32);
 * assert.equal(key.length, 32);
 * assert.equal(message.length, 16 + 16 + 8 + 32);
 * ```
 *
 * @param passphrase the shared secret
 * @param keyBytes 16, 24 or 32
 * @param keyFlags 1 (even, default) or 2 (odd)
 * @returns the message and the clear key
 */
export function buildKeyMaterial(
  passphrase: string,
  keyBytes: number,
  keyFlags = 1,
): { message: Uint8Array; key: Uint8Array; salt: Uint8Array } {
  const salt = new Uint8Array(crypto.randomBytes(16));
  const key = new Uint8Array(crypto.randomBytes(keyBytes));
  const wrapped = aesWrap(deriveKek(passphrase, salt, keyBytes), key);
  const out = new Uint8Array(KM_HEADER + 16 + wrapped.length);
  out.set([
    0x12,
    0x20,
    0x29,
    keyFlags & 3,
    0,
    0,
    0,
    0,
    2,
    0,
    2,
    0,
    0,
    0,
    4,
    keyBytes / 4,
  ]);
  out.set(salt, KM_HEADER);
  out.set(wrapped, KM_HEADER + 16);
  return { message: out, key, salt };
}

interface KeySlot {
  salt: Uint8Array;
  cipher: Transform;
}

/**
 * The stream encrypting keys of one connection (even and odd) and the
 * AES-CTR transform of payloads.
 *
 * @example Encrypt and decrypt a payload
 * ```ts
 * import { buildKeyMaterial, SrtCrypto } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const km = buildKeyMaterial("0123456789", 16).message;
 * const a = new SrtCrypto("0123456789"), b = new SrtCrypto("0123456789");
 * assert.ok(a.install(km) && b.install(km));
 * const clear = new Uint8Array(100).fill(7);
 * const sealed = a.transform(clear, 42, 1)!;
 * assert.deepEqual(b.transform(sealed, 42, 1), clear);
 * ```
 */
export class SrtCrypto {
  #passphrase: string;
  #slots: (KeySlot | undefined)[] = [undefined, undefined];
  #keyBytes = 0;

  /**
   * Keys are installed from KM messages.
   *
   * @param passphrase the shared secret
   */
  constructor(passphrase: string) {
    this.#passphrase = passphrase;
  }

  /** Key length of the installed keys (0 before any). */
  get keyBytes(): number {
    return this.#keyBytes;
  }

  /** KK flags of a packet sent now: the even key when present, else the odd one. */
  get sendKeyFlags(): number {
    return this.#slots[0] !== undefined
      ? 1
      : this.#slots[1] !== undefined
      ? 2
      : 0;
  }

  /**
   * Unwrap and install the key(s) of a KM message.
   *
   * @param message KMREQ content
   * @returns false when the passphrase does not unwrap it
   * @throws {StreamError} `InvalidInput`/`Unsupported` for a malformed message
   */
  install(message: Uint8Array): boolean {
    const km = parseKeyMaterial(message);
    const kek = deriveKek(this.#passphrase, km.salt, km.keyBytes);
    const keys = aesUnwrap(kek, km.wrapped);
    if (keys === null) return false;
    const salt = new Uint8Array(km.salt);
    let at = 0;
    for (const slot of [0, 1]) {
      if ((km.keyFlags & (1 << slot)) === 0) continue;
      const key = keys.subarray(at, at + km.keyBytes);
      at += km.keyBytes;
      this.#slots[slot] = { salt, cipher: ecb(key, false) };
    }
    this.#keyBytes = km.keyBytes;
    return true;
  }

  /**
   * Encrypt or decrypt (the same operation in CTR mode) a payload.
   *
   * @param payload clear or sealed bytes (not modified)
   * @param seq the packet sequence number (the packet index of the IV)
   * @param keyFlags KK of the packet: 1 even, 2 odd
   * @returns a new buffer, or null when that key is absent
   */
  transform(
    payload: Uint8Array,
    seq: number,
    keyFlags: number,
  ): Uint8Array | null {
    const slot = keyFlags === 1
      ? this.#slots[0]
      : keyFlags === 2
      ? this.#slots[1]
      : undefined;
    if (slot === undefined) return null;
    const blocks = Math.ceil(payload.length / 16);
    const ctr = new Uint8Array(blocks * 16);
    const iv = new Uint8Array(16);
    iv.set(slot.salt.subarray(0, 14));
    iv[10]! ^= (seq >>> 24) & 0xff;
    iv[11]! ^= (seq >>> 16) & 0xff;
    iv[12]! ^= (seq >>> 8) & 0xff;
    iv[13]! ^= seq & 0xff;
    for (let b = 0; b < blocks; b++) {
      ctr.set(iv, b * 16);
      ctr[b * 16 + 14] = (b >>> 8) & 0xff;
      ctr[b * 16 + 15] = b & 0xff;
    }
    const stream = slot.cipher.update(ctr);
    const out = new Uint8Array(payload.length);
    for (let i = 0; i < payload.length; i++) out[i] = payload[i]! ^ stream[i]!;
    return out;
  }
}
