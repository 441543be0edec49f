/**
 * The RTMP handshake as pure byte functions: the plain handshake (C0/C1/C2,
 * S0/S1/S2 of the Adobe RTMP specification §5.2) and the digest ("complex")
 * handshake that Flash-era players and many encoders (ffmpeg, OBS) send.
 *
 * Specification: Adobe RTMP 1.0 §5.2 (plain handshake); the digest scheme is
 * the de-facto Flash Media Server one (HMAC-SHA256 keyed with the "Genuine
 * Adobe Flash Media Server 001" / "Genuine Adobe Flash Player 001" keys, digest
 * at an offset derived from bytes 8..11 (scheme 0) or 772..775 (scheme 1)).
 *
 * Data path: the server reads exactly {@linkcode HANDSHAKE_SIZE} + 1 bytes
 * (C0+C1), answers with {@linkcode createServerHandshake} (S0+S1+S2 in one
 * buffer) and then reads and discards C2. Nothing here keeps state; memory is
 * the three fixed 1536-byte packets.
 *
 * @module
 */
import { createHmac } from "node:crypto";
import { StreamError } from "../../media/stream_error.ts";

/**
 * Size of C1/C2/S1/S2 (RTMP §5.2.3): fixed by the protocol.
 *
 * @example
 * ```ts
 * import { HANDSHAKE_SIZE } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(HANDSHAKE_SIZE, 1536);
 * ```
 */
export const HANDSHAKE_SIZE = 1536;
/**
 * The RTMP version byte in C0/S0 (RTMP §5.2.2).
 *
 * @example
 * ```ts
 * import { RTMP_VERSION } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(RTMP_VERSION, 3);
 * ```
 */
export const RTMP_VERSION = 3;

const DIGEST_LENGTH = 32;
const FMS_KEY_TEXT = "Genuine Adobe Flash Media Server 001";
const FP_KEY_TEXT = "Genuine Adobe Flash Player 001";
const KEY_TAIL = [
  0xf0,
  0xee,
  0xc2,
  0x4a,
  0x80,
  0x68,
  0xbe,
  0xe8,
  0x2e,
  0x00,
  0xd0,
  0xd1,
  0x02,
  0x9e,
  0x7e,
  0x57,
  0x6e,
  0xec,
  0x5d,
  0x2d,
  0x29,
  0x80,
  0x6f,
  0xab,
  0x93,
  0xb8,
  0xe6,
  0x36,
  0xcf,
  0xeb,
  0x31,
  0xae,
];
const FMS_KEY: Uint8Array = new Uint8Array([
  ...new TextEncoder().encode(FMS_KEY_TEXT),
  ...KEY_TAIL,
]);
const FP_KEY: Uint8Array = new Uint8Array([
  ...new TextEncoder().encode(FP_KEY_TEXT),
  ...KEY_TAIL,
]);
/** The server version we announce in S1 when answering a digest handshake (FMS 4.5.0.1 style). */
const SERVER_VERSION = 0x04050001;
/** The client version our client announces (Flash Player 9.0.124.2 style, as ffmpeg does). */
const CLIENT_VERSION = 0x80000702;

/**
 * Where a digest sits in a 1536-byte C1/S1 packet, or `null` for a plain handshake.
 *
 * @example
 * ```ts
 * import { type DigestScheme, findDigestScheme, createClientHello } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const scheme: DigestScheme | null = findDigestScheme(createClientHello().subarray(1), "client");
 * assert.equal(scheme, 0);
 * ```
 */
export type DigestScheme = 0 | 1;

/**
 * Options for {@linkcode createServerHandshake} and {@linkcode createClientHello}.
 *
 * @example
 * ```ts
 * import { createServerHandshake, type HandshakeOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: HandshakeOptions = { time: 1, random: (b) => b.fill(0) };
 * const c0c1 = new Uint8Array(1537);
 * c0c1[0] = 3;
 * assert.equal(createServerHandshake(c0c1, options)[4], 1);
 * ```
 */
