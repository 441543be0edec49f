// Fault: the clock jumps. A ManualClock models a process frozen for hours
// (advance: timers fire late, all at once); a wall-clock-style step (forward
// or backward, timers untouched) models an injected clock stepped by NTP.
// Expected: no mass eviction of live streams whose frames keep arriving, a
// silent stream is still reaped, QoS never reports negative or absurd rates,
// nothing throws.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import {
  type Clock,
  Engine,
  ManualClock,
  type StreamHandle,
  StreamKey,
} from "../../src/mod.ts";

const HOUR = 3_600_000;
const IDLE_MS = 5_000;
const STREAMS = 20;

/** A clock whose now() can be stepped either way; timers run on the monotonic base. */
class SteppedClock implements Clock {
  readonly base = new ManualClock(1_000_000);
  offset = 0;
  now(): number {
    return this.base.now() + this.offset;
  }
  setTimer(ms: number, fn: () => void): () => void {
    return this.base.setTimer(ms, fn);
  }
}

function frame(dts: number, keyframe: boolean): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: new Uint8Array(1250).fill(dts & 0xff),
  }; // deno-fmt-ignore
}

function liveEngine(
  clock: Clock,
): {
  engine: Engine;
  handles: StreamHandle[];
  publishAll: (dts: number) => void;
} {
  const engine = Engine.builder().clock(clock).idleTimeout(IDLE_MS).application(
    { name: "live" },
  ).build();
  const handles = Array.from(
    { length: STREAMS },
    (_, i) => engine.startPublish(StreamKey.parse(`live/s${i}`)),
  );
  return {
    engine,
    handles,
    publishAll(dts) {
      for (const h of handles) {
        if (!h.ended) h.publishFrame(frame(dts, dts % 1000 === 0));
      }
    },
  };
}

function assertSaneQos(handles: StreamHandle[], plausible = true): void {
  for (const h of handles) {
    if (h.ended) continue;
    for (const track of h.qos().tracks) {
      assert.ok(
        Number.isFinite(track.bitrate) && track.bitrate >= 0,
        `bitrate ${track.bitrate}`,
      );
      assert.ok(
        Number.isFinite(track.fps) && track.fps >= 0,
        `fps ${track.fps}`,
      );
      // 25 fps × 1250 B = 250 kbit/s; a jump must not inflate it by orders of magnitude.
      if (!plausible) continue;
      assert.ok(
        track.bitrate <= 2_500_000,
        `bitrate ${track.bitrate} after a clock jump`,
      );
      assert.ok(track.fps <= 250, `fps ${track.fps} after a clock jump`);
    }
  }
}

/** 25 fps for `ms` of clock time, ticking the clock between frames. */
function run(
  clock: { advance(ms: number): void },
  publishAll: (dts: number) => void,
  from: number,
  ms: number,
): number {
  let dts = from;
  for (let t = 0; t < ms; t += 40, dts += 40) {
    publishAll(dts);
    clock.advance(40);
  }
  return dts;
}

Deno.test("fault: wall clock stepped forward 3 h while frames arrive — no stream is reaped, QoS stays sane", async () => {
  const clock = new SteppedClock();
  const { engine, handles, publishAll } = liveEngine(clock);
  let dts = run(clock.base, publishAll, 0, 3000);
  clock.offset += 3 * HOUR; // NTP step: now() jumps, timers are on their own schedule
  dts = run(clock.base, publishAll, dts, 3000);
  engine.tick();
  assert.equal(
    handles.filter((h) => h.ended).length,
    0,
    "no live stream reaped",
  );
  assertSaneQos(handles);
  for (const h of handles) h.end();
  await engine.shutdown({ deadlineMs: 0 });
});

Deno.test("fault: wall clock stepped back 1 h — live streams stay, a silent stream is still reaped, QoS non-negative", async () => {
  const clock = new SteppedClock();
  const { engine, handles, publishAll } = liveEngine(clock);
  let dts = run(clock.base, publishAll, 0, 3000);
  clock.offset -= HOUR;
  dts = run(clock.base, publishAll, dts, 3000);
  engine.tick();
  assert.equal(handles.filter((h) => h.ended).length, 0);
  assertSaneQos(handles, false);
  // One publisher goes silent; the others go on. Only the silent one is reaped.
  const silent = handles[0]!;
  const others = handles.slice(1);
  for (let t = 0; t < IDLE_MS * 2; t += 40, dts += 40) {
    for (const h of others) h.publishFrame(frame(dts, dts % 1000 === 0));
    clock.base.advance(40);
  }
  assert.equal(
    silent.ended,
    true,
    "the silent stream is reaped after the idle timeout",
  );
  assert.equal(others.filter((h) => h.ended).length, 0);
  for (const h of others) h.end();
  await engine.shutdown({ deadlineMs: 0 });
});

// The Clock contract says now() is monotonic (systemClock is
// performance.now()), but an injected wall-clock Clock can be stepped back by
// NTP; the engine wraps it in a MonotonicClock, so a backward step is a pause
// of zero length: QoS stays plausible and silent streams are still reaped.
Deno.test({
  name:
    "fault: a non-monotonic clock stepped back 1 h — plausible QoS and silent streams still reaped",
  async fn() {
    const clock = new SteppedClock();
    const { engine, handles, publishAll } = liveEngine(clock);
    let dts = run(clock.base, publishAll, 0, 3000);
    clock.offset -= HOUR;
    dts = run(clock.base, publishAll, dts, 3000);
    let qosError: unknown;
    try {
      assertSaneQos(handles);
    } catch (error) {
      qosError = error;
    }
    // Every publisher stops right after another step back.
    clock.offset -= HOUR;
    clock.base.advance(IDLE_MS * 3);
    engine.tick();
    const alive = handles.filter((h) => !h.ended).length;
    await engine.shutdown({ deadlineMs: 0 });
    if (qosError) throw qosError;
    assert.equal(
      alive,
      0,
      `${alive} silent streams survive ${IDLE_MS * 3} ms after a backward step`,
    );
  },
});

Deno.test("fault: process frozen 3 h (timers fire late) with publishers still sending — frames keep flowing, QoS sane", async () => {
  const clock = new ManualClock(1_000_000);
  const { engine, handles, publishAll } = liveEngine(clock);
  const sub = handles[1]!.subscribe({ replay: false });
  let dts = run(clock, publishAll, 0, 3000);
  sub.takeAll();
  clock.advance(3 * HOUR); // the reaper runs once the process wakes: idle streams (no frames for 3 h) end
  const reaped = handles.filter((h) => h.ended).length;
  // Whatever the reaper decided, nothing throws and live publishing goes on for survivors;
  // publishers of reaped streams can start again at once.
  for (let i = 0; i < handles.length; i++) {
    if (handles[i]!.ended) {
      handles[i] = engine.startPublish(StreamKey.parse(`live/s${i}`));
    }
  }
  dts = run(
    clock,
    (d) => {
      for (const h of handles) h.publishFrame(frame(d, d % 1000 === 0));
    },
    dts,
    3000,
  );
  assert.equal(handles.filter((h) => h.ended).length, 0);
  assertSaneQos(handles);
  assert.ok(
    reaped === 0 || reaped === STREAMS,
    `reaping is all-or-nothing here, got ${reaped}`,
  );
  sub.close();
  for (const h of handles) h.end();
  await engine.shutdown({ deadlineMs: 0 });
});
