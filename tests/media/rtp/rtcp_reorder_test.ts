// RTCP compound parse/serialize (SR/RR/SDES/BYE/NACK/PLI/FIR) and the
// reorder buffer (wrap, duplicates, late packets, holes skipped by size and age).
import assert from "node:assert/strict";
import {
  buildSenderReport,
  isRtcp,
  ntpTimestamp,
  parseRtcp,
  type RtcpPacket,
  type RtpPacket,
  RtpReorderBuffer,
  serializeRtcp,
} from "../../../media/rtp/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";

Deno.test("rtcp: every packet type survives serialize → parse in one compound", () => {
  const block = {
    ssrc: 9,
    fractionLost: 12,
    cumulativeLost: -3,
    highestSequence: 70000,
    jitter: 45,
    lastSr: 123456,
    delaySinceLastSr: 65536,
  };
  const packets: RtcpPacket[] = [
    {
      type: "sr",
      ssrc: 1,
      ntpSeconds: 3_900_000_000,
      ntpFraction: 0x80000000,
      rtpTimestamp: 4_000_000_000,
      packetCount: 5,
      octetCount: 6000,
      reports: [block],
    },
    { type: "rr", ssrc: 2, reports: [block, { ...block, ssrc: 10 }] },
    {
      type: "sdes",
      chunks: [{ ssrc: 1, items: [{ type: 1, text: "cname@arcly" }] }, {
        ssrc: 2,
        items: [],
      }],
    },
    { type: "bye", ssrcs: [1, 2], reason: "done" },
    { type: "nack", senderSsrc: 3, mediaSsrc: 1, lost: [65535, 0, 2, 16, 40] },
    { type: "pli", senderSsrc: 3, mediaSsrc: 1 },
    { type: "fir", senderSsrc: 3, entries: [{ ssrc: 1, sequence: 7 }] },
  ];
  const bytes = serializeRtcp(packets);
  assert.ok(isRtcp(bytes));
  const parsed = parseRtcp(bytes);
  assert.deepEqual(parsed.map((p) => p.type), [
    "sr",
    "rr",
    "sdes",
    "bye",
    "nack",
    "pli",
    "fir",
  ]);
  assert.deepEqual(parsed[0], packets[0]);
  assert.deepEqual(parsed[1], packets[1]);
  assert.deepEqual(parsed[2], packets[2]);
  assert.deepEqual(parsed[3], packets[3]);
  assert.deepEqual(parsed[4], { ...packets[4]!, lost: [0, 2, 16, 40, 65535] });
  assert.deepEqual(parsed.slice(5), packets.slice(5));
});

Deno.test("rtcp: sender report of a known wallclock; malformed datagrams are typed errors", () => {
  const ntp = ntpTimestamp(Date.UTC(2026, 0, 1, 0, 0, 0, 250));
  assert.equal(ntp.seconds, Date.UTC(2026, 0, 1) / 1000 + 2_208_988_800);
  assert.equal(ntp.fraction, 2 ** 30);
  const [sr] = parseRtcp(
    buildSenderReport({
      ssrc: 1,
      unixMs: 1000,
      rtpTimestamp: 1,
      packetCount: 2,
      octetCount: 3,
    }),
  );
  assert.equal(sr!.type, "sr");
  for (
    const bad of [[], [0x80, 200, 0, 6], [0x40, 201, 0, 0], [
      0x81,
      201,
      0,
      1,
      0,
      0,
      0,
      1,
    ], [0x80, 201, 0, 1, 0, 0, 0, 1, 9]]
  ) {
    assert.throws(
      () => parseRtcp(new Uint8Array(bad)),
      (e) => e instanceof StreamError && e.code === "InvalidInput",
      JSON.stringify(bad),
    );
  }
  assert.equal(isRtcp(new Uint8Array([0x80, 0xe0, 0, 0])), false);
});

const packet = (sequenceNumber: number): RtpPacket => ({
  marker: false,
  payloadType: 96,
  sequenceNumber,
  timestamp: 0,
  ssrc: 1,
  csrcs: [],
  payload: new Uint8Array(0),
});
const seqs = (packets: RtpPacket[]) => packets.map((p) => p.sequenceNumber);

