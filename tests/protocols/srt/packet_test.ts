// SRT wire formats: packets, handshake CIF + extensions (SID word-order
// quirk, HSREQ), key material (RFC 3394 vector, AES-CTR round trip, wrong
// passphrase), stream ids, NAK loss-list encoding.
import assert from "node:assert/strict";
import {
  aesUnwrap,
  aesWrap,
  buildKeyMaterial,
  decodeStreamIdExt,
  encodeStreamIdExt,
  parseHandshake,
  parseHsExt,
  parseKeyMaterial,
  parseSrtPacket,
  parseSrtStreamId,
  seqAdd,
  seqDiff,
  SrtControlType,
  SrtCrypto,
  StreamError,
  writeHandshake,
  writeHsExt,
  writeSrtControl,
  writeSrtData,
} from "../../../protocols/srt/mod.ts";
import { compressLoss, decodeLoss } from "../../../protocols/srt/_receiver.ts";

const hex = (s: string) =>
  new Uint8Array(s.match(/../g)!.map((x) => parseInt(x, 16)));

Deno.test("data packet header round-trips every field", () => {
  const bytes = writeSrtData({
    seq: 0x7fffffff,
    position: 2,
    inOrder: true,
    keyFlags: 2,
    retransmitted: true,
    messageNumber: 0x03ffffff,
    timestamp: 0xfffffff0,
    destinationSocketId: 0xdeadbeef,
  }, Uint8Array.of(1, 2, 3));
  const p = parseSrtPacket(bytes);
  assert.equal(p.control, false);
  if (p.control) return;
  assert.equal(p.seq, 0x7fffffff);
  assert.equal(p.position, 2);
  assert.equal(p.inOrder, true);
  assert.equal(p.keyFlags, 2);
  assert.equal(p.retransmitted, true);
  assert.equal(p.messageNumber, 0x03ffffff);
  assert.equal(p.timestamp, 0xfffffff0);
  assert.equal(p.destinationSocketId, 0xdeadbeef);
  assert.deepEqual([...p.payload], [1, 2, 3]);
});

Deno.test("control packet header round-trips; short datagrams are typed errors", () => {
  const p = parseSrtPacket(
    writeSrtControl({
      type: SrtControlType.UserDefined,
      subtype: 3,
      info: 77,
      timestamp: 5,
      destinationSocketId: 9,
    }, new Uint8Array(8)),
  );
  assert.ok(p.control);
  if (!p.control) return;
  assert.equal(p.type, 0x7fff);
  assert.equal(p.subtype, 3);
  assert.equal(p.info, 77);
  assert.equal(p.cif.length, 8);
  assert.throws(() => parseSrtPacket(new Uint8Array(15)), StreamError);
});

Deno.test("31-bit sequence arithmetic wraps", () => {
  assert.equal(seqAdd(0x7fffffff, 2), 1);
  assert.equal(seqAdd(0, -1), 0x7fffffff);
  assert.equal(seqDiff(1, 0x7ffffffe), 3);
  assert.equal(seqDiff(0x7ffffffe, 1), -3);
});

Deno.test("handshake CIF with extensions round-trips; overrunning extensions are refused", () => {
  const hs = {
    version: 5,
    encryption: 2,
    extension: 7,
    initialSeq: 123,
    mtu: 1500,
    flowWindow: 8192,
    type: 0xffffffff,
    socketId: 42,
    cookie: 0xabcdef01,
    peerIp: new Uint8Array(16).fill(1),
    extensions: [
      {
        type: 1,
        content: writeHsExt({
          version: 0x010501,
          flags: 0xbf,
          receiverDelayMs: 200,
          senderDelayMs: 120,
        }),
      },
      { type: 5, content: encodeStreamIdExt("publish:live/cam") },
    ],
  };
  const cif = writeHandshake(hs);
  const back = parseHandshake(cif);
  assert.equal(back.socketId, 42);
  assert.equal(back.cookie, 0xabcdef01);
  assert.equal(back.extensions.length, 2);
  assert.deepEqual(parseHsExt(back.extensions[0]!.content), {
    version: 0x010501,
    flags: 0xbf,
    receiverDelayMs: 200,
    senderDelayMs: 120,
  });
  assert.equal(
    decodeStreamIdExt(back.extensions[1]!.content),
    "publish:live/cam",
  );
  const broken = cif.slice(0, cif.length - 4);
  assert.throws(() => parseHandshake(broken), StreamError);
});

