// The shared UDP socket holds a session's DTLS datagrams that arrive before
// werift's DTLS endpoint listens (the browser's first ClientHello, sent as
// soon as its ICE connected) and hands them over on dtlsListening(); Chromium
// would otherwise resend it only after 1 s. Bounded: past 8 datagrams the
// transport delivers straight again.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { UdpMux } from "../../../protocols/webrtc/mod.ts";

async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Send one datagram and wait until the socket took it (keeps order). */
function sendTo(
  peer: dgram.Socket,
  d: Uint8Array,
  port: number,
): Promise<void> {
  return new Promise((r) => peer.send(d, port, "127.0.0.1", () => r()));
}

/** A DTLS handshake record (content type 22, DTLS 1.2, epoch 0) tagged `n`. */
function dtlsRecord(n: number): Uint8Array {
  const b = new Uint8Array(40);
  b.set([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, n, 0, 27, 1]);
  b[20] = n;
  return b;
}

Deno.test("udp mux: DTLS before dtlsListening() is held, then handed over in order; later DTLS passes straight", async () => {
  const mux = await UdpMux.bind({ hostname: "127.0.0.1", port: 0 });
  const peer = dgram.createSocket("udp4");
  await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
  try {
    const t = mux.createTransport();
    const got: number[] = [];
    t.onData = (d) => got.push(d[20]!);
    // The session sent to the peer (an ICE check): its address routes here.
    await t.send(new Uint8Array([0, 1, 0, 0]), [
      "127.0.0.1",
      peer.address().port,
    ]);
    await sendTo(peer, dtlsRecord(1), mux.port);
    await until(() => mux.stats.dtlsEarly === 1);
    await sendTo(peer, dtlsRecord(2), mux.port);
    await until(() => mux.stats.dtlsEarly === 2);
    assert.equal(mux.stats.dtlsEarly, 2);
    assert.deepEqual(got, []);
    t.dtlsListening();
    assert.deepEqual(got, [1, 2]);
    t.dtlsListening(); // idempotent
    await sendTo(peer, dtlsRecord(3), mux.port);
    await until(() => got.length === 3);
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(mux.stats.dtlsEarly, 2);
    await t.close();
  } finally {
    peer.close();
    await mux.close();
  }
});

Deno.test("udp mux: at most 8 early DTLS datagrams are held, then delivery goes straight", async () => {
  const mux = await UdpMux.bind({ hostname: "127.0.0.1", port: 0 });
  const peer = dgram.createSocket("udp4");
  await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
  try {
    const t = mux.createTransport();
    const got: number[] = [];
    t.onData = (d) => got.push(d[20]!);
    await t.send(new Uint8Array([0, 1, 0, 0]), [
      "127.0.0.1",
      peer.address().port,
    ]);
    for (let i = 1; i <= 10; i++) {
      await sendTo(peer, dtlsRecord(i), mux.port);
      // one at a time (order kept): held up to 8, then all delivered
      await until(() => i <= 8 ? mux.stats.dtlsEarly === i : got.length === i);
    }
    assert.equal(mux.stats.dtlsEarly, 8);
    // The 9th overflowed: the 8 held went first, then 9 and 10 straight.
    assert.deepEqual(got, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await t.close();
  } finally {
    peer.close();
    await mux.close();
  }
});
