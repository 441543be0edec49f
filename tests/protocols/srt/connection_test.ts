// SrtConnection pairs over a simulated link on a manual time line: loss is
// repaired by NAK + retransmission within the latency, a packet lost for
// good is skipped once its successor is due (too-late drop), ACK/ACKACK
// measure the RTT, idle peers time out, encrypted payloads round-trip.
import assert from "node:assert/strict";
import {
  buildKeyMaterial,
  parseSrtPacket,
  SrtConnection,
  type SrtConnectionConfig,
  SrtControlType,
  SrtCrypto,
  writeSrtControl,
  writeSrtDataHeader,
} from "../../../protocols/srt/mod.ts";

function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

interface LinkOptions {
  loss: number;
  delayMs: number;
  jitterMs: number;
  /** Drop every copy of these data sequence numbers. */
  blackhole?: Set<number>;
}

/** Two connections joined by a lossy link, run on a 1 ms time step. */
function pair(
  link: LinkOptions,
  latencyMs: number,
  extra: Partial<SrtConnectionConfig> = {},
) {
  const random = rng(7);
  let now = 0;
  const queue: { at: number; to: "a" | "b"; bytes: Uint8Array }[] = [];
  const received: Uint8Array[] = [];
  const closes: string[] = [];
  const push = (to: "a" | "b") => (bytes: Uint8Array) => {
    if (random() < link.loss) return;
    const p = parseSrtPacket(bytes);
    if (!p.control && link.blackhole?.has(p.seq)) return;
    queue.push({
      at: now + link.delayMs + random() * link.jitterMs,
      to,
      bytes: bytes.slice(),
    });
  };
  const base = {
    initialSeq: 1000,
    receiveLatencyMs: latencyMs,
    sendLatencyMs: latencyMs,
    startMs: 0,
  };
  const a = new SrtConnection({
    ...base,
    ...extra,
    localSocketId: 1,
    peerSocketId: 2,
    send: push("b"),
    onClose: (r) => closes.push(`a:${r}`),
  }, 0);
  const b = new SrtConnection({
    ...base,
    ...extra,
    localSocketId: 2,
    peerSocketId: 1,
    send: push("a"),
    deliver: (p) => received.push(p),
    onClose: (r) => closes.push(`b:${r}`),
  }, 0);
  const step = () => {
    now++;
    queue.sort((x, y) => x.at - y.at);
    while (queue.length > 0 && queue[0]!.at <= now) {
      const d = queue.shift()!;
      (d.to === "a" ? a : b).handle(parseSrtPacket(d.bytes), now);
    }
    if (now % 10 === 0) {
      a.tick(now);
      b.tick(now);
    }
  };
  return { a, b, received, closes, step, now: () => now };
}

function payload(i: number): Uint8Array {
  const p = new Uint8Array(188);
  new DataView(p.buffer).setUint32(0, i);
  return p;
}

function indexOf(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset).getUint32(0);
}

Deno.test("5 % loss each way with jitter: every payload arrives, in order, through retransmission", () => {
  const s = pair({ loss: 0.05, delayMs: 10, jitterMs: 20 }, 300);
  for (let i = 0; i < 3000; i++) {
    if (i % 2 === 0) s.a.sendPayload(payload(i / 2), s.now());
    s.step();
  }
  for (let i = 0; i < 1000; i++) s.step();
  assert.equal(s.received.length, 1500);
  s.received.forEach((p, i) => assert.equal(indexOf(p), i));
  const rs = s.b.stats;
  assert.ok(rs.receivedLost > 30, `lost ${rs.receivedLost}`);
  assert.equal(rs.receivedDropped, 0);
  const sent = s.a.stats.sentRetransmitted;
  assert.ok(rs.receivedRetransmitted > 30);
  assert.ok(sent >= rs.receivedRetransmitted);
  // a packet is re-sent at most once per RTT: a repeated NAK that crossed
  // the repair in flight does not double it (at most ~one repair per loss;
  // jitter's reordering also counts as loss until the gap fills)
  assert.ok(sent <= rs.receivedLost * 1.05, `${sent} > ${rs.receivedLost}`);
  // ACKACK-measured RTT ≈ 2 × (10 + jitter/2) ms
  assert.ok(
    s.b.stats.rttMs > 15 && s.b.stats.rttMs < 60,
    `rtt ${s.b.stats.rttMs}`,
  );
  assert.ok(s.a.inFlight < 50, `in flight ${s.a.inFlight}`);
});

