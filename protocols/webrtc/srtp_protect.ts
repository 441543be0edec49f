/**
 * SRTP protect (send side) for AES_CM_128_HMAC_SHA1_80 (RFC 3711), written
 * for the WHEP fan-out, where every RTP packet is protected once per viewer.
 *
 * Cost model: per viewer session, the session keys are derived once (RFC
 * 3711 §4.3, key derivation rate 0), ONE AES-128-ECB cipher (node:crypto,
 * key schedule done once) is kept for the session, and the HMAC-SHA1 inner
 * and outer states (key XOR ipad/opad) are computed once. Per call of
 * {@linkcode SrtpProtector.protect} (a frame's packets), the AES-CM counter
 * blocks of all packets go through that cipher in ONE `update` (the
 * keystream), the payloads are XORed in JS, and the 80-bit tag is a JS
 * SHA-1 from the precomputed states (no per-packet cipher or HMAC object:
 * werift's SrtpSession builds a node:crypto cipher per packet).
 *
 * With a {@linkcode NativeSrtp} (the system's libcrypto through FFI, opened
 * once by the WebRTC handler) the same transform runs natively: per packet
 * the counter block is set on the session's one keyed AES-128-CTR context
 * and the payload encrypted in place in the output buffer, and the tag is
 * an HMAC-SHA1 from the session's precomputed pad states — the same bytes
 * (tests compare both paths), a fraction of the CPU.
 *
 * Data path: the shared clear packet is read, never written; each protected
 * packet (header with the viewer's payload type, encrypted payload, tag) is
 * a view of ONE new buffer per call (a frame's packets for one viewer: no
 * backing store per packet), handed to the socket. Memory: one keystream
 * buffer and one output buffer per call, the per-SSRC rollover state (a few
 * numbers per track).
 *
 * @module
 */
import crypto from "node:crypto";
import { StreamError } from "../../media/stream_error.ts";
import type { NativeSrtp, NativeSrtpKeys } from "./_native_srtp.ts";

/** Length of the AES_CM_128_HMAC_SHA1_80 authentication tag, bytes. */
export const SRTP_AUTH_TAG_LENGTH = 10;

function ecb(key: Uint8Array): crypto.Cipheriv {
  const c = crypto.createCipheriv("aes-128-ecb", key, null);
  c.setAutoPadding(false);
  return c;
}

/**
 * RFC 3711 §4.3.1 key derivation with the AES-CM PRF and a key derivation
 * rate of 0: `length` bytes for `label` (0 cipher key, 1 auth key, 2 salt).
 *
 * @example RFC 3711 Appendix B.3
 * ```ts
 * import { deriveSrtpKey } from "./srtp_protect.ts";
 * import assert from "node:assert/strict";
 * const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));
 * const k = deriveSrtpKey(hex("E1F97A0D3E018BE0D64FA32C06DE4139"), hex("0EC675AD498AFEEBB6960B3AABE6"), 0, 16);
 * assert.deepEqual(k, hex("C61E7A93744F39EE10734AFE3FF7A087"));
 * ```
 */
export function deriveSrtpKey(
  masterKey: Uint8Array,
  masterSalt: Uint8Array,
  label: number,
  length: number,
): Uint8Array {
  if (masterKey.length !== 16 || masterSalt.length !== 14) {
    throw new StreamError(
      "Protocol",
      "Cannot derive SRTP keys: AES-128 needs a 16-byte master key and a 14-byte master salt",
    );
  }
  const blocks = Math.ceil(length / 16);
  const input = new Uint8Array(blocks * 16);
  for (let j = 0; j < blocks; j++) {
    const b = input.subarray(j * 16, j * 16 + 16);
    b.set(masterSalt); // x = key_id XOR master_salt, key_id = label || r (r = 0)
    b[7]! ^= label;
    b[14] = j >> 8; // x * 2^16 + block counter
    b[15] = j & 0xff;
  }
  const out = new Uint8Array(ecb(masterKey).update(input));
  return out.slice(0, length);
}

