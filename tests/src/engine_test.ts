import assert from "node:assert/strict";
import {
  Engine,
  type EngineEvent,
  ManualClock,
  type MediaFrame,
  type ProtocolHandler,
  type StreamAuthenticator,
  StreamKey,
  UnauthorizedError,
} from "../../mod.ts";
import {
  assertCode,
  assertRejectsCode,
  audioFrame,
  gop,
  RecordingAuditSink,
  RecordingObserver,
  videoFrame,
} from "../_fakes.ts";

const tokenAuth: StreamAuthenticator = {
  authorize: ({ action, credentials }) =>
    credentials.token === `${action}-ok`
      ? { allowed: true }
      : { allowed: false, reason: "bad token", challenge: true },
};

Deno.test("Engine.startPublishAuthorized() refused leaves no state behind and is audited", async () => {
  const audit = new RecordingAuditSink();
  const observer = new RecordingObserver();
  await using engine = Engine.builder().clock(new ManualClock())
    .authenticator(tokenAuth).audit(audit).observer(observer).build();
  const error = await assertRejectsCode(
    engine.startPublishAuthorized("live/cam", {
      protocol: "rtmp",
      remoteAddr: "10.0.0.1:1935",
      token: "nope",
    }),
    "Unauthorized",
  );
  assert.ok(error instanceof UnauthorizedError);
  assert.equal(error.challenge, true);
  assert.equal(error.reason, "bad token");
  assert.equal(engine.getStream("live/cam"), undefined);
  assert.deepEqual(engine.streams(), []);
  assert.deepEqual(observer.events, []);
  assert.deepEqual(audit.events, [{
    type: "authRefused",
    at: 0,
    action: "publish",
    key: "live/cam",
    protocol: "rtmp",
    remoteAddr: "10.0.0.1:1935",
    reason: "bad token",
  }]);
  // The key is still free for an authorized publisher.
  const handle = await engine.startPublishAuthorized("live/cam", {
    protocol: "rtmp",
    token: "publish-ok",
  });
  assert.equal(engine.getStream("live/cam"), handle);
  assert.deepEqual(audit.events.map((e) => e.type), [
    "authRefused",
    "authGranted",
    "publishStarted",
  ]);
});

Deno.test("an authenticator that throws is a refusal (fail closed)", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).authenticator({
    authorize: () => Promise.reject(new Error("db down")),
  }).build();
  const error = await assertRejectsCode(
    engine.startPublishAuthorized("live/a", { protocol: "rtmp" }),
    "Unauthorized",
  );
  assert.equal((error.cause as Error).message, "db down");
  assert.equal(engine.streams().length, 0);
});

Deno.test("Engine.authorizePlay() checks authorization before existence", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).authenticator(
    tokenAuth,
  ).build();
  await assertRejectsCode(
    engine.authorizePlay("live/none", { protocol: "hls" }),
    "Unauthorized",
  );
  await assertRejectsCode(
    engine.authorizePlay("live/none", { protocol: "hls", token: "play-ok" }),
    "NotFound",
  );
  const handle = engine.startPublish("live/cam");
  assert.equal(
    await engine.authorizePlay("live/cam", {
      protocol: "hls",
      token: "play-ok",
    }),
    handle,
  );
});

Deno.test("a second publisher is rejected with AlreadyPublishing by default", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const first = engine.startPublish("live/cam");
  assertCode(
    () => engine.startPublish(StreamKey.parse("live/cam")),
    "AlreadyPublishing",
  );
  assert.equal(engine.getStream("live/cam"), first);
  assert.equal(first.ended, false);
});

Deno.test("onDuplicatePublish 'replace' ends the old stream cleanly for its subscribers", async () => {
  const observer = new RecordingObserver();
  await using engine = Engine.builder().clock(new ManualClock())
    .application({ name: "live", onDuplicatePublish: "replace" }).observer(
      observer,
    ).build();
  const first = engine.startPublish("live/cam");
  const sub = first.subscribe({ replay: false });
  const frame = videoFrame(0, true);
  first.publishFrame(frame);
  const second = engine.startPublish("live/cam");
  assert.notEqual(second, first);
  assert.equal(first.ended, true);
  assert.equal(first.endReason, "replaced by a new publisher");
  assert.equal(engine.getStream("live/cam"), second);
  assert.equal(await sub.next(), frame); // drains what was published
  assert.equal(await sub.next(), null); // then a clean end
  assert.equal((await sub.closed).reason, "ended");
  assertCode(() => first.publishFrame(frame), "Closed");
  assert.deepEqual(
    observer.events.filter((e) =>
      e.type === "published" || e.type === "unpublished"
    ).map((e) => e.type),
    ["published", "unpublished", "published"],
  );
});