export interface HandshakeOptions {
  /** The 4-byte time field to send; default 0. */
  time?: number;
  /** Fill a buffer with random bytes; default `crypto.getRandomValues`. */
  random?: (bytes: Uint8Array) => void;
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function fillRandom(bytes: Uint8Array, options: HandshakeOptions): void {
  if (options.random) options.random(bytes);
  else crypto.getRandomValues(bytes);
}

function digestOffset(packet: Uint8Array, scheme: DigestScheme): number {
  const base = scheme === 0 ? 8 : 772;
  const sum = packet[base]! + packet[base + 1]! + packet[base + 2]! +
    packet[base + 3]!;
  return (sum % 728) + base + 4;
}

function packetDigest(
  packet: Uint8Array,
  offset: number,
  key: Uint8Array,
): Uint8Array {
  return hmac(
    key,
    packet.subarray(0, offset),
    packet.subarray(offset + DIGEST_LENGTH),
  );
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Find the digest scheme of a C1 (client, keyed with the Flash Player key) or
 * S1 (server, keyed with the FMS key) packet.
 *
 * @param packet a 1536-byte C1 or S1
 * @param side `"client"` for C1, `"server"` for S1
 * @returns the scheme whose digest verifies, or `null` (a plain handshake)
 * @example Plain packets carry no digest
 * ```ts
 * import { findDigestScheme } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(findDigestScheme(new Uint8Array(1536), "client"), null);
 * ```
 */
export function findDigestScheme(
  packet: Uint8Array,
  side: "client" | "server",
): DigestScheme | null {
  if (packet.length !== HANDSHAKE_SIZE) return null;
  const key = side === "client"
    ? FP_KEY.subarray(0, FP_KEY_TEXT.length)
    : FMS_KEY.subarray(0, FMS_KEY_TEXT.length);
  for (const scheme of [0, 1] as const) {
    const offset = digestOffset(packet, scheme);
    const expected = packetDigest(packet, offset, key);
    if (equalBytes(expected, packet.subarray(offset, offset + DIGEST_LENGTH))) {
      return scheme;
    }
  }
  return null;
}

function writeU32(dst: Uint8Array, offset: number, value: number): void {
  dst[offset] = value >>> 24;
  dst[offset + 1] = (value >>> 16) & 0xff;
  dst[offset + 2] = (value >>> 8) & 0xff;
  dst[offset + 3] = value & 0xff;
}

function signPacket(
  packet: Uint8Array,
  scheme: DigestScheme,
  key: Uint8Array,
): Uint8Array {
  const offset = digestOffset(packet, scheme);
  const digest = packetDigest(packet, offset, key);
  packet.set(digest, offset);
  return digest;
}

/**
 * Answer C0+C1 with S0+S1+S2 (3073 bytes). A C1 whose digest verifies (scheme
 * 0 or 1) gets a digest S1 in the same scheme and an S2 signed over C1's
 * digest; any other C1 gets the plain answer (S2 echoes C1).
 *
 * @param c0c1 the first 1537 bytes from the client
 * @param options time and random source
 * @returns S0+S1+S2
 * @throws {StreamError} `Protocol` when C0 is not version 3 or C1 is short
 * @example Plain handshake
 * ```ts
 * import { createServerHandshake } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const c0c1 = new Uint8Array(1537);
 * c0c1[0] = 3;
 * const reply = createServerHandshake(c0c1);
 * assert.equal(reply.length, 3073);
 * assert.equal(reply[0], 3);
 * ```
 */
export function createServerHandshake(
  c0c1: Uint8Array,
  options: HandshakeOptions = {},
): Uint8Array {
  if (c0c1.length < HANDSHAKE_SIZE + 1) {
    throw new StreamError(
      "Protocol",
      `Cannot answer RTMP handshake: C0+C1 has ${c0c1.length} of ${
        HANDSHAKE_SIZE + 1
      } bytes`,
    );
  }
  if (c0c1[0] !== RTMP_VERSION) {
    throw new StreamError(
      "Protocol",
      `Cannot answer RTMP handshake: client version ${
        c0c1[0]
      } is not ${RTMP_VERSION}`,
    );
  }
  const c1 = c0c1.subarray(1, 1 + HANDSHAKE_SIZE);
  const out = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
  out[0] = RTMP_VERSION;
  const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = out.subarray(1 + HANDSHAKE_SIZE);
  fillRandom(s1.subarray(8), options);
  writeU32(s1, 0, options.time ?? 0);
  const scheme = findDigestScheme(c1, "client");
  if (scheme === null) {
    s2.set(c1);
    return out;
  }
  writeU32(s1, 4, SERVER_VERSION);
  signPacket(s1, scheme, FMS_KEY.subarray(0, FMS_KEY_TEXT.length));
  const offset = digestOffset(c1, scheme);
  const c1Digest = c1.subarray(offset, offset + DIGEST_LENGTH);
  fillRandom(s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH), options);
  const key = hmac(FMS_KEY, c1Digest);
  s2.set(
    hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH)),
    HANDSHAKE_SIZE - DIGEST_LENGTH,
  );
  return out;
}

