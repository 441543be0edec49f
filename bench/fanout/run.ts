// deno-lint-ignore-file no-console -- command-line harness script: stdout/stderr are its interface
/**
 * One-command fan-out benchmark: our origin vs nginx-rtmp vs node-media-server,
 * one after the other on 127.0.0.1, same source, same load client in a separate process.
 *
 * ```sh
 * deno run -A bench/fanout/run.ts --quick           # N = 10, 100; short windows; 1 run
 * deno run -A bench/fanout/run.ts                   # N = 10, 100, 500, 1000; 3 runs
 * deno run -A bench/fanout/run.ts --servers=nms --viewers=10 --protocols=flv --no-stall --runs=1
 * deno run -A bench/fanout/run.ts --quick --profile # also --cpu-prof both servers
 * ```
 *
 * For each run and server: start the server and the publisher, measure the
 * 0-viewer baseline, then for each protocol and N a `steady` scenario, then a
 * `stall` scenario per protocol; stop everything. Raw JSON goes to
 * `bench/.scratch/runs/<stamp>/results.json`, the table to
 * `bench/results/fanout.md` (or `--out`). Every child runs in its own process
 * group and is killed in `finally` and on SIGINT/SIGTERM.
 *
 * @module
 */

import type { ClientSpec } from "./load_client.ts";
import { type Child, freePort, spawnGroup, stopAll } from "./processes.ts";
import {
  memoryPerViewer,
  renderReport,
  type Report,
  type ServerRun,
  type StallResult,
  type SteadyResult,
  withFindings,
  writeReport,
} from "./report.ts";
import {
  type Server,
  type ServerKind,
  startArcly,
  startNginx,
  startNms,
  startPublisher,
} from "./servers.ts";
import { ensureSource, sourceStats } from "./source.ts";
import { summarizeProfiles } from "./profile_summary.ts";

interface Settings {
  mode: "quick" | "full";
  runs: number;
  servers: ServerKind[];
  viewers: number[];
  protocols: ("flv" | "rtmp")[];
  stall: boolean;
  stallViewers: number;
  profile: boolean;
  out: string;
  warmupS: number;
  windowS: number;
  baselineS: number;
  probes: number;
  stallS: number;
  connectTimeoutS: number;
  paceMs: number;
  backlogSampleMs: number;
  /** Memory: seconds one viewer watches before the crowd's "before" (0 = none). */
  anchorS: number;
}

const benchDir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const scratchDir = `${benchDir}/.scratch`;

function parseSettings(args: readonly string[]): Settings {
  const flags = new Map<string, string>();
  for (const a of args) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m === null) throw new Error(`Cannot parse argument: ${a}`);
    flags.set(m[1]!, m[2] ?? "true");
  }
  const quick = flags.has("quick");
  const list = (k: string, d: string): string[] =>
    (flags.get(k) ?? d).split(",").filter((x) => x !== "");
  const num = (k: string, d: number): number => Number(flags.get(k) ?? d);
  return {
    mode: quick ? "quick" : "full",
    runs: num("runs", quick ? 1 : 3),
    servers: list("servers", "arcly,nginx,nms") as ServerKind[],
    viewers: list("viewers", quick ? "10,100" : "10,100,500,1000").map(Number),
    protocols: list("protocols", "flv,rtmp") as ("flv" | "rtmp")[],
    stall: !flags.has("no-stall"),
    stallViewers: num("stall-viewers", 50),
    profile: flags.has("profile"),
    out: flags.get("out") ?? `${benchDir}/results/fanout.md`,
    warmupS: num("warmup", quick ? 2 : 3),
    windowS: num("window", quick ? 5 : 10),
    baselineS: num("baseline", quick ? 5 : 10),
    probes: num("probes", 3),
    stallS: num("stall-seconds", quick ? 30 : 60),
    connectTimeoutS: num("connect-timeout", quick ? 20 : 30),
    paceMs: num("pace", 100),
    backlogSampleMs: num("backlog-sample", 50),
    anchorS: num("anchor", 0),
  };
}

/**
 * Rough wall-clock estimate of a whole invocation, in seconds, from the
 * settings (calibrated on this 2-core host: fixed costs per scenario plus the
 * flash crowd's connect and catch-up time, which grows with N).
 *
 * @param s The settings.
 * @returns Seconds.
 */
export function estimateSeconds(
  s: Pick<
    Settings,
    | "runs"
    | "servers"
    | "viewers"
    | "protocols"
    | "stall"
    | "warmupS"
    | "windowS"
    | "baselineS"
    | "probes"
    | "stallS"
  >,
): number {
  const startup = 8; // server + publisher + first keyframe
  const baseline = 3 + s.baselineS;
  // process start, flash crowd, probes (~1.5 s each), close, 2 s settle
  const steady = (n: number): number =>
    4 + s.warmupS + s.windowS + s.probes * 1.5 + n / 100;
  const stall = 6 + s.stallS;
  const perServer = startup + baseline +
    s.protocols.length * s.viewers.reduce((a, n) => a + steady(n), 0) +
    (s.stall ? s.protocols.length * stall : 0);
  return s.runs * s.servers.length * perServer;
}

