import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  createClientAck,
  createClientHello,
  createServerHandshake,
  findDigestScheme,
  HANDSHAKE_SIZE,
  verifyServerAck,
} from "../../../protocols/rtmp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

Deno.test("createServerHandshake() echoes C1 as S2 for a plain client", () => {
  const hello = createClientHello({ digest: false, time: 5 });
  assert.equal(findDigestScheme(hello.subarray(1), "client"), null);
  const reply = createServerHandshake(hello, { time: 9 });
  assert.equal(reply.length, 1 + 2 * HANDSHAKE_SIZE);
  assert.equal(reply[0], 3);
  const s1 = reply.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = reply.subarray(1 + HANDSHAKE_SIZE);
  assert.deepEqual(s2, hello.subarray(1));
  assert.equal(new DataView(s1.buffer, 1).getUint32(0), 9);
  assert.equal(findDigestScheme(s1, "server"), null);
  assert.ok(verifyServerAck(hello.subarray(1), s2));
});

Deno.test("createServerHandshake() answers a digest C1 in the same scheme", () => {
  const hello = createClientHello();
  const c1 = hello.subarray(1);
  assert.equal(findDigestScheme(c1, "client"), 0);
  const reply = createServerHandshake(hello);
  const s1 = reply.subarray(1, 1 + HANDSHAKE_SIZE);
  const s2 = reply.subarray(1 + HANDSHAKE_SIZE);
  assert.equal(findDigestScheme(s1, "server"), 0);
  assert.ok(verifyServerAck(c1, s2));
  // a digest C2 is not an echo
  const c2 = createClientAck(s1);
  assert.notDeepEqual(c2, s1);
});

Deno.test("findDigestScheme() recognises scheme 1", () => {
  // Build a scheme-1 C1 by hand: sign it the way Flash Player 10 does.
  const hello = createClientHello({ digest: false });
  const c1 = hello.subarray(1);
  new DataView(c1.buffer, c1.byteOffset).setUint32(4, 0x0a000c02);
  // Find an offset via the same formula as the server and sign with HMAC.
  const sum = c1[772]! + c1[773]! + c1[774]! + c1[775]!;
  const offset = (sum % 728) + 776;
  const key = new TextEncoder().encode("Genuine Adobe Flash Player 001");
  {
    const h = createHmac("sha256", key);
    h.update(c1.subarray(0, offset));
    h.update(c1.subarray(offset + 32));
    c1.set(new Uint8Array(h.digest()), offset);
    assert.equal(findDigestScheme(c1, "client"), 1);
    const reply = createServerHandshake(hello);
    assert.equal(
      findDigestScheme(reply.subarray(1, 1 + HANDSHAKE_SIZE), "server"),
      1,
    );
    assert.ok(verifyServerAck(c1, reply.subarray(1 + HANDSHAKE_SIZE)));
  }
});

Deno.test("createServerHandshake() refuses a wrong version and a short C1", () => {
  const hello = createClientHello();
  hello[0] = 6;
  assert.throws(
    () => createServerHandshake(hello),
    (e: unknown) => e instanceof StreamError && e.code === "Protocol",
  );
  assert.throws(
    () => createServerHandshake(new Uint8Array(100)),
    (e: unknown) => e instanceof StreamError && e.code === "Protocol",
  );
});
