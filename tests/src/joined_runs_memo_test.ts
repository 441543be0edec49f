// JoinedRuns' memo is bounded (issue 19): MEMO_RUNS runs, the least recently
// used replaced, not a WeakMap entry per run while the ring holds its first
// frame. Every viewer of the same run still gets one Uint8Array; a run in use
// stays memoised while others come and go; an evicted run joins again with
// the same bytes (a view of the slab when its units are adjacent).
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { JoinedEgressCache } from "../../src/egress_cache.ts";
import { MEMO_RUNS } from "../../src/_joined_runs.ts";

const frame = (n: number): MediaFrame => ({
  kind: "audio",
  codec: "aac",
  trackId: 0,
  pts: n,
  dts: n,
  timescale: 1000,
  keyframe: true,
  config: false,
  data: Uint8Array.of(n & 0xff, 7),
});

Deno.test("JoinedRuns: a bounded memo — the run in use stays shared while others come and go; an evicted run is joined again, same bytes", () => {
  const cache = new JoinedEgressCache({
    name: "raw",
    serialize: (f) => f.data,
  });
  const frames = Array.from({ length: 200 }, (_, i) => frame(i));
  for (const f of frames) cache.bytesOf(f); // in order: adjacent in the slab
  const hot = frames.slice(0, 5); // e.g. a replay every joiner takes
  const hotBytes = cache.batch(hot);
  for (let k = 1; k < 50; k++) {
    const run = frames.slice(5 + 3 * k, 8 + 3 * k); // the live edge moves
    const a = cache.batch(run);
    assert.equal(cache.batch([...run]), a, "same run, same object");
    assert.deepEqual([...a], run.flatMap((f) => [f.dts & 0xff, 7]));
    assert.equal(cache.batch(hot), hotBytes, "the run in use stays memoised");
  }
  assert.equal(cache.joined, 50); // one per distinct run, none per viewer
  // a run used long ago is no longer memoised: joined again, a view
  const old = frames.slice(8, 11);
  const again = cache.batch(old);
  assert.equal(cache.joined, 51);
  assert.equal(cache.viewed, 51);
  assert.deepEqual([...again], old.flatMap((f) => [f.dts & 0xff, 7]));
  assert.ok(MEMO_RUNS >= 2 && MEMO_RUNS <= 16);
});
