/**
 * Hostile clients, long versions: each attack runs against a fresh origin
 * subprocess (Engine + RtmpHandler + HttpHandler, with a synthetic 25 fps
 * publisher inside it: `tests/hostile/_origin.ts`) while a legit RTMP viewer
 * and a legit HTTP-FLV viewer in this process watch the stream. For each
 * attack: what the attacker saw (closes, latencies), the viewers' largest
 * inter-frame gap, and the origin's RSS (before / peak / after) and CPU from
 * `/proc/<pid>` sampled every 250 ms.
 *
 * The attacks are the ones of `tests/hostile/*_test.ts` (shared in
 * `tests/hostile/_attacks.ts`), scaled up.
 *
 * Usage: `deno run -A bench/hostile.ts [--only name,name] [--out bench/results/hostile.md]`
 * (internally `deno run -A bench/hostile.ts --origin '<json options>'` is the origin).
 *
 * @module
 */
import { ConnectionGate, type ConnectionGateOptions } from "../mod.ts";
import {
  type HostileOriginOptions,
  startHostileOrigin,
  watchFlv,
  watchRtmp,
} from "../tests/hostile/_origin.ts";
import {
  chunkAbuse,
  garbageFlood,
  httpHeaderSlowloris,
  httpPlayFlood,
  idlePublishers,
  neverReadingFlv,
  neverReadingRtmp,
  rtmpHandshakeSlowloris,
  rtmpMessageSlowloris,
  rtmpPlayFlood,
  type Target,
} from "../tests/hostile/_attacks.ts";

import net from "node:net";
import { RtmpClient } from "../protocols/rtmp/mod.ts";
import { readProcText } from "./fanout/proc_stats.ts";

function flag(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`[hostile] ${line}\n`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// --- origin mode --------------------------------------------------------------

/** Origin options as JSON: a `gate` is given by its options. */
type OriginSpec = HostileOriginOptions & {
  gateOptions?: ConnectionGateOptions;
};

if (flag("origin") !== undefined) {
  const { gateOptions, ...options } = JSON.parse(flag("origin")!) as OriginSpec;
  if (gateOptions !== undefined) {
    options.rtmp = { ...options.rtmp, gate: new ConnectionGate(gateOptions) };
  }
  const origin = await startHostileOrigin(options);
  Deno.stdout.writeSync(
    new TextEncoder().encode(
      JSON.stringify({ rtmpPort: origin.rtmpPort, httpPort: origin.httpPort }) +
        "\n",
    ),
  );
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGTERM", () => resolve());
  });
  await origin[Symbol.asyncDispose]();
  Deno.exit(0);
}

// --- driver -------------------------------------------------------------------

interface Proc {
  rssMiB: number;
  cpuSeconds: number;
}

function sampleProc(pid: number): Proc {
  const status = readProcText(`/proc/${pid}/status`);
  const stat = readProcText(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    rssMiB: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, // USER_HZ
  };
}

interface Row {
  attack: string;
  attacker: string;
  gapMs: string;
  rss: string;
  cpu: string;
}

async function withOrigin(
  name: string,
  options: OriginSpec,
  attack: (target: Target) => Promise<string>,
): Promise<Row> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--origin",
      JSON.stringify(options),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("origin exited");
    text += value;
  }
  void (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  const target = JSON.parse(text.split("\n")[0]!) as Target;
  const rtmpUrl = `rtmp://127.0.0.1:${target.rtmpPort}/live`;
  const rtmpViewer = await watchRtmp(rtmpUrl, "legit");
  const flvViewer = await watchFlv(
    `http://127.0.0.1:${target.httpPort}/live/legit.flv`,
  );
  await sleep(1_000);
  const before = sampleProc(child.pid);
  let peak = before.rssMiB;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, sampleProc(child.pid).rssMiB);
      await sleep(250);
    }
  })();
  rtmpViewer.meter.resetMax();
  flvViewer.meter.resetMax();
  const t0 = performance.now();
  let attacker: string;
  try {
    attacker = await attack(target);
  } catch (error) {
    attacker = `attack failed: ${(error as Error).message}`;
  }
  const seconds = (performance.now() - t0) / 1000;
  const during = sampleProc(child.pid);
  const gap = `${rtmpViewer.meter.maxGapMs.toFixed(0)} / ${
    flvViewer.meter.maxGapMs.toFixed(0)
  }`;
  await sleep(2_000);
  const after = sampleProc(child.pid);
  sampling = false;
  await sampler;
  await rtmpViewer[Symbol.asyncDispose]();
  await flvViewer[Symbol.asyncDispose]();
  child.kill("SIGTERM");
  await child.status;
  const row: Row = {
    attack: name,
    attacker,
    gapMs: gap,
    rss: `${before.rssMiB.toFixed(0)} / ${peak.toFixed(0)} / ${
      after.rssMiB.toFixed(0)
    }`,
    cpu: `${
      ((during.cpuSeconds - before.cpuSeconds) / seconds * 100).toFixed(0)
    } % over ${seconds.toFixed(1)} s`,
  };
  say(
    `${row.attack}: ${row.attacker} | gap ${row.gapMs} ms | rss ${row.rss} MiB | cpu ${row.cpu}`,
  );
  return row;
}