Deno.test("limits: maxPublishers, unknown application, invalid keys", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).maxPublishers(
    2,
  )
    .application({ name: "live" }).application({ name: "vod" }).build();
  engine.startPublish("live/a");
  engine.startPublish("vod/b");
  assertCode(() => engine.startPublish("live/c"), "LimitExceeded");
  engine.endPublish("vod/b");
  assertCode(() => engine.startPublish("other/c"), "NotFound");
  assertCode(() => engine.startPublish("live/../x"), "InvalidInput");
  engine.startPublish("live/c");
  assert.deepEqual(engine.streams().map((s) => s.key.toString()).sort(), [
    "live/a",
    "live/c",
  ]);
});

Deno.test("the reaper ends a stream that sends no frames for idleTimeout, driven by the clock", async () => {
  const clock = new ManualClock();
  const observer = new RecordingObserver();
  await using engine = Engine.builder().clock(clock).idleTimeout(5_000)
    .observer(observer).build();
  const busy = engine.startPublish("live/busy");
  const idle = engine.startPublish("live/idle");
  for (let t = 0; t < 8_000; t += 500) {
    busy.publishFrame(audioFrame(t));
    clock.advance(500);
  }
  assert.equal(idle.ended, true);
  assert.match(idle.endReason ?? "", /^idle for \d+ ms$/);
  assert.equal(busy.ended, false);
  assert.equal(engine.getStream("live/idle"), undefined);
  assert.equal(observer.ofType("unpublished")[0]?.key, "live/idle");
  busy.end();
  assert.equal(
    clock.pendingTimers,
    0,
    "the engine timer runs only while streams exist",
  );
});

Deno.test("shutdown() stops accepting, ends streams and lets subscribers drain", async () => {
  const clock = new ManualClock();
  const observer = new RecordingObserver();
  const engine = Engine.builder().clock(clock).observer(observer).build();
  const stream = engine.startPublish("live/cam");
  const sub = stream.subscribe({ replay: false });
  const frames = gop(0, 10);
  for (const f of frames) stream.publishFrame(f);
  const reading = (async () => {
    const got: MediaFrame[] = [];
    for await (const f of sub) got.push(f);
    return got;
  })();
  await engine.shutdown();
  assert.deepEqual(await reading, frames);
  assert.equal(engine.accepting, false);
  assertCode(() => engine.startPublish("live/cam"), "Closed");
  assert.deepEqual(
    observer.ofType("shutdown").map((e) => [e.phase, e.subscribers]),
    [["started", 1], ["drained", 0]],
  );
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("shutdown() evicts subscribers still attached at the deadline", async () => {
  const clock = new ManualClock();
  const engine = Engine.builder().clock(clock).shutdownDeadline(2_000).build();
  const stream = engine.startPublish("live/cam");
  const stuck = stream.subscribe({ replay: false });
  stream.publishFrame(videoFrame(0, true));
  const done = engine.shutdown();
  await Promise.resolve();
  clock.advance(2_000);
  await done;
  const end = await stuck.closed;
  assert.equal(end.reason, "evicted");
  assert.equal(end.error?.code, "Evicted");
  await assertRejectsCode(stuck.next(), "Evicted");
  assert.equal(stream.subscriberCount, 0);
});

Deno.test("serve() runs handlers until the signal, then shuts down; a failing handler is reported", async () => {
  const observer = new RecordingObserver();
  const engine = Engine.builder().clock(new ManualClock()).observer(observer)
    .build();
  const seen: string[] = [];
  const good: ProtocolHandler = {
    name: "good",
    serve: async (e, signal) => {
      seen.push(`start ${e === engine}`);
      await new Promise((r) =>
        signal.addEventListener("abort", r, { once: true })
      );
      seen.push(`stop accepting=${e.accepting}`);
    },
  };
  const bad: ProtocolHandler = {
    name: "bad",
    serve: () => Promise.reject(new Error("port in use")),
  };
  const controller = new AbortController();
  const served = engine.serve([good, bad], controller.signal);
  const stream = engine.startPublish("live/cam");
  await Promise.resolve();
  controller.abort();
  await served;
  assert.deepEqual(seen, ["start true", "stop accepting=false"]);
  assert.equal(stream.ended, true);
  assert.equal(observer.ofType("handlerError")[0]?.name, "bad");
  await assertRejectsCode(engine.serve([good]), "Closed");
});

Deno.test("two engines in one process are independent", async () => {
  await using a = Engine.builder().clock(new ManualClock()).build();
  await using b = Engine.builder().clock(new ManualClock()).build();
  const seenA: EngineEvent[] = [];
  a.events.observe({ onEvent: (e) => seenA.push(e) });
  const sa = a.startPublish("live/cam");
  const sb = b.startPublish("live/cam"); // same key, other engine: no conflict
  const subB = sb.subscribe();
  sa.publishFrame(videoFrame(0, true));
  assert.deepEqual(subB.takeAll(), []);
  assert.equal(subB.id, 1);
  const subA = sa.subscribe();
  assert.equal(subA.id, 1); // ids are per engine
  subA.close();
  assert.equal(seenA.filter((e) => e.type === "published").length, 1);
  await b.shutdown(); // subB had nothing left to drain: it ends at once
  assert.equal((await subB.closed).reason, "ended");
  assert.equal(a.getStream("live/cam"), sa);
  assert.equal(sa.ended, false);
  a.getStream("live/cam")?.end();
});

Deno.test("a throwing observer never breaks publishing and is reported as observerError", async () => {
  const errors: string[] = [];
  await using engine = Engine.builder().clock(new ManualClock()).observer({
    onEvent: (e) => {
      if (e.type === "observerError") errors.push(e.event);
      else throw new Error("observer bug");
    },
  }).build();
  const stream = engine.startPublish("live/cam");
  const sub = stream.subscribe();
  assert.equal(stream.publishFrame(videoFrame(0, true)), 1);
  sub.close();
  stream.end();
  assert.deepEqual(errors, [
    "published",
    "subscriberJoined",
    "subscriberLeft",
    "unpublished",
  ]);
});

Deno.test("pumpSource() publishes a source's frames then ends the stream", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const frames = gop(0, 25);
  const watcher = engine.events.once("published");
  const pumped = engine.pumpSource("live/file", {
    name: "file",
    async *frames() {
      for (const f of frames) {
        await Promise.resolve();
        yield f;
      }
    },
  });
  await watcher;
  const sub = engine.getStream("live/file")!.subscribe({ replay: false });
  const got: MediaFrame[] = [];
  for await (const f of sub) got.push(f);
  assert.equal(await pumped, 25);
  assert.deepEqual(got, frames.slice(25 - got.length));
  assert.ok(got.length > 0);
  assert.equal(engine.getStream("live/file"), undefined);
});

Deno.test("Engine.health reports the engine check and registered ones", async () => {
  const engine = Engine.builder().clock(new ManualClock()).build();
  const remove = engine.health.register({
    name: "storage",
    check: () => ({ status: "pass" }),
  });
  assert.equal((await engine.health.run()).status, "pass");
  remove();
  await engine.shutdown();
  const summary = await engine.health.run();
  assert.equal(summary.status, "fail");
  assert.deepEqual(Object.keys(summary.checks), ["engine"]);
});

Deno.test("pumpSource() with refused credentials publishes nothing", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).authenticator(
    tokenAuth,
  ).build();
  let pulled = 0;
  await assertRejectsCode(
    engine.pumpSource("live/file", {
      name: "file",
      *frames() {
        pulled++;
        yield videoFrame(0, true);
      },
    }, { credentials: { protocol: "file", token: "nope" } }),
    "Unauthorized",
  );
  assert.equal(pulled, 0);
  assert.equal(engine.getStream("live/file"), undefined);
});

