// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
/**
 * An allocation profile of a running Deno process through V8's inspector
 * (sampling heap profiler): what allocated the bytes of the young generation
 * over a window, by function (self) and by call path, sampled every
 * `--interval` bytes. Start the process with `--inspect=HOST:PORT` (the
 * benches take `ARCLY_BENCH_INSPECT=HOST:PORT`), then:
 *
 * ```sh
 * deno run -A bench/fanout/heap_sampling.ts --inspect=127.0.0.1:9230 --seconds=10 [--top=30] [--out=profile.json]
 * ```
 *
 * With `--cpu`, a CPU profile of the window instead (1 ms sampling), written
 * to `--out` as a `.cpuprofile` (summarize with `profile_summary.ts`).
 *
 * With `--snapshot`, a heap snapshot instead, written to `--out` (summarize
 * with `heap_summary.ts`).
 *
 * Samples include objects already collected (`includeObjectsCollectedByMajorGC`
 * and `…ByMinorGC`), so the figure is the allocation rate, not what is live.
 *
 * @module
 */
import { parseArgs } from "node:util";

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: Node[];
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    inspect: { type: "string", default: "127.0.0.1:9230" },
    seconds: { type: "string", default: "10" },
    interval: { type: "string", default: "4096" },
    top: { type: "string", default: "30" },
    out: { type: "string" },
    cpu: { type: "boolean", default: false },
    snapshot: { type: "boolean", default: false },
  },
});

const list = await (await fetch(`http://${values.inspect}/json/list`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
await new Promise((r) => ws.onopen = r);
let nextId = 1;
const waiting = new Map<number, (v: unknown) => void>();
const chunks: string[] = [];
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.id !== undefined) waiting.get(m.id)?.(m.result ?? m.error);
  else if (m.method === "HeapProfiler.addHeapSnapshotChunk") {
    chunks.push(m.params.chunk);
  }
};
function call(method: string, params: unknown = {}): Promise<unknown> {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params }));
  return new Promise((r) => waiting.set(id, r));
}

if (values.cpu) {
  // A CPU profile of the window only (`--cpu-prof` covers the process's
  // whole life, start-up and growth included): written to `--out` as a
  // .cpuprofile for bench/fanout/profile_summary.ts.
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 1000 });
  await call("Profiler.start");
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  const { profile } = await call("Profiler.stop") as { profile: unknown };
  ws.close();
  const out = values.out ?? "window.cpuprofile";
  Deno.writeTextFileSync(out, JSON.stringify(profile));
  console.log(`wrote ${out}`);
  Deno.exit(0);
}
if (values.snapshot) {
  // A heap snapshot (after the full GC V8 does for it), for
  // bench/fanout/heap_summary.ts: what is live, by constructor.
  await call("HeapProfiler.enable");
  await call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
  ws.close();
  const out = values.out ?? "origin.heapsnapshot";
  Deno.writeTextFileSync(out, chunks.join(""));
  console.log(`wrote ${out}`);
  Deno.exit(0);
}
await call("HeapProfiler.enable");
await call("HeapProfiler.startSampling", {
  samplingInterval: Number(values.interval),
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const seconds = Number(values.seconds);
await new Promise((r) => setTimeout(r, seconds * 1000));
const result = await call("HeapProfiler.stopSampling") as {
  profile: { head: Node };
};
ws.close();
if (values.out) {
  Deno.writeTextFileSync(values.out, JSON.stringify(result.profile));
}

const self = new Map<string, number>();
const paths = new Map<string, number>();
let total = 0;
function walk(n: Node, stack: string[]): void {
  const f = n.callFrame;
  const file = f.url.split("/").slice(-2).join("/");
  const name = `${f.functionName || "(anon)"} ${file}:${f.lineNumber + 1}`;
  const s = [...stack, name];
  if (n.selfSize > 0) {
    total += n.selfSize;
    self.set(name, (self.get(name) ?? 0) + n.selfSize);
    const key = s.slice(-4).reverse().join(" ← ");
    paths.set(key, (paths.get(key) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, s);
}
walk(result.profile.head, []);
const top = Number(values.top);
const mb = (b: number) => (b / seconds / 1e6).toFixed(2);
console.log(`allocated ${mb(total)} MB/s (sampled) over ${seconds} s`);
/** The `top` largest entries of `bytes`, rate and share of the total. */
function printTop(title: string, bytes: Map<string, number>): void {
  console.log(`\n${title}:`);
  for (const [k, v] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const share = (100 * v / total).toFixed(1).padStart(5);
    console.log(`${mb(v).padStart(7)} MB/s ${share} %  ${k}`);
  }
}
printTop("by function (self)", self);
printTop("by call path (4 frames, innermost first)", paths);
