// deno-lint-ignore-file no-console -- command-line tool: stdout is its interface
/**
 * Where the per-viewer bytes of our origin are, deterministically (issue
 * 19): one `run.ts` scenario (fresh origin, one protocol, N viewers) with
 * two V8 heap snapshots of the origin — one in the 0-viewer baseline, one
 * 14 s into the N-viewer window, each after the full GC `writeHeapSnapshot`
 * does — then `heap_summary.ts` of the difference ÷ N and the ArrayBuffer
 * backing stores of the second snapshot by size (a buffer every viewer
 * keeps shows up as N buffers of one size).
 *
 * ```sh
 * deno run -A bench/fanout/heap_per_viewer.ts --protocol=flv --viewers=500
 * deno run -A bench/fanout/heap_per_viewer.ts --protocol=rtmp --viewers=500 --top=40
 * ```
 *
 * The snapshots pause the origin for a second or two each (its figures in
 * run.ts's report are not valid for CPU or RSS). With the CLI's V8 flags
 * (`ARCLY_BENCH_V8_FLAGS`, default `--max-semi-space-size=2`).
 *
 * @module
 */

import { groupNodes } from "./heap_summary.ts";

function opt(name: string, fallback: string): string {
  const arg = Deno.args.find((a) => a.startsWith(`--${name}=`));
  return arg === undefined ? fallback : arg.slice(name.length + 3);
}

const protocol = opt("protocol", "flv");
const n = Number(opt("viewers", "500"));
const top = Number(opt("top", "30"));
const dir = await Deno.makeTempDir({ prefix: "arcly-heap-" });
const runTs = new URL("./run.ts", import.meta.url).pathname;
const child = new Deno.Command("deno", {
  args: [
    "run",
    "-A",
    runTs,
    "--servers=arcly",
    `--viewers=${n}`,
    `--protocols=${protocol}`,
    "--no-stall",
    "--runs=1",
    "--window=30",
    "--baseline=12",
    `--out=${dir}/fanout.md`,
  ],
  env: {
    ARCLY_BENCH_HEAPSNAP_DIR: dir,
    ARCLY_BENCH_V8_FLAGS: Deno.env.get("ARCLY_BENCH_V8_FLAGS") ??
      "--max-semi-space-size=2",
  },
  // run.ts logs its progress on stderr
  stdout: "null",
  stderr: "piped",
}).spawn();
let progress = "";
const logged = (async () => {
  for await (
    const text of child.stderr.pipeThrough(new TextDecoderStream())
  ) {
    progress += text;
  }
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (bounded) until the run's log matches; returns the match. */
async function waitFor(re: RegExp, seconds: number): Promise<RegExpExecArray> {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const m = re.exec(progress);
    if (m !== null) return m;
    await sleep(250);
  }
  throw new Error(`Cannot follow the run: no ${re} in its log:\n${progress}`);
}

const pid = Number((await waitFor(/baseline \(pid (\d+)/, 120))[1]);
await sleep(7_000);
Deno.kill(pid, "SIGUSR2");
await waitFor(new RegExp(`${protocol} × ${n}`), 120);
await sleep(14_000);
Deno.kill(pid, "SIGUSR2");
await child.status;
await logged;
Deno.writeTextFileSync(`${dir}/run.log`, progress);

const a = `${dir}/origin-1.heapsnapshot`;
const b = `${dir}/origin-2.heapsnapshot`;
const summary = new Deno.Command("deno", {
  args: [
    "run",
    "-A",
    new URL("./heap_summary.ts", import.meta.url).pathname,
    a,
    b,
    `--per=${n}`,
    `--top=${top}`,
  ],
}).outputSync();
console.log(`# ${protocol}, N = ${n}: heap snapshot difference (after GC)\n`);
console.log(new TextDecoder().decode(summary.stdout));

// ArrayBuffer backing stores by size class, second snapshot.
const snap = JSON.parse(Deno.readTextFileSync(b));
const fields = snap.snapshot.meta.node_fields as string[];
const stride = fields.length;
const fName = fields.indexOf("name");
const fSize = fields.indexOf("self_size");
const bySize = new Map<number, number>();
for (let i = 0; i < snap.nodes.length; i += stride) {
  const name = snap.strings[snap.nodes[i + fName]] as string;
  if (name !== "system / JSArrayBufferData") continue;
  const size = snap.nodes[i + fSize] as number;
  bySize.set(size, (bySize.get(size) ?? 0) + 1);
}
console.log(
  `ArrayBuffer backing stores held by at least N/2 buffers of one size (per-viewer candidates):`,
);
for (const [size, count] of [...bySize].sort((x, y) => y[1] - x[1])) {
  if (count >= n / 2) console.log(`  ${count} × ${size} B`);
}
const total = [...groupNodes(snap)].find(([k]) =>
  k === "native:system / JSArrayBufferData"
)?.[1];
console.log(
  `all backing stores: ${total?.count ?? 0}, ${
    ((total?.bytes ?? 0) / 1048576).toFixed(1)
  } MiB`,
);
console.log(`snapshots and the run's log: ${dir}`);
