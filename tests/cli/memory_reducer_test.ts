// The CLI's memory reducer: a major GC once external memory grew past the
// floor by the step (or by half, when larger), the floor following what a
// collection leaves; none within 10 s of a collection (ours or V8's own);
// nothing after stop(); malloc's heap trimmed at a check that sees a
// collection's effect, unless external memory rises fast; and, in a process
// started with --expose-gc, a real collection frees dead ArrayBuffers and the
// trim gives their pages back.
import assert from "node:assert/strict";
import { ManualClock } from "../../mod.ts";
import {
  exposedGc,
  mallocTrim,
  MemoryReducer,
} from "../../cli/memory_reducer.ts";

const MB = 1 << 20;

/** A reducer on a manual clock over a settable external figure (10 MiB at start). */
function harness(options: { quietMs?: number } = {}) {
  const clock = new ManualClock();
  const state = { external: 10 * MB, collections: 0, trims: 0 };
  const reducer = new MemoryReducer({
    clock,
    collect: () => {
      state.collections++;
    },
    trim: () => {
      state.trims++;
    },
    external: () => state.external,
    minStepBytes: 8 * MB,
    ...options,
  });
  /** External memory is `mb` MiB at the next check, then `collections` were asked for. */
  const check = (mb: number, collections: number, message?: string) => {
    state.external = mb * MB;
    clock.advance(1_000);
    assert.equal(state.collections, collections, message);
  };
  return { clock, state, reducer, check };
}

Deno.test("memory reducer: collects once growth passes max(step, half the floor), then from the new floor", () => {
  const { clock, state, reducer, check } = harness({ quietMs: 0 });
  check(17, 0, "7 MiB over a 10 MiB floor: below the step");
  check(18, 1, "8 MiB over the floor");
  check(11, 1); // what the collection left
  check(18, 1, "7 MiB over the new floor of 11");
  check(19, 2);
  // A large live set: half of it is the step (100 MiB floor: 150 MiB).
  check(100, 3, "grown by 89 MiB: collected, floor 100 MiB");
  check(140, 3, "40 MiB over a 100 MiB floor: below half");
  check(150, 4);
  assert.equal(reducer.collections, 4);
  reducer.stop();
  state.external = 1_000 * MB;
  clock.advance(10_000);
  assert.equal(state.collections, 4, "nothing after stop()");
});

Deno.test("memory reducer: none within 10 s of a collection, ours or V8's own (external memory falling)", () => {
  const { clock, state, reducer } = harness();
  state.external = 30 * MB;
  clock.advance(9_000);
  assert.equal(state.collections, 0, "the first 10 s after start are quiet");
  clock.advance(1_000);
  assert.equal(state.collections, 1, "20 MiB over the floor after 10 s");
  state.external = 12 * MB; // what it left
  clock.advance(1_000);
  state.external = 25 * MB;
  clock.advance(5_000);
  assert.equal(state.collections, 1, "13 MiB over the floor, 6 s after ours");
  state.external = 15 * MB; // V8 collected by itself
  clock.advance(1_000);
  state.external = 25 * MB;
  clock.advance(9_000);
  assert.equal(state.collections, 1, "within 10 s of V8's own");
  clock.advance(1_000);
  assert.equal(state.collections, 2, "10 s after V8's own, still 13 MiB over");
  reducer.stop();
});

Deno.test("memory reducer: trims malloc's heap when a check sees external memory fall by 1 MiB, at most once per 5 s", () => {
  const { clock, state, reducer, check } = harness({ quietMs: 0 });
  check(10.5, 0);
  check(10.1, 0);
  assert.equal(state.trims, 0, "falls under 1 MiB: no collection seen");
  check(12, 0);
  check(14, 0);
  check(16, 0);
  check(18.1, 1, "our collection asked for");
  assert.equal(state.trims, 0, "asked, not yet seen");
  check(12, 1);
  assert.equal(state.trims, 1, "its sweep seen: trimmed");
  check(14, 1);
  check(11, 1);
  assert.equal(state.trims, 1, "V8's own collection 2 s later: not again yet");
  clock.advance(2_000);
  check(13, 1);
  check(10, 1);
  assert.equal(state.trims, 2, "5 s after the last trim: trimmed");
  check(10.5, 1);
  assert.equal(state.trims, 2);
  assert.equal(reducer.trims, true);
  reducer.stop();
});

