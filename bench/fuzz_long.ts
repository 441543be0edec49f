// deno-lint-ignore-file no-console -- a CLI script: its output is its report
// Long-mode fuzzing (issue #9): the same targets and harness as
// tests/fuzz/all_targets_test.ts, with ≥ 1,000,000 inputs per target.
//
//   deno run -A --v8-flags=--expose-gc bench/fuzz_long.ts [--cases 1000000]
//     [--target name|prefix] [--out results.jsonl] [--hang-ms 50]
//     [--max-failures 5]
//
// Targets run one after the other (CPU-bound); each line of output is a JSON
// record: cases, exec/s, rejected, slowest input, heap start/end/peak,
// failures (with reproducers under bench/.scratch/fuzz-crashes/).
import { fuzzTarget } from "../tests/fuzz/_harness.ts";
import { allTargets } from "../tests/fuzz/targets/mod.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const cases = Number(arg("cases") ?? 1_000_000);
const only = arg("target");
const out = arg("out");
const hangMs = arg("hang-ms");
const maxFailures = Number(arg("max-failures") ?? 5);
const crashDir = new URL("./.scratch/fuzz-crashes", import.meta.url).pathname;
const targets = allTargets().filter((t) =>
  only === undefined || t.name === only || t.name.startsWith(`${only}.`)
);
if (targets.length === 0) throw new Error(`no target matches ${only}`);
let failed = 0;
for (const target of targets) {
  const prepared = await target.prepare();
  try {
    const result = await fuzzTarget({
      name: target.name,
      seeds: target.seeds,
      run: prepared.run,
      cases,
      crashDir,
      maxFailures,
      ...(hangMs === undefined ? {} : { hangMs: Number(hangMs) }),
      progressEvery: 250_000,
      onProgress: (done, r) =>
        console.error(
          `${target.name}: ${done} cases, ${
            (done / (r.elapsedMs / 1000)).toFixed(0)
          } exec/s`,
        ),
    });
    const record = {
      target: result.name,
      seed: result.seed,
      cases: result.cases,
      execPerSec: Math.round(result.cases / (result.elapsedMs / 1000)),
      rejected: result.rejected,
      slowestMs: Number(result.slowestMs.toFixed(2)),
      busySkips: result.busySkips,
      heapStartMiB: Number((result.heapStart / 1048576).toFixed(1)),
      heapEndMiB: Number((result.heapEnd / 1048576).toFixed(1)),
      heapPeakMiB: Number((result.heapPeak / 1048576).toFixed(1)),
      elapsedS: Number((result.elapsedMs / 1000).toFixed(1)),
      failureCount: result.failures.length,
      failures: result.failures.slice(0, 5),
    };
    failed += result.failures.length;
    const line = JSON.stringify(record);
    console.log(line);
    if (out) await Deno.writeTextFile(out, line + "\n", { append: true });
  } finally {
    await prepared.close?.();
  }
}
if (failed > 0) Deno.exit(1);