function closes(
  f: { clients: number; stillOpen: number; slowestCloseMs: number },
): string {
  return f.stillOpen === 0
    ? `${f.clients} closed by the server, slowest after ${
      f.slowestCloseMs.toFixed(0)
    } ms`
    : `${f.stillOpen} of ${f.clients} still open when the attacker gave up`;
}

/** Silent sockets from 127.0.0.2, then a new viewer from 127.0.0.1. */
async function silentFloodFigures(t: Target, n: number): Promise<string> {
  const sockets: net.Socket[] = [];
  let closed = 0;
  const done: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect({
      host: "127.0.0.1",
      port: t.rtmpPort,
      localAddress: "127.0.0.2",
    });
    socket.on("error", () => {});
    done.push(
      new Promise((resolve) =>
        socket.once("close", () => {
          closed++;
          resolve();
        })
      ),
    );
    sockets.push(socket);
  }
  // wait until the accept loop has drained the backlog (refusals stop
  // coming), at most 8 s: under the 10 s handshake timeout
  await sleep(3_000);
  let last = -1;
  for (let i = 0; i < 4 && closed !== last; i++) {
    last = closed;
    await sleep(1_000);
  }
  const held = n - closed;
  let viewer = "refused";
  try {
    const client = await RtmpClient.connect(
      `rtmp://127.0.0.1:${t.rtmpPort}/live`,
      { timeoutMs: 3_000 },
    );
    const player = await client.play("legit");
    for await (const f of player) if (!f.config) break;
    await client.close();
    viewer = "played";
  } catch {
    // refused or timed out
  }
  for (const s of sockets) s.destroy();
  await Promise.all(done);
  return `${held} held, ${
    n - held
  } refused at accept; a new viewer from 127.0.0.1 ${viewer}`;
}

