// The one harness run over every parser and state machine (issue #9): short
// mode, 2,000 seeded cases per target (fewer for HTTP round trips), each
// input bounded to 50 ms, only StreamError allowed, no heap growth.
// Long mode: `deno run -A bench/fuzz_long.ts` (≥ 1M cases per target).
import assert from "node:assert/strict";
import {
  assertClean,
  fuzzTarget,
  mulberry32,
  mutate,
  replayCase,
  STRATEGIES,
} from "./_harness.ts";
import { allTargets } from "./targets/mod.ts";
import { StreamError } from "../../media/stream_error.ts";

const CASES = Number(Deno.env.get("FUZZ_CASES") ?? 2_000);
const CRASH_DIR =
  new URL("../../bench/.scratch/fuzz-crashes", import.meta.url).pathname;

for (const target of allTargets()) {
  Deno.test(`fuzz harness: ${target.name} throws only StreamError, no hang, no growth`, async () => {
    const prepared = await target.prepare();
    try {
      const result = await fuzzTarget({
        name: target.name,
        seeds: target.seeds,
        run: prepared.run,
        cases: Math.min(CASES, target.shortCases ?? CASES),
        crashDir: CRASH_DIR,
      });
      assertClean(result);
      assert.ok(
        result.rejected < result.cases,
        `${target.name}: every input was rejected (the seeds are not parsed)`,
      );
    } finally {
      await prepared.close?.();
    }
  });
}

Deno.test("fuzz harness: a non-StreamError and a hang are reported with the input", async () => {
  const result = await fuzzTarget({
    name: "self-test",
    seeds: [new Uint8Array([1, 2, 3, 4])],
    cases: 200,
    hangMs: 5,
    run(input) {
      if (input[0] === 0xff) throw new TypeError("boom");
      if (input[0] === 0x00) {
        const until = performance.now() + 8;
        while (performance.now() < until) { /* a slow input */ }
      }
      if (input.length === 0) {
        throw new StreamError("InvalidInput", "Cannot parse: empty");
      }
    },
    maxFailures: 50,
  });
  assert.ok(
    result.failures.some((f) =>
      f.kind === "error" && f.detail.includes("TypeError: boom") &&
      f.hex.startsWith("ff")
    ),
  );
  assert.ok(
    result.failures.some((f) => f.kind === "hang" && f.hex.startsWith("00")),
  );
  assert.ok(result.rejected > 0);
  assert.throws(() => assertClean(result), /self-test/);
});

Deno.test("fuzz harness: cases replay exactly and every strategy is used", () => {
  const seeds = [new Uint8Array(64).fill(7), new Uint8Array(32).fill(9)];
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const a = replayCase(seeds, 42, i);
    const b = replayCase(seeds, 42, i);
    assert.deepEqual(a.input, b.input);
    for (const s of a.strategies) seen.add(s);
  }
  for (const s of STRATEGIES) {
    assert.ok(seen.has(s), `strategy ${s} never used`);
  }
  assert.equal(mutate(seeds, mulberry32(1), 0).strategies[0], "seed");
});

Deno.test("fuzz harness: when the seed itself is slow (busy host) a slow input is not a hang", async () => {
  const result = await fuzzTarget({
    name: "self-test-busy",
    seeds: [new Uint8Array([1])],
    cases: 5,
    hangMs: 2,
    run() {
      const until = performance.now() + 3;
      while (performance.now() < until) { /* every input, seed included */ }
    },
  });
  assert.deepEqual(result.failures, []);
  // Usually all 5; an input whose re-run happens to fit in hangMs (CPU time on
  // a loaded host) is simply not slow, which is fine too.
  assert.ok(
    result.busySkips >= 1 && result.busySkips <= 5,
    `busySkips ${result.busySkips}`,
  );
});
