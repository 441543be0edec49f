// protocols/webrtc/native_x25519.ts: node:crypto's X25519 in place of
// tweetnacl's, checked against RFC 7748 §6.1's vector and against the
// JavaScript implementation it replaces (random keys, both directions).
import assert from "node:assert/strict";
import nacl from "tweetnacl";
import {
  x25519,
  x25519KeyPair,
} from "../../../protocols/webrtc/native_x25519.ts";

const hex = (s: string) =>
  Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const ALICE = hex(
  "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
);
const ALICE_PUB = hex(
  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
);
const BOB = hex(
  "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
);
const BOB_PUB = hex(
  "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
);
const SHARED = hex(
  "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
);

Deno.test("native_x25519: RFC 7748 §6.1 shared secret, both directions", () => {
  assert.deepEqual(x25519(ALICE, BOB_PUB), SHARED);
  assert.deepEqual(x25519(BOB, ALICE_PUB), SHARED);
});

Deno.test("native_x25519: werift's tweetnacl object now calls the native functions", () => {
  const patched = nacl.scalarMult as unknown as { __arclyNative?: true };
  assert.equal(patched.__arclyNative, true);
  assert.deepEqual(nacl.scalarMult(ALICE, BOB_PUB), SHARED);
  assert.equal(nacl.box.keyPair, x25519KeyPair);
});

Deno.test("native_x25519: key pairs agree with tweetnacl's JavaScript X25519", () => {
  for (let i = 0; i < 8; i++) {
    const a = x25519KeyPair();
    const b = x25519KeyPair();
    // scalarMult.base is still tweetnacl's JavaScript implementation.
    assert.deepEqual(nacl.scalarMult.base(a.secretKey), a.publicKey);
    assert.deepEqual(
      x25519(a.secretKey, b.publicKey),
      x25519(b.secretKey, a.publicKey),
    );
  }
  // A low-order (all-zero) public key: a typed failure, not a zero secret.
  assert.throws(() => x25519(ALICE, new Uint8Array(32)));
});
