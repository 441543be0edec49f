import assert from "node:assert/strict";
import {
  type AuditEvent,
  AuditPipeline,
  EventBus,
  HEALTH_CHECK_TIMEOUT_MS,
  HealthRegistry,
  ManualClock,
  resolveAppSpec,
  systemClock,
} from "../../mod.ts";
import { assertCode } from "../_fakes.ts";

Deno.test("ManualClock fires due timers in order and never sleeps", () => {
  const clock = new ManualClock(10);
  const fired: string[] = [];
  clock.setTimer(30, () => fired.push(`b@${clock.now()}`));
  clock.setTimer(10, () => {
    fired.push(`a@${clock.now()}`);
    clock.setTimer(5, () => fired.push(`c@${clock.now()}`)); // armed while firing, due within the advance
  });
  const cancel = clock.setTimer(20, () => fired.push("cancelled"));
  cancel();
  clock.advance(25);
  assert.deepEqual(fired, ["a@20", "c@25"]);
  clock.advance(100);
  assert.deepEqual(fired, ["a@20", "c@25", "b@40"]);
  assert.equal(clock.now(), 135);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("systemClock timers fire and cancel", async () => {
  const fired = await new Promise<boolean>((resolve) =>
    systemClock.setTimer(1, () => resolve(true))
  );
  assert.equal(fired, true);
  let late = false;
  const cancel = systemClock.setTimer(1, () => (late = true));
  cancel();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(late, false);
});

Deno.test("EventBus isolates throwing listeners and guards observerError recursion", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.on("observerError", () => {
    seen.push("observerError");
    throw new Error("the error handler fails too");
  });
  const off = bus.on("published", () => {
    throw new Error("listener bug");
  });
  bus.on("published", (e) => seen.push(e.key));
  bus.emit({ type: "published", key: "live/a" });
  // The failure is reported after "published" reaches its other listeners (causal order).
  assert.deepEqual(seen, ["live/a", "observerError"]);
  off();
  assert.equal(bus.listenerCount, 2);
});

Deno.test("EventBus.once() resolves with the next event and honours abort", async () => {
  const bus = new EventBus();
  const next = bus.once("unpublished");
  bus.emit({ type: "unpublished", key: "live/a", reason: "idle" });
  assert.equal((await next).reason, "idle");
  const controller = new AbortController();
  const aborted = bus.once("published", controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(aborted, /stop/);
  assert.equal(bus.listenerCount, 0);
});

Deno.test("AuditPipeline forwards to every sink and isolates failures", () => {
  const events: AuditEvent[] = [];
  const errors: unknown[] = [];
  const pipeline = new AuditPipeline([{
    record: () => {
      throw new Error("full");
    },
  }], (e) => errors.push(e));
  pipeline.add({ record: (e) => events.push(e) });
  pipeline.record({
    type: "publishEnded",
    at: 1,
    key: "live/a",
    reason: "done",
  });
  assert.equal(events.length, 1);
  assert.equal(errors.length, 1);
  assert.equal(pipeline.size, 2);
});

Deno.test("HealthRegistry reports the worst status and times out hung checks", async () => {
  const clock = new ManualClock();
  const health = new HealthRegistry(clock);
  health.register({ name: "ok", check: () => ({ status: "pass" }) });
  health.register({
    name: "throws",
    check: () => {
      throw new Error("disk gone");
    },
  });
  health.register({ name: "hung", check: () => new Promise(() => {}) });
  const running = health.run();
  await Promise.resolve();
  await Promise.resolve();
  clock.advance(HEALTH_CHECK_TIMEOUT_MS);
  const summary = await running;
  assert.equal(summary.status, "fail");
  assert.equal(summary.checks.ok?.status, "pass");
  assert.equal(summary.checks.throws?.detail, "disk gone");
  assert.match(summary.checks.hung?.detail ?? "", /timed out/);
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("resolveAppSpec() validates limits and names", () => {
  assertCode(
    () => resolveAppSpec({ name: "live", ringCapacity: 0 }),
    "InvalidInput",
  );
  assertCode(
    () => resolveAppSpec({ name: "live", maxLagFrames: 1.5 }),
    "InvalidInput",
  );
  assertCode(() => resolveAppSpec({ name: "../x" }), "InvalidInput");
  assertCode(
    () => resolveAppSpec({ name: "live", ringCapacity: 1 << 21 }),
    "InvalidInput",
  );
  assert.equal(
    resolveAppSpec({ name: "live", ringCapacity: 3 }).ringCapacity,
    4,
  );
});

Deno.test("EventBus delivers events emitted by a listener after the current one (causal order)", () => {
  const bus = new EventBus();
  const seen: string[] = [];
  bus.observe({ onEvent: (e) => void seen.push(e.type) });
  bus.on(
    "published",
    (e) => bus.emit({ type: "unpublished", key: e.key, reason: "ended" }),
  );
  bus.emit({ type: "published", key: "live/a" });
  assert.deepEqual(seen, ["published", "unpublished"]);
});
