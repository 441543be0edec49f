// StreamRtpFeed's time-sliced fan-out: handing a frame's packets to many
// viewers yields to the event loop every `sliceMs`, so timers and I/O run
// in between (STUN, DTLS, HTTP in the origin), while every viewer still gets
// every packet in order and a frame reaches all viewers before the next.
import assert from "node:assert/strict";
import { Engine, ManualClock, type MediaFrame } from "../../../mod.ts";
import {
  type FeedPacket,
  type FeedViewer,
  StreamRtpFeed,
} from "../../../protocols/webrtc/stream_feed.ts";

function opusFrame(dts: number): MediaFrame {
  return {
    kind: "audio",
    codec: "opus",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array(60).fill(dts & 0xff),
  };
}

/** A viewer whose delivery costs `costMs` of CPU (like SRTP + send). */
class BusyViewer implements FeedViewer {
  readonly seqs: number[] = [];
  constructor(
    readonly costMs: number,
    readonly log: string[],
    readonly id: number,
  ) {}
  deliver(packets: readonly FeedPacket[]): void {
    const until = performance.now() + this.costMs;
    while (performance.now() < until) { /* busy */ }
    for (const p of packets) this.seqs.push(p.sequenceNumber);
    this.log.push(`v${this.id}`);
  }
  ended(): void {}
}

async function run(sliceMs: number) {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/slices");
  const feed = new StreamRtpFeed(stream, { sliceMs });
  const log: string[] = [];
  const viewers = Array.from(
    { length: 30 },
    (_, i) => new BusyViewer(0.5, log, i),
  );
  for (const v of viewers) feed.attach(v);
  setTimeout(() => log.push("timer"), 0);
  for (let i = 0; i < 4; i++) stream.publishFrame(opusFrame(i * 20));
  const deadline = Date.now() + 5_000;
  while (viewers.some((v) => v.seqs.length < 4) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  feed.close();
  await feed.done;
  return { feed, log, viewers };
}

Deno.test("stream feed: the fan-out yields every sliceMs (a timer runs mid-frame), order and completeness kept", async () => {
  const { feed, log, viewers } = await run(2);
  const first = viewers[0]!.seqs;
  assert.equal(first.length, 4);
  for (const v of viewers) assert.deepEqual(v.seqs, first);
  for (let i = 1; i < first.length; i++) {
    assert.equal(first[i], (first[i - 1]! + 1) & 0xffff);
  }
  assert.ok(feed.stats.yields > 0, `yields ${feed.stats.yields}`);
  // 30 viewers × 0.5 ms = 15 ms per frame: the 0 ms timer ran before the
  // first frame reached the last viewer.
  const timer = log.indexOf("timer");
  assert.ok(timer > 0 && timer < 30, `timer at ${timer} of ${log.length}`);
});

Deno.test("stream feed: sliceMs 0 delivers each frame in one synchronous loop", async () => {
  const { feed, log, viewers } = await run(0);
  for (const v of viewers) assert.equal(v.seqs.length, 4);
  assert.equal(feed.stats.yields, 0);
  // The timer could not run inside a frame's fan-out.
  assert.equal(log.indexOf("timer") % 30, 0);
});
