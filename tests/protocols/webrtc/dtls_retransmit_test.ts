// The early-retransmission filter in front of werift's DTLS server: early
// duplicates of a handshake flight are dropped, late ones and anything that
// is not an epoch-0 handshake pass.
import assert from "node:assert/strict";
import {
  dtlsHandshakeKeys,
  DtlsRetransmitFilter,
} from "../../../protocols/webrtc/mod.ts";

function record(type: number, epoch: number, body: Uint8Array): Uint8Array {
  const r = new Uint8Array(13 + body.length);
  r.set([type, 0xfe, 0xfd, epoch >> 8, epoch & 0xff]);
  r[11] = body.length >> 8;
  r[12] = body.length & 0xff;
  r.set(body, 13);
  return r;
}

function handshake(
  msgType: number,
  messageSeq: number,
  bodyLength = 4,
): Uint8Array {
  const h = new Uint8Array(12 + bodyLength);
  h[0] = msgType;
  h[3] = bodyLength;
  h[4] = messageSeq >> 8;
  h[5] = messageSeq & 0xff;
  h[11] = bodyLength;
  return h;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("dtls retransmit filter: keys of a flight-5 datagram (epoch-0 handshakes; CCS and epoch-1 Finished ignored)", () => {
  const flight5 = concat(
    record(22, 0, handshake(11, 1)),
    record(22, 0, handshake(16, 2)),
    record(22, 0, handshake(15, 3)),
    record(20, 0, new Uint8Array([1])),
    record(22, 1, new Uint8Array(40)),
  );
  assert.deepEqual(dtlsHandshakeKeys(flight5), ["11/1/0", "16/2/0", "15/3/0"]);
  assert.equal(
    dtlsHandshakeKeys(record(23, 1, new Uint8Array(30))),
    null,
    "application data",
  );
  assert.equal(
    dtlsHandshakeKeys(record(21, 0, new Uint8Array(2))),
    null,
    "alert",
  );
  assert.equal(dtlsHandshakeKeys(flight5.subarray(0, 20)), null, "truncated");
});

Deno.test("dtls retransmit filter: an early duplicate ClientHello is dropped, a late one and the next flight pass", () => {
  const filter = new DtlsRetransmitFilter(1_000);
  const hello = record(22, 0, handshake(1, 0));
  const helloWithCookie = record(22, 0, handshake(1, 1));
  assert.equal(filter.accept(hello, 0), true);
  assert.equal(filter.accept(hello, 70), false);
  assert.equal(
    filter.accept(helloWithCookie, 120),
    true,
    "the next message passes",
  );
  assert.equal(filter.accept(helloWithCookie, 200), false);
  assert.equal(
    filter.accept(helloWithCookie, 1_300),
    true,
    "a retransmission after the window passes",
  );
  assert.equal(filter.accept(record(23, 1, new Uint8Array(10)), 1_301), true);
  assert.equal(filter.dropped, 2);
});