/**
 * Options for {@linkcode createClientHello}.
 *
 * @example
 * ```ts
 * import { createClientHello, type ClientHelloOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: ClientHelloOptions = { digest: false, time: 0 };
 * assert.equal(createClientHello(options).length, 1537);
 * ```
 */
export interface ClientHelloOptions extends HandshakeOptions {
  /** Send a digest C1 (scheme 0) like Flash Player and ffmpeg; default true. */
  digest?: boolean;
}

/**
 * Build C0+C1 for a client.
 *
 * @param options digest or plain, time and random source
 * @returns 1537 bytes
 * @example A digest C1 verifies
 * ```ts
 * import { createClientHello, findDigestScheme } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const hello = createClientHello();
 * assert.equal(findDigestScheme(hello.subarray(1), "client"), 0);
 * ```
 */
export function createClientHello(
  options: ClientHelloOptions = {},
): Uint8Array {
  const out = new Uint8Array(1 + HANDSHAKE_SIZE);
  out[0] = RTMP_VERSION;
  const c1 = out.subarray(1);
  fillRandom(c1.subarray(8), options);
  writeU32(c1, 0, options.time ?? 0);
  if (options.digest === false) return out;
  writeU32(c1, 4, CLIENT_VERSION);
  signPacket(c1, 0, FP_KEY.subarray(0, FP_KEY_TEXT.length));
  return out;
}

/**
 * Build C2 from the server's S1. A digest S1 gets a digest C2 (random bytes
 * signed with a key derived from S1's digest); a plain S1 is echoed.
 *
 * @param s1 the server's 1536-byte S1
 * @param options random source
 * @returns the 1536-byte C2
 * @example Echo a plain S1
 * ```ts
 * import { createClientAck } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const s1 = new Uint8Array(1536).fill(7);
 * assert.deepEqual(createClientAck(s1), s1);
 * ```
 */
export function createClientAck(
  s1: Uint8Array,
  options: HandshakeOptions = {},
): Uint8Array {
  const scheme = findDigestScheme(s1, "server");
  if (scheme === null) return s1.slice(0, HANDSHAKE_SIZE);
  const offset = digestOffset(s1, scheme);
  const key = hmac(FP_KEY, s1.subarray(offset, offset + DIGEST_LENGTH));
  const c2 = new Uint8Array(HANDSHAKE_SIZE);
  fillRandom(c2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH), options);
  c2.set(
    hmac(key, c2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH)),
    HANDSHAKE_SIZE - DIGEST_LENGTH,
  );
  return c2;
}

/**
 * Check a server's S2 against the C1 we sent: a digest C1 expects S2 signed
 * over C1's digest with the FMS key, a plain one expects S2 to echo C1's
 * random bytes. Servers differ here, so clients usually only warn.
 *
 * @param c1 the 1536-byte C1 we sent
 * @param s2 the server's 1536-byte S2
 * @returns true when S2 matches
 * @example A plain echo verifies
 * ```ts
 * import { verifyServerAck } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const c1 = new Uint8Array(1536).fill(1);
 * assert.ok(verifyServerAck(c1, c1.slice()));
 * ```
 */
export function verifyServerAck(c1: Uint8Array, s2: Uint8Array): boolean {
  if (s2.length !== HANDSHAKE_SIZE) return false;
  const scheme = findDigestScheme(c1, "client");
  if (scheme === null) return equalBytes(c1.subarray(8), s2.subarray(8));
  const offset = digestOffset(c1, scheme);
  const key = hmac(FMS_KEY, c1.subarray(offset, offset + DIGEST_LENGTH));
  const expected = hmac(key, s2.subarray(0, HANDSHAKE_SIZE - DIGEST_LENGTH));
  return equalBytes(expected, s2.subarray(HANDSHAKE_SIZE - DIGEST_LENGTH));
}
