// The WHEP send path's SRTP transform (protocols/webrtc/srtp_protect.ts):
// RFC 3711 Appendix B test vectors, HMAC-SHA1 against node:crypto, and
// werift's own SRTP receiver (AES_CM_128_HMAC_SHA1_80) authenticating and
// decrypting what we protect, across a sequence-number wrap.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Buffer } from "node:buffer";
import { SrtpSession } from "werift";
import {
  deriveSrtpKey,
  HmacSha1,
  SrtpProtector,
} from "../../../protocols/webrtc/srtp_protect.ts";
import { StreamError } from "../../../media/stream_error.ts";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s/g, "").match(/../g)!, (b) => parseInt(b, 16));

Deno.test("srtp: RFC 3711 B.3 key derivation", () => {
  const key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
  const salt = hex("0EC675AD498AFEEBB6960B3AABE6");
  assert.deepEqual(
    deriveSrtpKey(key, salt, 0, 16),
    hex("C61E7A93744F39EE10734AFE3FF7A087"),
  );
  assert.deepEqual(
    deriveSrtpKey(key, salt, 2, 14),
    hex("30CBBC08863D8C85D49DB34A9AE1"),
  );
  assert.deepEqual(
    deriveSrtpKey(key, salt, 1, 20),
    hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"),
  );
  assert.throws(
    () => deriveSrtpKey(key.subarray(1), salt, 0, 16),
    StreamError,
  );
});

Deno.test("srtp: RFC 3711 B.2 AES-CM keystream (zero payload, SSRC 0, index 0)", () => {
  const srtp = new SrtpProtector({
    cipherKey: hex("2B7E151628AED2A6ABF7158809CF4F3C"),
    authKey: new Uint8Array(20),
    salt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
  });
  const rtp = new Uint8Array(12 + 48);
  rtp[0] = 0x80;
  const [out] = srtp.protect([rtp], [0]);
  assert.deepEqual(
    out!.subarray(12, 60),
    hex(
      "E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0",
    ),
  );
});

Deno.test("srtp: HMAC-SHA1 equals node:crypto for lengths around block edges", () => {
  const key = crypto.randomBytes(20);
  const mac = new HmacSha1(key);
  for (const n of [0, 1, 54, 55, 56, 63, 64, 65, 119, 120, 128, 1204, 1500]) {
    const data = crypto.randomBytes(n);
    assert.deepEqual(
      Buffer.from(mac.digest(data)),
      crypto.createHmac("sha1", key).update(data).digest(),
      `length ${n}`,
    );
  }
  // RFC 2202 test case 1
  assert.deepEqual(
    new HmacSha1(new Uint8Array(20).fill(0x0b)).digest(
      new TextEncoder().encode("Hi There"),
    ),
    hex("b617318655057264e28bc0b6fb378c8ef146be00"),
  );
});

function rtp(seq: number, ssrc: number, size: number, pt = 96): Uint8Array {
  const p = new Uint8Array(size);
  crypto.getRandomValues(p.subarray(12));
  p[0] = 0x80;
  p[1] = pt;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  new DataView(p.buffer).setUint32(4, seq * 3000);
  new DataView(p.buffer).setUint32(8, ssrc);
  return p;
}

Deno.test("srtp: werift's receiver (AES_CM_128_HMAC_SHA1_80) decrypts what we protect, across a sequence wrap", () => {
  const masterKey = crypto.randomBytes(16);
  const masterSalt = crypto.randomBytes(14);
  const ours = new SrtpProtector(masterKey, masterSalt);
  const theirs = new SrtpSession({
    keys: {
      localMasterKey: Buffer.alloc(16),
      localMasterSalt: Buffer.alloc(14),
      remoteMasterKey: Buffer.from(masterKey),
      remoteMasterSalt: Buffer.from(masterSalt),
    },
    profile: 1,
  });
  let seq = 65530;
  for (let round = 0; round < 4; round++) {
    const batch: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      batch.push(rtp(seq, 0x11223344, 200 + 301 * i));
      seq = (seq + 1) & 0xffff;
    }
    const out = ours.protect(batch, batch.map(() => 102));
    out.forEach((s, i) => {
      assert.equal(s.length, batch[i]!.length + 10);
      const clear = theirs.decrypt(Buffer.from(s));
      const expected = batch[i]!.slice();
      expected[1] = 102;
      assert.deepEqual(new Uint8Array(clear), expected);
    });
  }
  // The shared input packets are untouched.
  const p = rtp(7, 1, 100);
  const copy = p.slice();
  ours.protect([p], [111]);
  assert.deepEqual(p, copy);
  // A tampered packet fails werift's authentication.
  const bad = ours.protect([rtp(seq, 0x11223344, 300)], [96])[0]!;
  bad[20]! ^= 1;
  assert.throws(() => theirs.decrypt(Buffer.from(bad)));
});

Deno.test("srtp: not-RTP input is a typed error", () => {
  const srtp = new SrtpProtector(new Uint8Array(16), new Uint8Array(14));
  assert.throws(() => srtp.protect([new Uint8Array(5)], [96]), StreamError);
  const ext = new Uint8Array(14);
  ext[0] = 0x90; // X bit, extension header cut short
  assert.throws(() => srtp.protect([ext], [96]), StreamError);
});