Deno.test("memory reducer: no trim while external memory rises faster than 4 MiB/s (median of the last five rises)", () => {
  const { state, reducer, check } = harness({ quietMs: 60_000 });
  // Many streams: 15 MiB of new buffers a second, V8 collects every 2 s.
  for (let i = 0; i < 6; i++) {
    check(25, 0);
    check(12, 0);
  }
  assert.equal(
    state.trims,
    0,
    "15 MiB/s: the freed pages come back in a second",
  );
  assert.equal(reducer.trimmed, 0);
  // One stream and a crowd: two big rises among slow ones.
  for (let mb = 13; mb <= 15; mb++) check(mb, 0);
  check(30, 0);
  check(45, 0);
  check(46, 0);
  check(47, 0);
  check(40, 0);
  assert.equal(state.trims, 1, "median rise 1 MiB/s: trimmed");
  assert.equal(reducer.trimmed, 1);
  reducer.stop();
});

Deno.test("memory reducer: with --expose-gc, the major GC frees dead ArrayBuffers", async () => {
  const script = `
    import { exposedGc } from ${
    JSON.stringify(new URL("../../cli/memory_reducer.ts", import.meta.url).href)
  };
    import { mallocTrim } from ${
    JSON.stringify(new URL("../../cli/memory_reducer.ts", import.meta.url).href)
  };
    const gc = exposedGc();
    const trim = mallocTrim();
    if (gc === undefined || trim === undefined) throw new Error("no gc or trim");
    // 64 KiB slabs (under malloc's mmap threshold: from its heap), every
    // other one kept, as live buffers lie amid dead ones.
    let dead = [];
    const live = [];
    for (let i = 0; i < 1024; i++) {
      (i % 2 === 0 ? dead : live).push(new Uint8Array(64 * 1024).fill(1));
    }
    dead = null;
    const before = Deno.memoryUsage().external;
    gc({ type: "major", execution: "async" });
    // The collection runs concurrently and its ArrayBuffer sweep after it.
    let after = before;
    for (let i = 0; i < 50 && before - after < 30 * 1024 * 1024; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = Deno.memoryUsage().external;
    }
    const rssBefore = Deno.memoryUsage().rss;
    trim();
    const rssAfter = Deno.memoryUsage().rss;
    console.log(JSON.stringify({ before, after, rssBefore, rssAfter, live: live.length }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--allow-ffi", "--v8-flags=--expose-gc", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { before, after, rssBefore, rssAfter } = JSON.parse(
    new TextDecoder().decode(out.stdout),
  );
  assert.ok(before - after >= 30 * MB, `external ${before} -> ${after}`);
  assert.ok(
    rssBefore - rssAfter >= 16 * MB,
    `malloc_trim gave back ${rssBefore - rssAfter} bytes of 32 MiB freed`,
  );
  assert.equal(exposedGc(), undefined, "the test runner itself has no gc");
});

Deno.test("memory reducer: no malloc_trim without --allow-ffi", async () => {
  const script = `
    import { mallocTrim } from ${
    JSON.stringify(new URL("../../cli/memory_reducer.ts", import.meta.url).href)
  };
    console.log(String(mallocTrim()));
  `;
  // `deno eval` grants every permission: a file run without --allow-ffi
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "undefined");
  } finally {
    await Deno.remove(file);
  }
  assert.equal(
    typeof mallocTrim(),
    "function",
    "the test runner has --allow-ffi",
  );
});