Deno.test("reorder buffer: releases in order across the wrap, drops duplicates and late packets", () => {
  const b = new RtpReorderBuffer({ capacity: 8, maxDelayMs: 100 });
  assert.deepEqual(seqs(b.push(packet(65534), 0)), [65534]);
  assert.deepEqual(seqs(b.push(packet(0), 1)), []);
  assert.deepEqual(seqs(b.push(packet(0), 1)), []);
  assert.deepEqual(seqs(b.push(packet(65535), 2)), [65535, 0]);
  assert.deepEqual(seqs(b.push(packet(65530), 3)), []);
  assert.deepEqual(b.stats, {
    released: 3,
    reordered: 1,
    duplicates: 1,
    late: 1,
    skipped: 0,
  });
});

Deno.test("reorder buffer: a hole is skipped when the buffer is full or after maxDelayMs; a restart resets", () => {
  const b = new RtpReorderBuffer({ capacity: 4, maxDelayMs: 50 });
  b.push(packet(10), 0);
  assert.deepEqual(seqs(b.push(packet(12), 1)), []);
  assert.deepEqual(seqs(b.push(packet(13), 2)), []);
  assert.deepEqual(seqs(b.push(packet(14), 3)), []);
  assert.deepEqual(seqs(b.push(packet(15), 4)), [12, 13, 14, 15]); // 15 is 4 ahead of 11: 11 given up
  assert.equal(b.stats.skipped, 1);
  assert.deepEqual(seqs(b.push(packet(17), 10)), []);
  assert.deepEqual(seqs(b.poll(59)), []);
  assert.deepEqual(seqs(b.poll(60)), [17]);
  assert.deepEqual(seqs(b.push(packet(40000), 61)), [40000]); // far away: a jump, not a wait
  assert.deepEqual(seqs(b.push(packet(5), 62)), [5]); // far behind: a restart
  assert.equal(b.size, 0);
  assert.throws(() => new RtpReorderBuffer({ capacity: 0 }), StreamError);
});

Deno.test("packetizer: rtpTimestamp maps pts of any timescale onto its clock (RTP-Info rtptime, SR)", async () => {
  const { createPacketizer } = await import("../../../media/rtp/mod.ts");
  const p = createPacketizer("h264", {
    payloadType: 96,
    initialTimestamp: 0xffffff00,
  });
  assert.equal(p.rtpTimestamp(1000, 1000), (0xffffff00 + 90000) >>> 0);
  assert.equal(p.rtpTimestamp(0, 90000), 0xffffff00);
  assert.equal(
    createPacketizer("aac", {
      payloadType: 97,
      clockRate: 44100,
      initialTimestamp: 5,
    }).rtpTimestamp(500, 1000),
    22055,
  );
});

Deno.test("reorder buffer: missing() lists the holes to NACK; reception stats give RR blocks", async () => {
  const { RtpReceptionStats } = await import("../../../media/rtp/mod.ts");
  const b = new RtpReorderBuffer({ capacity: 32, maxDelayMs: 100 });
  b.push(packet(65533), 0);
  b.push(packet(0), 1);
  b.push(packet(3), 2);
  assert.deepEqual(b.missing(), [65534, 65535, 1, 2]);
  assert.deepEqual(b.missing(2), [65534, 65535]);
  const nack = parseRtcp(
    serializeRtcp([{
      type: "nack",
      senderSsrc: 1,
      mediaSsrc: 2,
      lost: b.missing(),
    }]),
  )[0]!;
  assert.ok(nack.type === "nack");
  assert.deepEqual(nack.lost.sort((x, y) => x - y), [1, 2, 65534, 65535]);
  const stats = new RtpReceptionStats(1000);
  for (let i = 0; i < 10; i++) {
    if (i !== 4) {
      stats.receive(
        { ...packet(i), timestamp: 100 * i },
        100 * i + (i % 2) * 8,
      );
    }
  }
  stats.senderReport({
    type: "sr",
    ssrc: 1,
    ntpSeconds: 0x12345678,
    ntpFraction: 0x9abcdef0,
    rtpTimestamp: 0,
    packetCount: 0,
    octetCount: 0,
    reports: [],
  }, 1000);
  const block = stats.reportBlock(1500);
  assert.deepEqual([
    block.highestSequence,
    block.cumulativeLost,
    block.fractionLost,
  ], [9, 1, 25]);
  assert.ok(block.jitter > 0 && block.jitter <= 8);
  assert.equal(block.lastSr, 0x56789abc);
  assert.equal(block.delaySinceLastSr, 32768);
  assert.equal(stats.reportBlock(1600).fractionLost, 0);
});
