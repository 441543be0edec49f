// The SRTP transform through the system's libcrypto (protocols/webrtc/
// _native_srtp.ts): the same bytes as the JS transform (RFC 3711 B.2
// keystream, random packets of every size class, a sequence-number wrap),
// werift's SRTP receiver accepting them, and a disposed or unloaded
// context refusing with an error instead of crashing the process.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Buffer } from "node:buffer";
import { SrtpSession } from "werift";
import { openNativeSrtp } from "../../../protocols/webrtc/_native_srtp.ts";
import { SrtpProtector } from "../../../protocols/webrtc/srtp_protect.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s/g, "").match(/../g)!, (b) => parseInt(b, 16));

function rtp(seq: number, ssrc: number, payload: number, csrcs = 0) {
  const p = new Uint8Array(12 + 4 * csrcs + payload);
  p[0] = 0x80 | csrcs;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(4, seq * 3000);
  new DataView(p.buffer).setUint32(8, ssrc);
  crypto.getRandomValues(p.subarray(12));
  return p;
}

/** libcrypto is part of the CI image (openssl's libssl3): it must load there. */
function native() {
  const lib = openNativeSrtp();
  assert.ok(lib, "libcrypto.so.3 through FFI (needs --allow-ffi on Linux)");
  return lib;
}

Deno.test("srtp native: RFC 3711 B.2 AES-CM keystream", () => {
  const lib = native();
  try {
    const srtp = new SrtpProtector({
      cipherKey: hex("2B7E151628AED2A6ABF7158809CF4F3C"),
      authKey: new Uint8Array(20),
      salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
    }, lib);
    assert.equal(srtp.native, true);
    const packet = new Uint8Array(12 + 48);
    packet[0] = 0x80;
    const [out] = srtp.protect([packet], [0]);
    assert.deepEqual(
      out!.subarray(12, 60),
      hex(
        "E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0",
      ),
    );
    srtp.dispose();
  } finally {
    lib.close();
  }
});

Deno.test("srtp native: the same bytes as the JS transform, across a sequence wrap", () => {
  const lib = native();
  try {
    const key = crypto.randomBytes(16), salt = crypto.randomBytes(14);
    const js = new SrtpProtector(key, salt);
    const nat = new SrtpProtector(key, salt, lib);
    assert.equal(js.native, false);
    let seq = 0xfff0;
    for (let round = 0; round < 40; round++) {
      const sizes = [0, 1, 15, 16, 17, 160, 1188, 1200].map((n) =>
        n + (round % 3)
      );
      const packets = sizes.map((n, i) =>
        rtp((seq + i) & 0xffff, 0x1234, n, round % 2)
      );
      seq = (seq + sizes.length) & 0xffff;
      const pts = packets.map((_, i) => 96 + (i % 2));
      const a = js.protect(packets, pts), b = nat.protect(packets, pts);
      assert.equal(a.length, b.length);
      for (let i = 0; i < a.length; i++) assert.deepEqual(b[i], a[i]);
    }
    nat.dispose();
    nat.dispose(); // idempotent
    assert.throws(() => nat.protect([rtp(1, 1, 10)], [96]), /disposed/);
  } finally {
    lib.close();
  }
});

Deno.test("srtp native: werift's SRTP receiver authenticates and decrypts", () => {
  const lib = native();
  try {
    const key = crypto.randomBytes(16), salt = crypto.randomBytes(14);
    const ours = new SrtpProtector(key, salt, lib);
    const theirs = new SrtpSession({
      profile: 1,
      keys: {
        localMasterKey: Buffer.from(key),
        localMasterSalt: Buffer.from(salt),
        remoteMasterKey: Buffer.from(key),
        remoteMasterSalt: Buffer.from(salt),
      },
    });
    for (const seq of [65530, 65535, 0, 1, 2]) {
      const packet = rtp(seq, 0xabcdef01, 900);
      const [protectedPacket] = ours.protect([packet], [111]);
      const clear = theirs.decrypt(Buffer.from(protectedPacket!));
      assert.deepEqual(
        new Uint8Array(clear).subarray(12),
        packet.subarray(12),
      );
      assert.equal(clear[1]! & 0x7f, 111);
    }
    ours.dispose();
  } finally {
    lib.close();
  }
});

Deno.test("srtp native: an unloaded library refuses instead of crashing", () => {
  const lib = native();
  const srtp = new SrtpProtector(new Uint8Array(16), new Uint8Array(14), lib);
  lib.close();
  lib.close(); // idempotent
  assert.throws(() => srtp.protect([rtp(5, 5, 50)], [96]), /disposed/);
  srtp.dispose();
});
