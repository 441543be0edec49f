// deno-lint-ignore-file no-console -- command-line harness script: stdout/stderr are its interface
/**
 * Many streams per core: our origin vs nginx-rtmp, one after the other on
 * 127.0.0.1, with S publishers at ~2 Mbit/s each (one pre-encoded clip
 * replayed by `load.ts`, many connections in one process), V RTMP viewers
 * per stream, HLS packaging on and off.
 *
 * ```sh
 * deno task bench:streams                                   # S = 50, 100, 200; HLS off and on; both servers; 1 run
 * deno run -A bench/streams/run.ts --streams=50 --hls=on --servers=arcly --window=10
 * deno run -A bench/streams/run.ts --streams=50 --warmup=4   # the growth phase (page faults/s shows it)
 * deno run -A bench/streams/run.ts --v8-flags=none           # our origin without the CLI's V8 flags
 * ```
 *
 * Per scenario: start the server, sample its RSS, start the load process,
 * wait for `READY` (every publisher and viewer connected), let it settle
 * (`--warmup`, default 40 s: until our origin's RSS stops growing, see
 * `parse`), then measure the server's CPU (utime+stime of all threads,
 * /proc) and RSS over `--window` seconds; the load process reports the
 * publish-to-HLS-segment delays and its own CPU. Figures: CPU per stream =
 * server CPU ÷ S (1.0 = one core), RSS per stream = (RSS in the window − RSS
 * before the publishers) ÷ S. The machine's load average is recorded with
 * each scenario (this host is shared).
 *
 * @module
 */

import {
  type Child,
  freePort,
  spawnGroup,
  stopAll,
} from "../fanout/processes.ts";
import { cpuRate, sampleProc } from "../fanout/proc_stats.ts";
import { startNginx } from "../fanout/servers.ts";
import { waitForPort } from "../fanout/processes.ts";
import { ensureStreamsSource, STREAMS_SOURCE } from "./source.ts";
import type { LoadResult, LoadSpec } from "./load.ts";

const benchDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const scratchDir = `${benchDir}/.scratch`;

interface Settings {
  servers: ("arcly" | "nginx")[];
  streams: number[];
  hls: ("off" | "on")[];
  viewersPerStream: number;
  warmupS: number;
  windowS: number;
  sampled: number;
  runs: number;
  out: string;
  /** Our origin's TCP backend (`--tcp-backend=ffi`), default the handler's. */
  tcpBackend: string | undefined;
  /** Our origin's ring size in frames (`--ring-capacity=512`), default the library's. */
  ringCapacity: string | undefined;
  /** Our origin's V8 flags: `cli` (deno.json's `start` task, default), `none`, or flags joined by `+`. */
  v8Flags: string;
}

/** One scenario's figures. */
export interface StreamsResult {
  server: "arcly" | "nginx";
  hls: "off" | "on";
  streams: number;
  run: number;
  serverCpu: number;
  rssBefore: number;
  rss: number;
  /** The server's minor page faults per second in the window. */
  faultsPerS: number;
  loadAvg: string;
  load: LoadResult | null;
  error: string | null;
}

function parse(args: readonly string[]): Settings {
  const flags = new Map<string, string>();
  for (const a of args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (m === null) throw new Error(`Cannot parse argument: ${a}`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  const list = (k: string, d: string): string[] =>
    (flags.get(k) ?? d).split(",").filter((x) => x !== "");
  return {
    servers: list("servers", "arcly,nginx") as Settings["servers"],
    streams: list("streams", "50,100,200").map(Number),
    hls: list("hls", "off,on") as Settings["hls"],
    viewersPerStream: Number(flags.get("viewers-per-stream") ?? 2),
    // 40 s: our origin's RSS grows for ~30 s after the publishers join
    // (the GOP caches, HLS windows and the ArrayBuffer garbage V8 lets
    // pile up before collecting it settle; measured at S = 50 and 200),
    // and first touches of fresh memory cost up to a quarter of its CPU
    // on this VM while it grows; a server runs for hours, so the window
    // measures the steady state (nginx-rtmp gets the same warm-up).
    warmupS: Number(flags.get("warmup") ?? 40),
    windowS: Number(flags.get("window") ?? 10),
    sampled: Number(flags.get("sampled") ?? 10),
    runs: Number(flags.get("runs") ?? 1),
    out: flags.get("out") ?? `${benchDir}/results/streams.md`,
    tcpBackend: flags.get("tcp-backend"),
    v8Flags: flags.get("v8-flags") ?? "cli",
    ringCapacity: flags.get("ring-capacity"),
  };
}

function log(message: string): void {
  console.error(
    `[streams ${new Date().toISOString().slice(11, 19)}] ${message}`,
  );
}

function loadAvg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(
      " ",
    );
  } catch {
    return "–";
  }
}