Deno.test("a packet lost for good is dropped when its successor is due, and delivery goes on", () => {
  const s = pair({
    loss: 0,
    delayMs: 5,
    jitterMs: 0,
    blackhole: new Set([1000 + 10]),
  }, 120);
  const deliveredAt: number[] = [];
  for (let i = 0; i < 100; i++) {
    s.a.sendPayload(payload(i), s.now());
    s.step();
    deliveredAt.push(s.received.length);
  }
  assert.equal(s.received.length, 10); // held at the gap
  for (let i = 0; i < 200; i++) s.step();
  assert.equal(s.received.length, 99);
  assert.equal(s.b.stats.receivedDropped, 1);
  assert.deepEqual(s.received.map(indexOf).slice(9, 12), [9, 11, 12]);
});

Deno.test("30 % loss: bounded buffers, drops counted, no exception", () => {
  const s = pair({ loss: 0.3, delayMs: 10, jitterMs: 20 }, 120, {
    receiveCapacity: 512,
    sendCapacity: 512,
  });
  for (let i = 0; i < 5000; i++) {
    s.a.sendPayload(payload(i), s.now());
    s.step();
  }
  for (let i = 0; i < 2000; i++) s.step();
  const st = s.b.stats;
  assert.ok(st.receivedLost > 1000);
  assert.ok(
    st.receivedDropped + s.received.length >= 4900,
    `${st.receivedDropped} + ${s.received.length}`,
  );
  assert.ok(s.a.inFlight <= 512);
  // in order despite the drops
  const idx = s.received.map(indexOf);
  for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!);
});

Deno.test("an idle peer is closed after peerIdleTimeoutMs; keepalives hold a quiet link open", () => {
  const quiet = pair({ loss: 0, delayMs: 1, jitterMs: 0 }, 120, {
    peerIdleTimeoutMs: 2000,
  });
  for (let i = 0; i < 5000; i++) quiet.step();
  assert.deepEqual(quiet.closes, []); // keepalives every second
  const dead = pair({ loss: 1, delayMs: 1, jitterMs: 0 }, 120, {
    peerIdleTimeoutMs: 2000,
  });
  for (let i = 0; i < 2100; i++) dead.step();
  assert.deepEqual(dead.closes.sort(), [
    "a:peer idle timeout",
    "b:peer idle timeout",
  ]);
  assert.ok(dead.a.closed && dead.b.closed);
});

Deno.test("encrypted payloads round-trip between two connections sharing a key", () => {
  const km = buildKeyMaterial("0123456789ab", 32).message;
  const ka = new SrtCrypto("0123456789ab"), kb = new SrtCrypto("0123456789ab");
  ka.install(km);
  kb.install(km);
  let now = 0;
  const got: Uint8Array[] = [];
  let wire: Uint8Array | undefined;
  const a = new SrtConnection({
    localSocketId: 1,
    peerSocketId: 2,
    initialSeq: 5,
    receiveLatencyMs: 120,
    sendLatencyMs: 120,
    startMs: 0,
    crypto: ka,
    send: (d) => (wire = d),
  }, 0);
  const b = new SrtConnection({
    localSocketId: 2,
    peerSocketId: 1,
    initialSeq: 5,
    receiveLatencyMs: 120,
    sendLatencyMs: 120,
    startMs: 0,
    crypto: kb,
    send: () => {},
    deliver: (p) => got.push(p),
  }, 0);
  const clear = payload(42);
  a.sendPayload(clear, now++);
  const p = parseSrtPacket(wire!);
  assert.ok(!p.control && p.keyFlags === 1);
  assert.notDeepEqual(p.control ? null : p.payload, clear);
  b.handle(p, now);
  assert.deepEqual(got[0], clear);
});