/** `/proc/loadavg`'s 1/5/15-minute figures, or "–". */
function loadAverage(): string {
  try {
    // through `cat`, like the other /proc figures (the task may not read /proc)
    const out = new Deno.Command("cat", { args: ["/proc/loadavg"] })
      .outputSync();
    return new TextDecoder().decode(out.stdout).split(" ").slice(0, 3)
      .join(" ");
  } catch {
    return "–";
  }
}

function log(message: string): void {
  console.error(
    `[fanout ${new Date().toISOString().slice(11, 19)}] ${message}`,
  );
}

/** Runs one load-client scenario in its own process, bounded in time. */
async function runClient(
  spec: ClientSpec,
  logPath: string,
): Promise<Record<string, unknown>> {
  const budgetS = spec.connectTimeoutS * 2 + spec.warmupS + spec.windowS +
    spec.probes * 11 + spec.stallS + (spec.anchorS ?? 0) + 60;
  const script = new URL("./load_client.ts", import.meta.url).pathname;
  const child: Child = spawnGroup(`client-${spec.scenario}`, "deno", [
    "run",
    "-A",
    script,
    JSON.stringify(spec),
  ], {
    logPath,
    env: { RUST_BACKTRACE: "0" },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((r) =>
    timer = setTimeout(() => r("timeout"), budgetS * 1000)
  );
  const outcome = await Promise.race([child.status, timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") await child.stop();
  const text = Deno.readTextFileSync(logPath);
  const line = text.split("\n").findLast((l) => l.startsWith("RESULT "));
  if (line === undefined) {
    throw new Error(
      `Cannot get a result from the load client (${
        outcome === "timeout" ? "timed out" : "exited"
      }): ${text.trim().split("\n").slice(-3).join(" | ")}`,
    );
  }
  return JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>;
}

async function runServer(
  settings: Settings,
  kind: ServerKind,
  run: number,
  runDir: string,
  source: string,
): Promise<ServerRun> {
  const result: ServerRun = {
    kind,
    run,
    error: null,
    baseline: null,
    steady: [],
    stall: [],
  };
  const dir = `${runDir}/run${run}`;
  Deno.mkdirSync(dir, { recursive: true });
  const opts = {
    scratchDir,
    runDir: dir,
    rtmpPort: freePort(),
    httpPort: freePort(),
    profileDir: settings.profile ? `${runDir}/profiles/run${run}` : null,
  };
  let server: Server | null = null;
  let publisher: Child | null = null;
  try {
    server = kind === "nms"
      ? await startNms(opts)
      : kind === "nginx"
      ? await startNginx(opts)
      : await startArcly(opts);
    publisher = startPublisher(
      source,
      server.rtmpPort,
      `${dir}/${kind}-ffmpeg.log`,
    );
    const base: ClientSpec = {
      scenario: "baseline",
      // The baseline's liveness probe uses a protocol the server has.
      protocol: server.flvPath === null ? "rtmp" : "flv",
      host: "127.0.0.1",
      httpPort: server.httpPort,
      rtmpPort: server.rtmpPort,
      flvPath: server.flvPath ?? "/live/bench.flv",
      app: "live",
      name: "bench",
      serverPid: server.child.pid,
      viewers: 0,
      flashMs: 500,
      connectTimeoutS: settings.connectTimeoutS,
      warmupS: settings.warmupS,
      windowS: settings.baselineS,
      probes: settings.probes,
      stallS: settings.stallS,
      paceMs: settings.paceMs,
      backlogSampleMs: settings.backlogSampleMs,
      ...(server.memFile === undefined ? {} : { memFile: server.memFile }),
      anchorS: settings.anchorS,
    };
    log(
      `run ${run} ${kind}: baseline (pid ${server.child.pid}, rtmp ${server.rtmpPort}, http ${server.httpPort})`,
    );
    result.baseline = await runClient(
      base,
      `${dir}/${kind}-baseline.log`,
    ) as unknown as ServerRun["baseline"];
    // nginx-rtmp has no HTTP-FLV: its column says n/a there.
    const protocols = settings.protocols.filter((p) =>
      p !== "flv" || server!.flvPath !== null
    );
    for (const protocol of protocols) {
      for (const n of settings.viewers) {
        log(`run ${run} ${kind}: ${protocol} × ${n}`);
        const spec = {
          ...base,
          scenario: "steady" as const,
          protocol,
          viewers: n,
          windowS: settings.windowS,
        };
        try {
          const r = await runClient(
            spec,
            `${dir}/${kind}-${protocol}-${n}.log`,
          ) as unknown as SteadyResult;
          result.steady.push(r);
          const f = (v: number | null, d: number): string =>
            typeof v === "number" ? v.toFixed(d) : "–";
          log(
            `  cpu ${f(r.serverCpu, 3)}, agg ${
              f(r.aggregateBps / 1e6, 0)
            } Mbit/s, behind ${r.laggards}, ttfb p99 ${
              f(r.ttfb.p99, 0)
            } ms, join ${f(r.join.median, 0)} ms, warm-up ${
              f(r.warmupS, 1)
            } s, client cpu ${
              f(r.clientCpu, 2)
            }, failed ${r.failed}, accept drops ${
              f(r.accept?.listenDrops ?? null, 0)
            } (queue peak ${f(r.accept?.backlog?.peak ?? null, 0)}/${
              f(r.accept?.backlog?.limit ?? null, 0)
            }, SYN retrans ${f(r.accept?.synRetrans ?? null, 0)})`,
          );
          const m = memoryPerViewer(r);
          log(
            `  per viewer: RSS ${f(m.rssKb, 1)} KB (${f(m.rssMinKb, 1)}–${
              f(m.rssMaxKb, 1)
            }; one-sample before ${f(m.rssOneSampleKb, 1)}), JS heap used ${
              f(m.heapUsedKb, 1)
            } KB (committed ${f(m.heapTotalKb, 1)} KB), external ${
              f(m.externalKb, 1)
            } KB${
              m.anchored === null
                ? ""
                : `; from one viewer: RSS ${f(m.anchored.rssKb, 1)} KB, heap ${
                  f(m.anchored.heapUsedKb, 1)
                } KB, external ${f(m.anchored.externalKb, 1)} KB`
            }`,
          );
        } catch (e) {
          log(`  failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        await new Promise((r) => setTimeout(r, 2000)); // let closed sockets settle
      }
    }
    if (settings.stall) {
      for (const protocol of protocols) {
        log(
          `run ${run} ${kind}: ${protocol} stall × ${settings.stallViewers} for ${settings.stallS} s`,
        );
        const spec = {
          ...base,
          scenario: "stall" as const,
          protocol,
          viewers: settings.stallViewers,
        };
        try {
          result.stall.push(
            await runClient(
              spec,
              `${dir}/${kind}-stall-${protocol}.log`,
            ) as unknown as StallResult,
          );
        } catch (e) {
          log(`  failed: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
    log(`run ${run} ${kind}: ${result.error}`);
  } finally {
    await publisher?.stop();
    await server?.child.stop();
  }
  return result;
}

async function main(): Promise<void> {
  const settings = parseSettings(Deno.args);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runDir = `${scratchDir}/runs/${stamp}`;
  Deno.mkdirSync(runDir, { recursive: true });
  const source = `${scratchDir}/source.flv`;
  log(`mode ${settings.mode}; logs in ${runDir}`);
  const eta = estimateSeconds(settings);
  const t0 = Date.now();
  log(
    `${settings.runs} run(s) × ${settings.servers.join(",")} × ${
      settings.protocols.join(",")
    } × N = ${settings.viewers.join(",")}${
      settings.stall ? `, ${settings.stallS} s stall` : ""
    }: ETA ~${Math.round(eta / 60)} min (done ~${
      new Date(t0 + eta * 1000).toISOString().slice(11, 16)
    } UTC)`,
  );
  await ensureSource(source);
  const report: Report = {
    // --out only says where the table goes; it does not change a figure.
    command: `${
      Deno.env.get("ARCLY_BENCH_V8_FLAGS")
        ? `ARCLY_BENCH_V8_FLAGS=${Deno.env.get("ARCLY_BENCH_V8_FLAGS")} `
        : ""
    }deno run -A bench/fanout/run.ts ${
      Deno.args.filter((a) => !a.startsWith("--out=")).join(" ")
    }`.trim(),
    startedAt: new Date().toISOString(),
    mode: settings.mode,
    host:
      `${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, load average ${loadAverage()} at the start`,
    source: sourceStats(source),
    stallS: settings.stallS,
    windowS: settings.windowS,
    runs: [],
  };
  for (let run = 1; run <= settings.runs; run++) {
    // Alternate the order so neither server always runs on a "warmer" machine.
    const order = run % 2 === 1
      ? settings.servers
      : [...settings.servers].reverse();
    for (const kind of order) {
      report.runs.push(await runServer(settings, kind, run, runDir, source));
      Deno.writeTextFileSync(
        `${runDir}/results.json`,
        JSON.stringify(report, null, 2),
      );
    }
  }
  // A shared machine: the load average belongs with the figures.
  report.host += `, ${loadAverage()} at the end`;
  let markdown = renderReport(report);
  if (settings.profile) {
    markdown += `\n## CPU profiles (--cpu-prof, whole server lifetime)\n\n${
      summarizeProfiles(`${runDir}/profiles`)
    }\n`;
  }
  markdown = withFindings(markdown);
  Deno.mkdirSync(new URL(".", `file://${settings.out}`).pathname, {
    recursive: true,
  });
  await writeReport(settings.out, markdown);
  log(
    `wrote ${settings.out} and ${runDir}/results.json in ${
      ((Date.now() - t0) / 60000).toFixed(1)
    } min (estimated ${(eta / 60).toFixed(1)})`,
  );
}

if (import.meta.main) {
  const onSignal = (): void => {
    log("interrupted: stopping children");
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
