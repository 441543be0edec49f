// Issue 20, fault 4 (kernel half): a joining viewer's replayed sequence
// headers are stamped at the joining point (the first replayed frame's
// dts), not at the publish's start; the stamped frames are built once per
// GOP and shared by every joiner of it (serialize-once holds downstream).
import assert from "node:assert/strict";
import { Engine, ManualClock } from "../../mod.ts";
import { audioFrame, gop } from "../_fakes.ts";
import type { MediaFrame } from "../../media/frame.ts";

const config = (kind: "video" | "audio"): MediaFrame => ({
  kind,
  codec: kind === "video" ? "h264" : "aac",
  trackId: 0,
  pts: 0,
  dts: 0,
  timescale: 1000,
  keyframe: true,
  config: true,
  data: new Uint8Array([1, 2, 3]),
});

Deno.test("replayed configs are stamped at the GOP's start, one copy per GOP shared by its joiners", async () => {
  const engine = Engine.builder().clock(new ManualClock()).build();
  const stream = engine.startPublish("live/cam");
  stream.publishFrame(config("video"));
  stream.publishFrame(config("audio"));
  for (const f of gop(1_269_000, 5)) stream.publishFrame(f);
  stream.publishFrame(audioFrame(1_269_010));
  const a = stream.subscribe().takeAll();
  const b = stream.subscribe().takeAll();
  assert.equal(a[0]!.dts, 1_269_000);
  assert.equal(a[1]!.dts, 1_269_000);
  assert.equal(a[0]!.kind, "video");
  assert.equal(a[0]!.config, true);
  assert.equal(a[0], b[0], "the same stamped object for both joiners");
  assert.equal(a[1], b[1]);
  // A new GOP: new stamps.
  for (const f of gop(1_270_000, 2)) stream.publishFrame(f);
  const c = stream.subscribe().takeAll();
  assert.equal(c[0]!.dts, 1_270_000);
  assert.notEqual(c[0], a[0]);
  await engine.shutdown({ deadlineMs: 0 });
});