/** The `--v8-flags=` argument for our origin (see `Settings.v8Flags`). */
function v8FlagsArg(flags: string): string[] {
  if (flags === "none") return [];
  if (flags !== "cli") return [`--v8-flags=${flags.replaceAll("+", ",")}`];
  const deno = JSON.parse(
    Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
  ) as { tasks?: Record<string, string> };
  const cli = /--v8-flags=(\S+)/.exec(deno.tasks?.start ?? "")?.[1];
  return cli === undefined ? [] : [`--v8-flags=${cli}`];
}

async function startOurs(
  dir: string,
  port: number,
  hls: boolean,
  s: Settings,
): Promise<Child> {
  const script = new URL("./origin.ts", import.meta.url).pathname;
  // ARCLY_BENCH_CPU_PROF_DIR=DIR: `--cpu-prof` our origin (summarize with
  // bench/fanout/profile_summary.ts).
  const prof = Deno.env.get("ARCLY_BENCH_CPU_PROF_DIR");
  // ARCLY_BENCH_INSPECT=HOST:PORT: open V8's inspector on our origin (e.g.
  // for bench/fanout/heap_sampling.ts, an allocation profile of the window).
  const inspect = Deno.env.get("ARCLY_BENCH_INSPECT");
  const child = spawnGroup("arcly", "deno", [
    "run",
    "-A",
    ...(prof === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${prof}`]),
    ...(inspect === undefined ? [] : [`--inspect=${inspect}`]),
    ...v8FlagsArg(s.v8Flags),
    script,
    `--rtmp-port=${port}`,
    ...(hls ? ["--hls", `--hls-dir=${dir}/hls`] : []),
    ...(s.tcpBackend === undefined ? [] : [`--tcp-backend=${s.tcpBackend}`]),
    ...(s.ringCapacity === undefined
      ? []
      : [`--ring-capacity=${s.ringCapacity}`]),
  ], { cwd: dir, logPath: `${dir}/server.log`, env: { RUST_BACKTRACE: "0" } });
  await waitForPort(port, 30_000, child);
  return child;
}

async function waitForLine(
  path: string,
  prefix: string,
  ms: number,
  child: Child,
): Promise<string | null> {
  const end = performance.now() + ms;
  let exited = false;
  child.status.then(() => exited = true);
  while (performance.now() < end) {
    try {
      const line = Deno.readTextFileSync(path).split("\n").find((l) =>
        l.startsWith(prefix)
      );
      if (line !== undefined) return line;
    } catch { /* not written yet */ }
    if (exited) return null;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}

async function scenario(
  s: Settings,
  server: "arcly" | "nginx",
  hls: "off" | "on",
  streams: number,
  run: number,
  runDir: string,
): Promise<StreamsResult> {
  const dir = `${runDir}/${server}-hls${hls}-${streams}-run${run}`;
  Deno.mkdirSync(dir, { recursive: true });
  const rtmpPort = freePort();
  const result: StreamsResult = {
    server,
    hls,
    streams,
    run,
    serverCpu: NaN,
    rssBefore: NaN,
    rss: NaN,
    faultsPerS: NaN,
    loadAvg: loadAvg(),
    load: null,
    error: null,
  };
  let child: Child | null = null;
  let load: Child | null = null;
  try {
    let playlist: string | null = null;
    if (server === "arcly") {
      child = await startOurs(dir, rtmpPort, hls === "on", s);
      if (hls === "on") playlist = `${dir}/hls/live/{name}/index.m3u8`;
    } else {
      const started = await startNginx({
        scratchDir,
        runDir: dir,
        rtmpPort,
        httpPort: freePort(),
        profileDir: null,
        hls: hls === "on",
      });
      child = started.child;
      if (hls === "on") playlist = `${dir}/nginx/hls/{name}.m3u8`;
    }
    await new Promise((r) => setTimeout(r, 1000));
    result.rssBefore = sampleProc(child.pid)?.rssBytes ?? NaN;
    const spec: LoadSpec = {
      port: rtmpPort,
      streams,
      viewersPerStream: s.viewersPerStream,
      clip: STREAMS_SOURCE,
      holdS: s.warmupS + s.windowS + 1,
      playlist,
      sampled: s.sampled,
    };
    const logPath = `${dir}/load.log`;
    load = spawnGroup("load", "deno", [
      "run",
      "-A",
      new URL("./load.ts", import.meta.url).pathname,
      JSON.stringify(spec),
    ], { logPath, env: { RUST_BACKTRACE: "0" } });
    const ready = await waitForLine(logPath, "READY", 120_000, load);
    if (ready === null) throw new Error("load process never got ready");
    await new Promise((r) => setTimeout(r, s.warmupS * 1000));
    const a = sampleProc(child.pid);
    const rss: number[] = [];
    for (let i = 0; i < s.windowS; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rss.push(sampleProc(child.pid)?.rssBytes ?? NaN);
    }
    const b = sampleProc(child.pid);
    if (a === null || b === null) throw new Error("server exited");
    result.serverCpu = cpuRate(a, b);
    result.faultsPerS = (b.minorFaults - a.minorFaults) /
      ((b.at - a.at) / 1000);
    rss.sort((x, y) => x - y);
    result.rss = rss[rss.length >> 1]!;
    result.loadAvg += ` → ${loadAvg()}`;
    const line = await waitForLine(logPath, "RESULT ", 60_000, load);
    if (line !== null) {
      result.load = JSON.parse(line.slice(7)) as LoadResult;
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    await load?.stop();
    await child?.stop();
    try {
      Deno.removeSync(`${dir}/hls`, { recursive: true });
      Deno.removeSync(`${dir}/nginx/hls`, { recursive: true });
    } catch { /* none */ }
  }
  return result;
}

function median(v: number[]): number {
  const x = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (x.length === 0) return NaN;
  const m = x.length >> 1;
  return x.length % 2 ? x[m]! : (x[m - 1]! + x[m]!) / 2;
}

function pct(v: number[], p: number): number {
  const x = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (x.length === 0) return NaN;
  return x[Math.min(x.length - 1, Math.ceil((p / 100) * x.length) - 1)]!;
}

function f(v: number, d: number): string {
  return Number.isFinite(v) ? v.toFixed(d) : "–";
}

/**
 * Renders the results as markdown.
 *
 * @param command The command line.
 * @param results Every scenario.
 * @returns The report.
 */
export function renderStreams(
  command: string,
  results: readonly StreamsResult[],
): string {
  const out = [
    `# Many streams per core: arcly vs nginx-rtmp`,
    ``,
    `Command: \`${command}\`; ${
      new Date().toISOString()
    }; ${navigator.hardwareConcurrency} cores (shared host: load average per row).`,
    `Each stream: one publisher replaying a 20 s 1280×720 30 fps H.264 1.85 Mbit/s + AAC 128 kbit/s clip in real time`,
    `(one load process for every publisher and viewer); CPU = server utime+stime ÷ wall time (1.0 = one core);`,
    `RSS/stream = (RSS in the window − RSS before the publishers) ÷ S; HLS delay = playlist lists the segment − its`,
    `closing keyframe was sent (10 sampled streams, polled every 100 ms). Medians over runs.`,
    ``,
    `| server | HLS | streams | viewers | server CPU (cores) | CPU/stream (% of a core) | RSS/stream (MB) | page faults/s | HLS delay median / p95 (ms) | viewers behind | failed pub / view | load CPU | load average (1/5/15 min, start → end) |`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|`,
  ];
  const keys = [
    ...new Set(results.map((r) => `${r.server}|${r.hls}|${r.streams}`)),
  ];
  for (const k of keys) {
    const rs = results.filter((r) => `${r.server}|${r.hls}|${r.streams}` === k);
    const r0 = rs[0]!;
    const cpu = median(rs.map((r) => r.serverCpu));
    const delays = rs.flatMap((r) => r.load?.delays ?? []);
    const err = rs.find((r) => r.error !== null)?.error;
    out.push(
      `| ${r0.server} | ${r0.hls} | ${r0.streams} | ${
        r0.load?.viewers ?? "–"
      } | ${f(cpu, 3)} | ${f((cpu / r0.streams) * 100, 3)} | ${
        f(
          median(rs.map((r) => (r.rss - r.rssBefore) / r.streams / 1048576)),
          2,
        )
      } | ${f(median(rs.map((r) => r.faultsPerS)), 0)} | ${
        r0.hls === "on"
          ? `${f(median(delays), 0)} / ${f(pct(delays, 95), 0)}`
          : "n/a"
      } | ${f(median(rs.map((r) => r.load?.viewersBehind ?? NaN)), 0)} | ${
        f(median(rs.map((r) => r.load?.publishFailures ?? NaN)), 0)
      } / ${f(median(rs.map((r) => r.load?.viewerFailures ?? NaN)), 0)} | ${
        f(median(rs.map((r) => r.load?.loadCpu ?? NaN)), 2)
      } | ${rs.map((r) => r.loadAvg).join("; ")}${
        err ? ` **error: ${err}**` : ""
      } |`,
    );
  }
  out.push(``);
  return out.join("\n");
}

async function main(): Promise<void> {
  const s = parse(Deno.args);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = `${scratchDir}/streams/${stamp}`;
  Deno.mkdirSync(runDir, { recursive: true });
  log(`logs in ${runDir}`);
  await ensureStreamsSource();
  const results: StreamsResult[] = [];
  for (let run = 1; run <= s.runs; run++) {
    for (const streams of s.streams) {
      for (const hls of s.hls) {
        const order = run % 2 === 1 ? s.servers : [...s.servers].reverse();
        for (const server of order) {
          log(`run ${run}: ${server}, HLS ${hls}, ${streams} streams`);
          const r = await scenario(s, server, hls, streams, run, runDir);
          results.push(r);
          log(
            `  cpu ${f(r.serverCpu, 3)} (${
              f((r.serverCpu / streams) * 100, 3)
            } % per stream), rss/stream ${
              f((r.rss - r.rssBefore) / streams / 1048576, 2)
            } MB, ${f(r.faultsPerS, 0)} faults/s, delay median ${
              f(median(r.load?.delays ?? []), 0)
            } ms, behind ${r.load?.viewersBehind ?? "–"}, load cpu ${
              f(r.load?.loadCpu ?? NaN, 2)
            }, loadavg ${r.loadAvg}${r.error ? `, error ${r.error}` : ""}`,
          );
          Deno.writeTextFileSync(
            `${runDir}/results.json`,
            JSON.stringify(results, null, 2),
          );
        }
      }
    }
  }
  const command = `deno run -A bench/streams/run.ts ${
    Deno.args.filter((a) => !a.startsWith("--out=")).join(" ")
  }`.trim();
  Deno.mkdirSync(new URL(".", `file://${s.out}`).pathname, { recursive: true });
  Deno.writeTextFileSync(s.out, renderStreams(command, results));
  log(`wrote ${s.out}`);
}

if (import.meta.main) {
  const onSignal = (): void => {
    stopAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await main();
  } finally {
    await stopAll();
  }
  Deno.exit(0);
}
