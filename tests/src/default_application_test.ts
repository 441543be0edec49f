import assert from "node:assert/strict";
import { Engine, ManualClock, StreamError } from "../../mod.ts";

Deno.test("engine: defaultApplication applies to every undeclared app (a publisher grace for the CLI)", async () => {
  const clock = new ManualClock();
  await using engine = Engine.builder().clock(clock).defaultApplication({
    publisherGraceMs: 5_000,
  }).build();
  const first = engine.startPublish("any/cam");
  assert.equal(first.spec.publisherGraceMs, 5_000);
  assert.equal(first.spec.name, "any");
  first.end("publisher left");
  assert.equal(first.ended, false, "waits for the publisher");
  const again = engine.startPublish("any/cam");
  assert.equal(
    again,
    first,
    "a republish within the grace continues the stream",
  );
  again.end("publisher left");
  clock.advance(5_000);
  assert.equal(first.ended, true);
});

Deno.test("engine: a bad defaultApplication is refused when the engine is built", () => {
  assert.throws(
    () => Engine.builder().defaultApplication({ publisherGraceMs: -1 }).build(),
    StreamError,
  );
});
