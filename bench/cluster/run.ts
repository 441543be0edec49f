// deno-lint-ignore-file no-console -- command-line benchmark: stdout is its interface
/**
 * Several processes on one host (`deno task bench:cluster`): how many HTTP-FLV
 * viewers of one 720p30 stream one process serves, against an origin plus two
 * edge processes sharing one HTTP port (`--edge --origin … --reuse-port`:
 * the kernel spreads viewers over the edges). For each N it records the
 * viewers that keep up (media time advancing ≥ 90 % of wall time) and each
 * server process's CPU (share of one core) over the window; the origin's CPU
 * shows what the edges cost it (one pull each).
 *
 * Usage: `deno task bench:cluster [N…]` (default 500 1000 2000). Every child
 * is killed at the end; each run is bounded by its window.
 *
 * @module
 */
import { ensureSource } from "../fanout/source.ts";
import { cpuRate, sampleProc } from "../fanout/proc_stats.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SOURCE = `${ROOT}bench/.scratch/fanout_source.flv`;
const WARMUP_S = 6;
const WINDOW_S = 10;
const children: Deno.ChildProcess[] = [];

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function spawn(cmd: string, args: string[]): Deno.ChildProcess {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).spawn();
  children.push(child);
  return child;
}

async function waitLine(child: Deno.ChildProcess, re: RegExp): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
    const m = re.exec(text);
    if (m) {
      void (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return m[1]!;
    }
  }
  throw new Error(`no ${re} in: ${text}`);
}

function cli(args: string[], unstable = false): Deno.ChildProcess {
  return spawn(Deno.execPath(), [
    "run",
    ...(unstable ? ["--unstable-net"] : []),
    "--allow-net",
    "--allow-read",
    "--allow-write=/tmp",
    `${ROOT}cli.ts`,
    "--hls-dir",
    `/tmp/arcly-bench-cluster-${crypto.randomUUID()}`,
    "--max-connections",
    "20000",
    // One origin and two edges share the host: only HTTP (and the origin's
    // RTMP) are measured, so the other listeners' fixed ports stay off.
    ...["--srt", "off", "--rtsp", "off", "--webrtc-udp", "off"],
    ...args,
  ]);
}

interface Row {
  mode: string;
  viewers: number;
  keepingUp: number;
  medianAdvanceS: number;
  cpu: Record<string, number>;
}

async function measure(
  mode: string,
  port: number,
  n: number,
  pids: Record<string, number>,
): Promise<Row> {
  const load = spawn(Deno.execPath(), [
    "run",
    "-A",
    `${ROOT}bench/cluster/load.ts`,
    "127.0.0.1",
    String(port),
    "/live/bench.flv",
    String(n),
    String(WARMUP_S),
    String(WINDOW_S),
  ]);
  await new Promise((r) => setTimeout(r, (WARMUP_S + 1) * 1000));
  const before = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, sampleProc(pid)]),
  );
  const result = JSON.parse(await waitLine(load, /RESULT (\{.*\})/));
  const cpu: Record<string, number> = {};
  for (const [k, pid] of Object.entries(pids)) {
    const a = before[k];
    const b = sampleProc(pid);
    cpu[k] = a && b ? Math.round(cpuRate(a, b) * 1000) / 10 : NaN;
  }
  await load.status;
  return {
    mode,
    viewers: n,
    keepingUp: result.keepingUp,
    medianAdvanceS: result.medianAdvanceS,
    cpu,
  };
}

async function main(): Promise<void> {
  const ns = Deno.args.length > 0 ? Deno.args.map(Number) : [500, 1000, 2000];
  await ensureSource(SOURCE);
  const rtmp = freePort();
  const originHttp = freePort();
  const origin = cli([
    "--rtmp",
    `127.0.0.1:${rtmp}`,
    "--http",
    `127.0.0.1:${originHttp}`,
  ]);
  await waitLine(origin, /dashboard\s+http:\/\/[^:]+:(\d+)/);
  spawn("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1"],
    ...["-i", SOURCE, "-c", "copy", "-f", "flv"],
    `rtmp://127.0.0.1:${rtmp}/live/bench`,
  ]);
  await new Promise((r) => setTimeout(r, 3000));
  const shared = freePort();
  const edges = [0, 1].map(() =>
    cli([
      "--edge",
      "--origin",
      `http://127.0.0.1:${originHttp}`,
      "--rtmp",
      "off",
      "--http",
      `127.0.0.1:${shared}`,
      "--reuse-port",
    ], true)
  );
  for (const e of edges) await waitLine(e, /dashboard\s+http:\/\/[^:]+:(\d+)/);
  // Start both edges' pulls before measuring (the kernel picks the edge of
  // each connection, so a few short viewers reach both).
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 3_000);
      try {
        const r = await fetch(`http://127.0.0.1:${shared}/live/bench.flv`, {
          signal: controller.signal,
        });
        for await (const _ of r.body ?? []) { /* read until the deadline */ }
      } catch {
        /* aborted */
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const rows: Row[] = [];
  for (const n of ns) {
    rows.push(
      await measure("1 process", originHttp, n, { origin: origin.pid }),
    );
    console.log(JSON.stringify(rows.at(-1)));
    rows.push(
      await measure("origin + 2 edges (reuse-port)", shared, n, {
        origin: origin.pid,
        edge1: edges[0]!.pid,
        edge2: edges[1]!.pid,
      }),
    );
    console.log(JSON.stringify(rows.at(-1)));
  }
  console.log(`\nload average at the end: ${Deno.loadavg().join(" ")}`);
  console.log(
    "| mode | viewers | keeping up | median media s / 10 s | CPU % of a core per process |",
  );
  console.log("|---|---:|---:|---:|---|");
  for (const r of rows) {
    console.log(
      `| ${r.mode} | ${r.viewers} | ${r.keepingUp} | ${
        r.medianAdvanceS.toFixed(1)
      } | ${Object.entries(r.cpu).map(([k, v]) => `${k} ${v}`).join(", ")} |`,
    );
  }
}

try {
  await main();
} finally {
  for (const c of children) {
    try {
      c.kill("SIGKILL");
    } catch { /* gone */ }
  }
}
Deno.exit(0);