const attacks: Record<string, () => Promise<Row>> = {
  garbage: () =>
    withOrigin(
      "1,000 garbage connections per port (RTMP + HTTP)",
      {},
      async (t) => {
        const r = await garbageFlood(t, 1_000, 10_000);
        return `RTMP: ${closes(r.rtmp)}; HTTP: ${closes(r.http)}`;
      },
    ),
  "rtmp-slowloris": () =>
    withOrigin(
      "500 RTMP handshakes at 1 B / 200 ms (handshake timeout 1 s)",
      { rtmp: { handshakeTimeoutMs: 1_000 } },
      async (t) => closes(await rtmpHandshakeSlowloris(t, 500, 10_000)),
    ),
  "http-slowloris": () =>
    withOrigin(
      "500 HTTP header trickles at 1 B / 200 ms (own server, headerTimeoutMs 2 s)",
      { http: { headerTimeoutMs: 2_000 } },
      async (t) => closes(await httpHeaderSlowloris(t, 500, 20_000)),
    ),
  "http-slowloris-deno": () =>
    withOrigin(
      '500 HTTP header trickles at 1 B / 200 ms (`server: "deno"`, Deno.serve)',
      { http: { server: "deno" } },
      async (t) => closes(await httpHeaderSlowloris(t, 500, 40_000)),
    ),
  "rtmp-trickle": () =>
    withOrigin(
      "200 RTMP clients trickling a chunk header after connect (idle timeout 4 s)",
      {},
      async (t) => closes(await rtmpMessageSlowloris(t, 200, 20_000)),
    ),
  "chunk-abuse": () =>
    withOrigin(
      "chunk size 0 / 2^31, 5,000 csids, 16 MiB header, AMF0 2^31 string, 1 MiB AMF object (50 each)",
      { rtmp: { maxMessageBytes: 1 << 20 } },
      async (t) => {
        const r = await chunkAbuse(t, 50, 10_000);
        const open = Object.values(r).reduce((n, f) => n + f.stillOpen, 0);
        const slowest = Math.max(
          ...Object.values(r).map((f) => f.slowestCloseMs),
        );
        return `${
          Object.keys(r).length * 50
        } connections, ${open} left open, slowest close ${
          slowest.toFixed(0)
        } ms`;
      },
    ),
  "never-read": () =>
    withOrigin(
      "50 RTMP + 50 HTTP-FLV players that never read (stream ~2.8 MB/s)",
      {
        frameBytes: 100_000,
        app: { ringCapacity: 256, maxLagFrames: 128, stallTimeoutMs: 2_000 },
      },
      async (t) => {
        const stalled = [
          ...await neverReadingRtmp(t, "legit", 50),
          ...await neverReadingFlv(t, "legit", 50),
        ];
        const subscribersAt = async (): Promise<number> => {
          const res = await fetch(
            `http://127.0.0.1:${t.httpPort}/api/streams/live/legit`,
          );
          const body = await res.json() as { subscribers?: number };
          return body.subscribers ?? -1;
        };
        const peak = await subscribersAt();
        await sleep(20_000);
        const left = await subscribersAt();
        for (const s of stalled) s.close();
        return `stream subscribers ${peak} after they joined, ${left} after 20 s: ${
          left === 2
            ? "every never-reader evicted (2 = the legit viewers)"
            : `${left - 2} never-readers still subscribed`
        }`;
      },
    ),
  "idle-publishers": () =>
    withOrigin(
      "500 publishers that claim a key and send nothing (engine idleTimeout 2 s)",
      { idleTimeoutMs: 2_000, rtmp: { idleTimeoutMs: 60_000 } },
      async (t) => {
        const clients = await idlePublishers(t, "squat", 500);
        const start = performance.now();
        await Promise.race([
          Promise.all(clients.map((c) => c.closed)),
          sleep(20_000),
        ]);
        const ms = performance.now() - start;
        for (const c of clients) await c.close();
        return `500 keys claimed; every publisher disconnected by the reaper ${
          ms.toFixed(0)
        } ms after the last claim`;
      },
    ),
  "ip-flood": () =>
    withOrigin(
      "1,500 silent sockets from 127.0.0.2, cap 1,000, no gate (handshake timeout 10 s)",
      { rtmp: { maxConnections: 1_000, handshakeTimeoutMs: 10_000 } },
      (t) => silentFloodFigures(t, 1_500),
    ),
  "ip-flood-gated": () =>
    withOrigin(
      "same, with a ConnectionGate (maxPerIp 64)",
      {
        rtmp: { maxConnections: 1_000, handshakeTimeoutMs: 10_000 },
        gateOptions: {
          maxConnections: 1_000,
          maxPerIp: 64,
          acceptBurst: 10_000,
        },
      },
      (t) => silentFloodFigures(t, 1_500),
    ),
  "play-flood": () =>
    withOrigin("play floods for missing keys", {}, async (t) => {
      const h0 = performance.now();
      const h = await httpPlayFlood(t, 10_000);
      const hs = (performance.now() - h0) / 1000;
      const r0 = performance.now();
      const r = await rtmpPlayFlood(t, 1_000, 20);
      const rs = (performance.now() - r0) / 1000;
      return `HTTP ${h.requests} (${
        (h.requests / hs).toFixed(0)
      }/s): ${h.refused} × 404, p50 ${h.p50Ms.toFixed(1)} / p99 ${
        h.p99Ms.toFixed(1)
      } ms; RTMP ${r.requests} (${
        (r.requests / rs).toFixed(0)
      }/s): ${r.refused} × StreamNotFound, p50 ${r.p50Ms.toFixed(1)} / p99 ${
        r.p99Ms.toFixed(1)
      } ms`;
    }),
};

const only = flag("only")?.split(",");
const rows: Row[] = [];
for (const [name, run] of Object.entries(attacks)) {
  if (only !== undefined && !only.includes(name)) continue;
  rows.push(await run());
}
const markdown = [
  `Command: \`deno run -A bench/hostile.ts${
    only ? ` --only ${only.join(",")}` : ""
  }\` (${new Date().toISOString()}, load avg ${
    Deno.loadavg()[0]!.toFixed(1)
  } on ${navigator.hardwareConcurrency} shared cores, Deno ${Deno.version.deno})`,
  "",
  "| attack | what the attacker saw | legit viewer max gap RTMP / HTTP-FLV (ms) | origin RSS before / peak / after (MiB) | origin CPU |",
  "|---|---|---|---|---|",
  ...rows.map((r) =>
    `| ${r.attack} | ${r.attacker} | ${r.gapMs} | ${r.rss} | ${r.cpu} |`
  ),
].join("\n");
Deno.stdout.writeSync(new TextEncoder().encode(markdown + "\n"));
const out = flag("out");
if (out !== undefined) {
  await Deno.writeTextFile(out, markdown + "\n\n", { append: true });
}