// ---- HMAC-SHA1 with precomputed pad states --------------------------------

const W = new Int32Array(80);

/** Little-endian host: 32-bit loads of message words need a byte swap. */
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function compress(h: Int32Array, m: Uint8Array, off: number): void {
  const w = W;
  for (let t = 0, i = off; t < 16; t++, i += 4) {
    w[t] = (m[i]! << 24) | (m[i + 1]! << 16) | (m[i + 2]! << 8) | m[i + 3]!;
  }
  rounds(h, w);
}

/** `compress` of 16 words read as 32-bit loads (`m32[k..k+16)`). */
function compress32(h: Int32Array, m32: Int32Array, k: number): void {
  const w = W;
  for (let t = 0; t < 16; t++) {
    const x = m32[k + t]!;
    w[t] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
  rounds(h, w);
}

function rounds(h: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, tmp = 0, t = 0;
  for (; t < 20; t++) {
    tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + 0x5a827999 +
      w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 40; t++) {
    tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 60; t++) {
    tmp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e +
      0x8f1bbcdc + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  for (; t < 80; t++) {
    tmp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = tmp;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
}

const SHA1_INIT = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
const tail = new Uint8Array(128);

/** SHA-1 of (64 bytes already in `state`) + data; digest into `out`. */
function finish(
  state: Int32Array,
  data: Uint8Array,
  start: number,
  end: number,
  out: Int32Array,
): void {
  out.set(state);
  let p = start;
  const at = data.byteOffset + start;
  if (LITTLE && (at & 3) === 0 && end - start >= 64) {
    const m32 = new Int32Array(data.buffer, at, (end - start) >> 2);
    for (let k = 0; p + 64 <= end; p += 64, k += 16) compress32(out, m32, k);
  }
  for (; p + 64 <= end; p += 64) compress(out, data, p);
  const rest = end - p;
  const bits = (64 + end - start) * 8;
  const tailLength = rest + 9 <= 64 ? 64 : 128;
  tail.fill(0, 0, tailLength);
  tail.set(data.subarray(p, end));
  tail[rest] = 0x80;
  // Message length < 2^32 bits: the upper length word stays 0.
  tail[tailLength - 4] = bits >>> 24;
  tail[tailLength - 3] = (bits >>> 16) & 0xff;
  tail[tailLength - 2] = (bits >>> 8) & 0xff;
  tail[tailLength - 1] = bits & 0xff;
  compress(out, tail, 0);
  if (tailLength === 128) compress(out, tail, 64);
}

/**
 * HMAC-SHA1 with the key's inner and outer pad blocks hashed once.
 *
 * @example
 * ```ts
 * import { HmacSha1 } from "./srtp_protect.ts";
 * import assert from "node:assert/strict";
 * const mac = new HmacSha1(new Uint8Array(20).fill(0x0b));
 * const tag = mac.digest(new TextEncoder().encode("Hi There"));
 * assert.equal(tag.length, 20);
 * ```
 */
export class HmacSha1 {
  readonly #inner = new Int32Array(5);
  readonly #outer = new Int32Array(5);
  readonly #h = new Int32Array(5);
  readonly #block = new Uint8Array(64);

  constructor(key: Uint8Array) {
    if (key.length > 64) {
      throw new StreamError(
        "Protocol",
        "Cannot key HMAC-SHA1: keys over 64 bytes are not used by SRTP",
      );
    }
    for (
      const [state, pad] of [[this.#inner, 0x36], [this.#outer, 0x5c]] as const
    ) {
      const block = new Uint8Array(64).fill(pad);
      for (let i = 0; i < key.length; i++) block[i]! ^= key[i]!;
      state.set(SHA1_INIT);
      compress(state, block, 0);
    }
  }

  /** The MAC of `data[start, end)` (20 bytes, or the first `length`) into `out` at `at`. */
  macInto(
    data: Uint8Array,
    start: number,
    end: number,
    out: Uint8Array,
    at: number,
    length = 20,
  ): void {
    const h = this.#h;
    finish(this.#inner, data, start, end, h);
    const block = this.#block;
    for (let i = 0; i < 5; i++) {
      const v = h[i]!;
      block[i * 4] = v >>> 24;
      block[i * 4 + 1] = (v >>> 16) & 0xff;
      block[i * 4 + 2] = (v >>> 8) & 0xff;
      block[i * 4 + 3] = v & 0xff;
    }
    finish(this.#outer, block, 0, 20, h);
    for (let i = 0; i < length; i++) {
      out[at + i] = (h[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff;
    }
  }

  /** The 20-byte MAC of `data`. */
  digest(data: Uint8Array): Uint8Array {
    const out = new Uint8Array(20);
    this.macInto(data, 0, data.length, out, 0);
    return out;
  }
}

// ---- the transform ---------------------------------------------------------

/** Where the payload of an RTP packet starts (bounds-checked). */
export function rtpHeaderLength(p: Uint8Array): number {
  if (p.length < 12 || p[0]! >> 6 !== 2) {
    throw new StreamError("Protocol", "Cannot protect RTP: not an RTP packet");
  }
  let n = 12 + 4 * (p[0]! & 0x0f);
  if (p[0]! & 0x10) {
    if (p.length < n + 4) {
      throw new StreamError(
        "Protocol",
        "Cannot protect RTP: truncated extension",
      );
    }
    n += 4 + 4 * ((p[n + 2]! << 8) | p[n + 3]!);
  }
  if (n > p.length) {
    throw new StreamError("Protocol", "Cannot protect RTP: truncated header");
  }
  return n;
}

const IV = new Uint8Array(16);
const IV32 = new Int32Array(IV.buffer);

/**
 * A packet's AES-CM IV (RFC 3711 §4.1.1) into `iv`: the session salt XOR
 * SSRC, ROC and sequence number, block counter 0 in the last two bytes.
 */
function packetIv(
  iv: Uint8Array,
  salt: Uint8Array,
  p: Uint8Array,
  roc: number,
): void {
  iv.set(salt);
  iv[14] = 0;
  iv[15] = 0;
  iv[4]! ^= p[8]!;
  iv[5]! ^= p[9]!;
  iv[6]! ^= p[10]!;
  iv[7]! ^= p[11]!;
  iv[8]! ^= roc >>> 24;
  iv[9]! ^= (roc >>> 16) & 0xff;
  iv[10]! ^= (roc >>> 8) & 0xff;
  iv[11]! ^= roc & 0xff;
  iv[12]! ^= p[2]!;
  iv[13]! ^= p[3]!;
}

interface Rollover {
  roc: number;
  highest: number;
}

/**
 * The send side of one SRTP session (AES_CM_128_HMAC_SHA1_80); see the
 * module doc for the cost model.
 *
 * @example
 * ```ts
 * import { SrtpProtector } from "./srtp_protect.ts";
 * import assert from "node:assert/strict";
 * const srtp = new SrtpProtector(new Uint8Array(16), new Uint8Array(14));
 * const rtp = new Uint8Array(112);
 * rtp[0] = 0x80;
 * const [out] = srtp.protect([rtp], [96]);
 * assert.equal(out!.length, 112 + 10);
 * assert.equal(out![1], 96);
 * ```
 */
export class SrtpProtector {
  readonly #ecb: crypto.Cipheriv;
  readonly #salt: Uint8Array;
  readonly #mac: HmacSha1;
  readonly #native: NativeSrtpKeys | undefined;
  readonly #iv = new Uint8Array(16);
  readonly #rollover = new Map<number, Rollover>();

  /** From the DTLS-exported master key (16 bytes) and salt (14 bytes). */
  constructor(
    masterKey: Uint8Array,
    masterSalt: Uint8Array,
    native?: NativeSrtp,
  );
  /** From session keys already derived (cipher key, auth key, salt). */
  constructor(
    session: { cipherKey: Uint8Array; authKey: Uint8Array; salt: Uint8Array },
    native?: NativeSrtp,
  );
  constructor(
    a: Uint8Array | {
      cipherKey: Uint8Array;
      authKey: Uint8Array;
      salt: Uint8Array;
    },
    b?: Uint8Array | NativeSrtp,
    c?: NativeSrtp,
  ) {
    const k = a instanceof Uint8Array
      ? {
        cipherKey: deriveSrtpKey(a, b as Uint8Array, 0, 16),
        authKey: deriveSrtpKey(a, b as Uint8Array, 1, 20),
        salt: deriveSrtpKey(a, b as Uint8Array, 2, 14),
      }
      : a;
    const native = a instanceof Uint8Array ? c : b as NativeSrtp | undefined;
    if (k.cipherKey.length !== 16 || k.salt.length !== 14) {
      throw new StreamError(
        "Protocol",
        "Cannot create SRTP session: AES-128 needs a 16-byte key and a 14-byte salt",
      );
    }
    this.#ecb = ecb(k.cipherKey);
    this.#mac = new HmacSha1(k.authKey);
    this.#salt = k.salt;
    this.#native = native?.keys(k.cipherKey, k.authKey);
  }

  /** True when the transform runs in the system's libcrypto. */
  get native(): boolean {
    return this.#native !== undefined;
  }

  /** Free the native cipher context, if any (idempotent; the JS path needs nothing). */
  dispose(): void {
    this.#native?.dispose();
  }

  /** The packet index's rollover counter for a sent sequence number (RFC 3711 §3.3.1). */
  #roc(ssrc: number, seq: number): number {
    const r = this.#rollover.get(ssrc);
    if (!r) {
      this.#rollover.set(ssrc, { roc: 0, highest: seq });
      return 0;
    }
    const d = seq - r.highest;
    if (d > 0 && d < 0x8000) {
      r.highest = seq;
      return r.roc;
    }
    if (d < -0x8000) { // wrapped forward
      r.roc = (r.roc + 1) >>> 0;
      r.highest = seq;
      return r.roc;
    }
    if (d > 0x8000) return (r.roc - 1) >>> 0; // an older packet, before the wrap
    return r.roc; // an older packet (retransmission) or the same
  }

  /**
   * Protect clear RTP packets; `payloadTypes[i]` replaces packet i's
   * payload type. Returns the SRTP packets, views of one new buffer
   * (inputs untouched).
   */
  protect(
    packets: readonly Uint8Array[],
    payloadTypes: readonly number[],
  ): Uint8Array[] {
    if (this.#native) {
      return this.#protectNative(this.#native, packets, payloadTypes);
    }
    const heads: number[] = new Array(packets.length);
    let blocks = 0;
    let total = 0; // bytes of the output slab
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const h = rtpHeaderLength(p);
      heads[i] = h;
      blocks += Math.ceil((p.length - h) / 16);
      total += (p.length + SRTP_AUTH_TAG_LENGTH + 3) & ~3;
    }
    // Counter blocks of every packet, then one ECB pass = the keystream.
    const counters = new Uint8Array(blocks * 16);
    const c32 = new Int32Array(counters.buffer);
    const rocs: number[] = new Array(packets.length);
    const salt = this.#salt;
    let c = 0; // in 32-bit words
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const n = Math.ceil((p.length - heads[i]!) / 16);
      const seq = (p[2]! << 8) | p[3]!;
      const roc = this.#roc(
        ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0,
        seq,
      );
      rocs[i] = roc;
      // This packet's IV (RFC 3711 §4.1.1), then one counter block per 16
      // payload bytes: the IV with the block number in its last two bytes.
      const iv = IV;
      packetIv(iv, salt, p, roc);
      const w0 = IV32[0]!, w1 = IV32[1]!, w2 = IV32[2]!;
      for (let j = 0; j < n; j++, c += 4) {
        iv[14] = j >> 8;
        iv[15] = j & 0xff;
        c32[c] = w0;
        c32[c + 1] = w1;
        c32[c + 2] = w2;
        c32[c + 3] = IV32[3]!;
      }
    }
    // The keystream, copied to a 4-byte-aligned buffer (XOR by 32-bit words;
    // the cipher's output Buffer may sit at any offset of a pool).
    counters.set(blocks > 0 ? this.#ecb.update(counters) : counters);
    const ks32 = new Int32Array(counters.buffer);
    const out: Uint8Array[] = new Array(packets.length);
    // One backing store for the call's packets (each a word-aligned view).
    const slab = new Uint8Array(total);
    const s32 = new Int32Array(slab.buffer);
    let at = 0; // this packet's offset in the slab, bytes (a multiple of 4)
    let k = 0; // keystream offset, bytes (a multiple of 16)
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const h = heads[i]!;
      const len = p.length;
      // Room for the ROC while authenticating; the tag overwrites it. The
      // header is a multiple of 4 bytes, so the payload is word-aligned.
      const room = (len + SRTP_AUTH_TAG_LENGTH + 3) & ~3;
      const s = slab.subarray(at, at + room);
      s.set(p);
      s[1] = (p[1]! & 0x80) | (payloadTypes[i]! & 0x7f);
      const words = (len - h + 3) >> 2; // the last word may run past len: fixed below
      for (let j = 0, a = (at + h) >> 2, b = k >> 2; j < words; j++) {
        s32[a + j] = s32[a + j]! ^ ks32[b + j]!;
      }
      at += room;
      k += Math.ceil((len - h) / 16) * 16;
      const roc = rocs[i]!;
      s[len] = roc >>> 24;
      s[len + 1] = (roc >>> 16) & 0xff;
      s[len + 2] = (roc >>> 8) & 0xff;
      s[len + 3] = roc & 0xff;
      this.#mac.macInto(s, 0, len + 4, s, len, SRTP_AUTH_TAG_LENGTH);
      out[i] = s.subarray(0, len + SRTP_AUTH_TAG_LENGTH);
    }
    return out;
  }

  /** `protect` through libcrypto: the same layout, the payload encrypted in place. */
  #protectNative(
    native: NativeSrtpKeys,
    packets: readonly Uint8Array[],
    payloadTypes: readonly number[],
  ): Uint8Array[] {
    let total = 0;
    for (let i = 0; i < packets.length; i++) {
      total += packets[i]!.length + SRTP_AUTH_TAG_LENGTH;
    }
    const slab = new Uint8Array(total);
    const out: Uint8Array[] = new Array(packets.length);
    const iv = this.#iv;
    const salt = this.#salt;
    let at = 0;
    for (let i = 0; i < packets.length; i++) {
      const p = packets[i]!;
      const h = rtpHeaderLength(p);
      const len = p.length;
      const s = slab.subarray(at, at + len + SRTP_AUTH_TAG_LENGTH);
      at += len + SRTP_AUTH_TAG_LENGTH;
      s.set(p);
      s[1] = (p[1]! & 0x80) | (payloadTypes[i]! & 0x7f);
      const roc = this.#roc(
        ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0,
        (p[2]! << 8) | p[3]!,
      );
      packetIv(iv, salt, p, roc);
      if (len > h) native.ctr(iv, s.subarray(h, len));
      // The ROC is authenticated after the packet: written where the tag
      // goes, then overwritten by the tag.
      s[len] = roc >>> 24;
      s[len + 1] = (roc >>> 16) & 0xff;
      s[len + 2] = (roc >>> 8) & 0xff;
      s[len + 3] = roc & 0xff;
      native.mac(s.subarray(0, len + 4), s, len, SRTP_AUTH_TAG_LENGTH);
      out[i] = s;
    }
    return out;
  }
}