Deno.test("pacing is a rate: burstPackets per 10 ms, a late tick earns up to 3 missed windows, the rest stays queued", () => {
  let data = 0;
  const conn = new SrtConnection({
    localSocketId: 1,
    peerSocketId: 2,
    initialSeq: 0,
    receiveLatencyMs: 120,
    sendLatencyMs: 120,
    startMs: 0,
    burstPackets: 4,
    send: (d) => {
      if (!parseSrtPacket(d).control) data++;
    },
  }, 0);
  for (let i = 0; i < 40; i++) conn.sendPayload(new Uint8Array(188), 0);
  assert.equal(data, 4);
  assert.equal(conn.queued, 36);
  conn.tick(5); // same window: nothing more
  assert.equal(data, 4);
  conn.tick(60); // 60 ms late: 3 windows (12 packets), not 6
  assert.equal(data, 16);
  conn.tick(70);
  assert.equal(data, 20);
  assert.equal(conn.queued, 20);
  assert.equal(conn.stats.sentDropped, 0);
});

Deno.test("pacer: payloads that waited past the drop age are dropped unsent (counted), the rest leave in order", () => {
  const seqs: number[] = [];
  const conn = new SrtConnection({
    localSocketId: 1,
    peerSocketId: 2,
    initialSeq: 0,
    receiveLatencyMs: 120,
    sendLatencyMs: 120, // drop age max(1000, 120 × 1.25 + 20) = 1000 ms
    startMs: 0,
    burstPackets: 4,
    peerIdleTimeoutMs: 60_000,
    send: (d) => {
      const p = parseSrtPacket(d);
      if (!p.control) seqs.push(p.seq);
    },
  }, 0);
  for (let i = 0; i < 20; i++) conn.sendPayload(new Uint8Array([i]), 0);
  conn.sendPayload(new Uint8Array([20]), 5);
  conn.sendPayload(new Uint8Array([21]), 5);
  assert.equal(seqs.length, 4); // one burst; the rest waits for the pacer
  assert.equal(conn.queued, 18);
  conn.tick(1000); // 16 waited 1,000 ms: dropped; the 2 of 5 ms leave
  assert.equal(conn.queued, 0);
  assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5]);
  // 16 unsent + the first 4, unacknowledged for the drop age
  assert.equal(conn.stats.sentDropped, 20);
  assert.equal(conn.stats.sentPackets, 6);
});

Deno.test("sender: each datagram keeps its own bytes (shared slabs), its header as writeSrtDataHeader writes it, re-sent with the R flag on a NAK", () => {
  const sent: Uint8Array[] = [];
  const conn = new SrtConnection({
    localSocketId: 1,
    peerSocketId: 0xdeadbeef,
    initialSeq: 0x7ffffffe, // wraps
    receiveLatencyMs: 120,
    sendLatencyMs: 120,
    startMs: 0,
    send: (d) => sent.push(d),
  }, 0);
  const payload = new Uint8Array(1316);
  for (let i = 0; i < 120; i++) { // more than one 64 KiB slab
    payload.fill(i);
    conn.sendPayload(payload, i);
  }
  assert.equal(sent.length, 120);
  for (let i = 0; i < 120; i++) {
    const header = new Uint8Array(16);
    writeSrtDataHeader(header, 0, {
      seq: (0x7ffffffe + i) % 0x80000000,
      position: 3,
      inOrder: false,
      keyFlags: 0,
      retransmitted: false,
      messageNumber: i + 1,
      timestamp: i * 1000,
      destinationSocketId: 0xdeadbeef,
    });
    assert.deepEqual(sent[i]!.subarray(0, 16), header, `header ${i}`);
    assert.equal(sent[i]!.length, 16 + 1316);
    assert.ok(sent[i]!.subarray(16).every((b) => b === i), `payload ${i}`);
  }
  // a NAK of the first two (a range across the wrap) re-sends those bytes
  const nak = new Uint8Array(8);
  new DataView(nak.buffer).setUint32(0, (0x80000000 | 0x7ffffffe) >>> 0);
  new DataView(nak.buffer).setUint32(4, 0x7fffffff);
  conn.handle(
    parseSrtPacket(writeSrtControl({
      type: SrtControlType.Nak,
      subtype: 0,
      info: 0,
      timestamp: 0,
      destinationSocketId: 1,
    }, nak)),
    200,
  );
  assert.equal(sent.length, 122);
  for (const [k, seq] of [[120, 0x7ffffffe], [121, 0x7fffffff]]) {
    const r = parseSrtPacket(sent[k!]!);
    assert.ok(!r.control && r.retransmitted && r.seq === seq);
    assert.equal(sent[k!], sent[k! - 120]); // the same bytes, not a copy
  }
});
