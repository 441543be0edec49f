/**
 * werift's DTLS does its X25519 key exchange (the curve Chromium and
 * werift offer first) with tweetnacl, in JavaScript: a key pair and a
 * shared secret cost 4–9 ms of synchronous CPU per handshake (measured on
 * the 2-core bench machine), during which no STUN answer, DTLS flight or
 * RTP send of any other session runs. Importing this module once points
 * tweetnacl's `box.keyPair` and `scalarMult` — the two functions werift
 * calls, looked up on the shared module object at each call — at
 * node:crypto's native X25519 (≈ 0.15 ms for both). Same results (RFC 7748
 * X25519, clamped scalars), checked in tests/protocols/webrtc; one
 * difference: an all-zero shared secret (a low-order public key, RFC 7748
 * §6.1) throws instead of being used, so such a handshake fails.
 *
 * No data path: key material only (32-byte keys, copied once).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
} from "node:crypto";
import nacl from "tweetnacl";

/** DER prefixes of a raw 32-byte X25519 key (RFC 8410). */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/** A fresh X25519 key pair as raw bytes (tweetnacl's shape). */
export function x25519KeyPair(): {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
} {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const p = publicKey.export({ format: "der", type: "spki" });
  const s = privateKey.export({ format: "der", type: "pkcs8" });
  return {
    publicKey: new Uint8Array(p.subarray(p.length - 32)),
    secretKey: new Uint8Array(s.subarray(s.length - 32)),
  };
}

/** X25519(secret, public) as raw bytes (tweetnacl's `scalarMult`). */
export function x25519(secret: Uint8Array, peer: Uint8Array): Uint8Array {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, secret]),
    format: "der",
    type: "pkcs8",
  });
  const publicKey = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, peer]),
    format: "der",
    type: "spki",
  });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

type Nacl = {
  box: { keyPair: () => { publicKey: Uint8Array; secretKey: Uint8Array } };
  scalarMult: ((n: Uint8Array, p: Uint8Array) => Uint8Array) & {
    __arclyNative?: true;
  };
};
const shared = nacl as unknown as Nacl;
if (!shared.scalarMult.__arclyNative) {
  const base = shared.scalarMult;
  const native = Object.assign(
    (n: Uint8Array, p: Uint8Array) =>
      n.length === 32 && p.length === 32 ? x25519(n, p) : base(n, p),
    base,
    { __arclyNative: true as const },
  );
  shared.scalarMult = native;
  shared.box.keyPair = x25519KeyPair;
}