Deno.test("stream id extension reverses each 32-bit word (libsrt's layout, as captured from ffmpeg)", () => {
  // "publish:live/cam" as ffmpeg 5.1 / libsrt 1.5 sends it
  const wire = hex("6c6275703a6873696576696c6d61632f");
  assert.equal(decodeStreamIdExt(wire), "publish:live/cam");
  assert.deepEqual(encodeStreamIdExt("publish:live/cam"), wire);
  assert.throws(() => encodeStreamIdExt("x".repeat(513)), StreamError);
  assert.throws(
    () => decodeStreamIdExt(Uint8Array.of(0xff, 0xfe, 0xfd, 0xfc)),
    StreamError,
  );
});

Deno.test("AES key wrap matches the RFC 3394 4.1 vector and detects a wrong key", () => {
  const kek = hex("000102030405060708090A0B0C0D0E0F");
  const wrapped = aesWrap(kek, hex("00112233445566778899AABBCCDDEEFF"));
  assert.deepEqual(
    wrapped,
    hex("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5"),
  );
  assert.deepEqual(
    aesUnwrap(kek, wrapped),
    hex("00112233445566778899AABBCCDDEEFF"),
  );
  assert.equal(aesUnwrap(new Uint8Array(16), wrapped), null);
});

Deno.test("key material: build, parse, install with the right passphrase only, CTR round trip per key length", () => {
  for (const len of [16, 24, 32]) {
    const { message } = buildKeyMaterial("correct horse", len);
    const km = parseKeyMaterial(message);
    assert.equal(km.keyBytes, len);
    assert.equal(km.keyFlags, 1);
    const a = new SrtCrypto("correct horse");
    const b = new SrtCrypto("correct horse");
    assert.ok(a.install(message));
    assert.ok(b.install(message));
    assert.equal(new SrtCrypto("wrong horse!").install(message), false);
    const clear = new Uint8Array(1316).map((_, i) => i & 0xff);
    const sealed = a.transform(clear, 123456, 1)!;
    assert.notDeepEqual(sealed, clear);
    assert.deepEqual(b.transform(sealed, 123456, 1), clear);
    assert.notDeepEqual(b.transform(sealed, 123457, 1), clear); // the IV depends on the index
    assert.equal(b.transform(sealed, 1, 2), null); // no odd key
  }
  const bad = buildKeyMaterial("correct horse", 16).message;
  bad[8] = 4; // AES-GCM
  assert.throws(() => parseKeyMaterial(bad), StreamError);
  assert.throws(() => parseKeyMaterial(bad.subarray(0, 20)), StreamError);
});

Deno.test("stream ids: MediaMTX, access-control and query forms", () => {
  assert.deepEqual(
    { ...parseSrtStreamId("publish:live/cam"), query: undefined },
    { mode: "publish", key: "live/cam", query: undefined },
  );
  const withUser = parseSrtStreamId("read:live/cam:bob:pw");
  assert.equal(withUser.mode, "read");
  assert.equal(withUser.user, "bob");
  assert.equal(withUser.token, "pw");
  const ac = parseSrtStreamId("#!::r=live/cam,m=publish,u=alice,t=tok");
  assert.equal(ac.mode, "publish");
  assert.equal(ac.key, "live/cam");
  assert.equal(ac.user, "alice");
  assert.equal(ac.token, "tok");
  assert.equal(ac.query.get("token"), "tok");
  const q = parseSrtStreamId("publish:live/cam?token=abc");
  assert.equal(q.token, "abc");
  assert.equal(parseSrtStreamId("live/cam").mode, "read");
  for (
    const bad of [
      "",
      "publish:",
      "#!::m=publish",
      "#!::r=live/cam,m=play",
      "publish:live/cam:onlyuser",
      "publish:../x",
    ]
  ) {
    assert.throws(() => parseSrtStreamId(bad), StreamError, bad);
  }
});

Deno.test("NAK loss lists: singles and ranges, capped", () => {
  const words = compressLoss([5, 7, 8, 9, 0x7fffffff, 0, 1], 100);
  assert.deepEqual(words, [5, (7 | 0x80000000) >>> 0, 9, 0xffffffff, 1]);
  const cif = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(cif.buffer).setUint32(i * 4, w));
  assert.deepEqual(decodeLoss(cif, 100), [5, 7, 8, 9, 0x7fffffff, 0, 1]);
  assert.equal(decodeLoss(cif, 3).length, 3);
});