Deno.test("pumpSource() stops when its signal aborts and ends the stream", async () => {
  await using engine = Engine.builder().clock(new ManualClock()).build();
  const controller = new AbortController();
  let n = 0;
  const count = await engine.pumpSource("live/gen", {
    name: "generator",
    *frames() {
      for (;;) {
        if (++n === 10) controller.abort();
        yield audioFrame(n * 21);
      }
    },
  }, { signal: controller.signal });
  assert.equal(count, 9);
  assert.equal(engine.getStream("live/gen"), undefined);
});

Deno.test("serve() with an already-aborted signal shuts down at once", async () => {
  const engine = Engine.builder().clock(new ManualClock()).build();
  const controller = new AbortController();
  controller.abort();
  const seen: boolean[] = [];
  await engine.serve([{
    name: "late",
    serve: (_e, signal) => {
      seen.push(signal.aborted);
      return Promise.resolve();
    },
  }], controller.signal);
  assert.deepEqual(seen, [true]);
  assert.equal(engine.accepting, false);
});

Deno.test("StreamHandle.publishFrame() drops an empty sequence header so late joiners get the real config", () => {
  const engine = Engine.builder().build();
  const stream = engine.startPublish(StreamKey.parse("live/tee"));
  const base = {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
  } as const;
  stream.publishFrame({
    ...base,
    keyframe: true,
    config: true,
    data: new Uint8Array(0),
  });
  const real = {
    ...base,
    keyframe: true,
    config: true,
    data: new Uint8Array([1, 0x42, 0, 0x1e, 0xff]),
  };
  stream.publishFrame(real);
  stream.publishFrame({
    ...base,
    keyframe: true,
    config: false,
    data: new Uint8Array(8),
  });
  using late = stream.subscribe();
  const replay = late.takeAll();
  assert.equal(replay[0], real);
  assert.equal(replay.filter((f) => f.config).length, 1);
  void engine.shutdown({ deadlineMs: 0 });
});
