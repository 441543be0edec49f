// engine.clients: publishers registered by startPublishAuthorized (one per
// stream, a republish within the grace replaces it, gone when the stream
// ends), trusted publishes and plain subscriptions are not clients, a kick
// of a publisher ends its stream at once (no grace).
import assert from "node:assert/strict";
import { Engine, JoinedEgress, ManualClock } from "../../src/mod.ts";

Deno.test("clients: publishers, republish within the grace, trusted publishes, kick", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder()
    .clock(clock)
    .defaultApplication({ publisherGraceMs: 5_000 })
    .build();
  engine.startPublish("live/internal"); // a pipeline's derived stream: no client
  const stream = await engine.startPublishAuthorized("live/cam", {
    protocol: "rtmp",
    remoteAddr: "10.0.0.1:1000",
  });
  stream.subscribe(); // an internal consumer: no client
  assert.equal(engine.clients.list().length, 1);
  const first = engine.clients.list()[0]!;
  assert.deepEqual(
    [first.kind, first.protocol, first.stream, first.remoteAddr],
    ["publisher", "rtmp", "live/cam", "10.0.0.1:1000"],
  );
  stream.end("publisher dropped"); // within the grace: the stream waits
  const again = await engine.startPublishAuthorized("live/cam", {
    protocol: "srt",
    remoteAddr: "10.0.0.2:2000",
  });
  assert.equal(again, stream);
  const [second] = engine.clients.list();
  assert.equal(engine.clients.list().length, 1);
  assert.equal(second!.protocol, "srt");
  assert.notEqual(second!.id, first.id);
  // A viewer with an identity is a client; its kick evicts it.
  const egress = new JoinedEgress({ name: "raw", serialize: (f) => f.data });
  const viewer = egress.open(stream, { protocol: "rtsp" });
  assert.deepEqual(engine.clients.countsByProtocol("live/cam"), { rtsp: 1 });
  // Kick the publisher: ended at once, without the 5 s grace.
  assert.equal(engine.clients.kick(second!.id, "operator"), true);
  assert.equal(stream.ended, true);
  assert.equal(stream.endReason, "operator");
  await stream.closed;
  viewer.close();
  await Promise.resolve();
  assert.deepEqual(engine.clients.list(), []);
  assert.equal(engine.clients.kick(second!.id), false);
});
