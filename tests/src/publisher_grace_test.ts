// Issue 20, fault 1 (kernel): the publisher grace period. A stream whose
// publisher left stays open for `publisherGraceMs`; subscribers keep
// waiting; a republish within the grace continues the same StreamHandle and
// subscriptions; after the grace the stream ends once. ManualClock only.
import assert from "node:assert/strict";
import {
  Engine,
  type EngineEvent,
  ManualClock,
  resolveAppSpec,
} from "../../mod.ts";
import { assertCode, gop, RecordingObserver } from "../_fakes.ts";

function engineWith(publisherGraceMs: number) {
  const clock = new ManualClock();
  const observer = new RecordingObserver();
  const engine = Engine.builder().clock(clock).observer(observer)
    .application({ name: "live", publisherGraceMs })
    .idleTimeout(3_000)
    .build();
  const events = (type: EngineEvent["type"]) =>
    observer.events.filter((e) => e.type === type).length;
  return { clock, engine, events };
}

Deno.test("publisherGraceMs: a republish within the grace continues the same handle and subscription", async () => {
  const { clock, engine, events } = engineWith(10_000);
  const handle = engine.startPublish("live/cam");
  const viewer = handle.subscribe({ replay: false });
  const first = gop(0, 3);
  for (const f of first) handle.publishFrame(f);
  for (const f of first) assert.equal(await viewer.next(), f);

  handle.end("publisher disconnected");
  assert.equal(handle.ended, false, "open during the grace");
  assert.equal(engine.getStream("live/cam"), handle);
  assertCode(() => handle.publishFrame(first[0]!), "Closed");
  let got: unknown = "pending";
  const waiting = viewer.next().then((f) => (got = f));
  clock.advance(9_000); // also runs the reaper (idle 3 s): no effect in grace
  await Promise.resolve();
  assert.equal(got, "pending", "the subscriber keeps waiting");
  assert.equal(handle.ended, false);

  const again = engine.startPublish("live/cam");
  assert.equal(again, handle, "the same StreamHandle");
  assert.equal(events("published"), 1, "no second published event");
  const restarted = gop(0, 2); // timestamps restart at 0
  for (const f of restarted) again.publishFrame(f);
  await waiting;
  assert.equal(got, restarted[0]);
  assert.equal(await viewer.next(), restarted[1]);
  clock.advance(2_000); // past the first grace (10 s): it was cancelled
  assert.equal(handle.ended, false);

  again.end("publisher disconnected");
  clock.advance(9_999);
  assert.equal(handle.ended, false);
  clock.advance(1);
  assert.equal(handle.ended, true, "ended once the grace ran out");
  assert.equal(handle.endReason, "publisher disconnected");
  assert.equal(await viewer.next(), null);
  assert.equal(events("unpublished"), 1, "ended once");
  assert.equal(engine.getStream("live/cam"), undefined);
  // A publish after the grace is a new stream.
  const fresh = engine.startPublish("live/cam");
  assert.notEqual(fresh, handle);
  assert.equal(events("published"), 2);
  await engine.shutdown({ deadlineMs: 0 });
});

Deno.test("publisherGraceMs: shutdown and endPublish end at once; 0 (default) keeps end() immediate", async () => {
  const { engine } = engineWith(10_000);
  const a = engine.startPublish("live/a");
  a.end();
  assert.equal(a.ended, false);
  const b = engine.startPublish("live/b");
  engine.endPublish("live/b", "kicked");
  assert.equal(b.ended, true, "admin end: no grace");
  await engine.shutdown({ deadlineMs: 0 });
  assert.equal(a.ended, true, "shutdown ends a stream in its grace");

  const plain = engineWith(0);
  const c = plain.engine.startPublish("live/c");
  c.end();
  assert.equal(c.ended, true);
  assert.equal(resolveAppSpec({ name: "x" }).publisherGraceMs, 0);
  assert.throws(
    () => resolveAppSpec({ name: "x", publisherGraceMs: -1 }),
    /publisherGraceMs/,
  );
  await plain.engine.shutdown({ deadlineMs: 0 });
});

Deno.test("publisherGraceMs: onDuplicatePublish replace resumes a stream in its grace, replaces a live one at once", async () => {
  const clock = new ManualClock();
  const engine = Engine.builder().clock(clock)
    .application({
      name: "live",
      publisherGraceMs: 5_000,
      onDuplicatePublish: "replace",
    })
    .build();
  const first = engine.startPublish("live/cam");
  first.end();
  assert.equal(engine.startPublish("live/cam"), first, "resumed");
  const second = engine.startPublish("live/cam");
  assert.notEqual(second, first, "a live publisher is replaced");
  assert.equal(first.ended, true, "the replaced stream ends at once");
  await engine.shutdown({ deadlineMs: 0 });
});
