// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
/**
 * SRT origin CPU (issue #16's benchmark), one command:
 *
 * ```sh
 * deno task bench:srt                          # 20 s windows, 50 readers
 * deno task bench:srt --seconds=8 --readers=20 # a short run
 * deno task bench:srt --phases=fanout --procs=5
 * ```
 *
 * 1. **ingest**: one ffmpeg publisher (`-c copy` of a pre-encoded 720p30
 *    CBR clip at 20 Mbit/s, looped) → the origin's SRT listener; the origin
 *    process's CPU (user+system of every thread, `process.cpuUsage`) over
 *    the window, ÷ wall time (1.0 = one core). Goal ≤ 0.10.
 * 2. **fanout**: one 5 Mbit/s publisher and N SRT readers (`readers.ts`, in
 *    `--procs` separate processes so the origin is measured alone and one
 *    reader process is not the bottleneck). The readers report `READY`
 *    once connected and warmed up; the origin's CPU and every reader's
 *    received bytes are measured over the same window. The figure is
 *    **valid** only if every reader kept up: each received ≥ 95 % of what
 *    the publisher sent in the window, with no payload dropped for lateness.
 *
 * The clips are encoded once into bench/.scratch/srt/ (reused). The load
 * average (this host may be shared) is printed before and after.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { Engine } from "../../src/mod.ts";
import { SrtHandler } from "../../protocols/srt/mod.ts";
import type { ReaderReport } from "./readers.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "20" },
    readers: { type: "string", default: "50" },
    phases: { type: "string", default: "ingest,fanout" },
    procs: { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
  },
}).values;
const seconds = Number(flags.seconds);
const readers = Number(flags.readers);
const procs = Math.max(1, Math.min(readers, Number(flags.procs)));
const warmup = Number(flags.warmup);
const phases = flags.phases.split(",");
const cache = new URL("../.scratch/srt/", import.meta.url).pathname;
const CLIP_SECONDS = 20;

async function clip(mbit: number): Promise<string> {
  await Deno.mkdir(cache, { recursive: true });
  const path = `${cache}/clip-${mbit}M-${CLIP_SECONDS}s.ts`;
  try {
    if ((await Deno.stat(path)).size > 0) return path;
  } catch { /* encode it */ }
  console.error(`encoding ${path} (once)…`);
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-y", "-f", "lavfi"],
      ...["-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine"],
      ...[
        "-t",
        String(CLIP_SECONDS),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
      ],
      ...["-g", "60", "-b:v", `${mbit}M`, "-minrate", `${mbit}M`],
      ...["-maxrate", `${mbit}M`, "-bufsize", `${mbit}M`],
      ...["-x264-params", "nal-hrd=cbr", "-c:a", "aac"],
      ...["-muxrate", `${mbit + 1}M`, "-f", "mpegts", `${path}.part`],
    ],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  await Deno.rename(`${path}.part`, path);
  return path;
}

function publisher(path: string, port: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-v", "error", "-re", "-stream_loop", "-1", "-i", path],
      ...["-c", "copy", "-f", "mpegts"],
      `srt://127.0.0.1:${port}?streamid=publish:live/bench&latency=200000`,
    ],
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
}

async function kill(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* already exited */ }
  await child.status;
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("bench: timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU of this process (all threads) ÷ wall time while `during` runs. */
async function cpuOver(during: Promise<unknown>): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await during;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t0);
}

function publisherBytes(srt: SrtHandler): number {
  return srt.collectMetrics().find((s) =>
    s.name === "arcly_srt_received_bytes_total"
  )?.value ?? 0;
}

async function* lines(stream: ReadableStream<Uint8Array>) {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
}

const engine = Engine.builder().build();
const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0, latencyMs: 200 });
const controller = new AbortController();
const served = engine.serve([srt], controller.signal);
const { port } = await srt.listening;
const results: Record<string, unknown> = {
  loadBefore: Deno.loadavg(),
  settings: { seconds, readers, procs, warmup },
};
try {
  const clips = {
    20: phases.includes("ingest") ? await clip(20) : "",
    5: phases.includes("fanout") ? await clip(5) : "",
  };
  results.idleCpu = await cpuOver(sleep(2000));
  if (phases.includes("ingest")) {
    const pub = publisher(clips[20], port);
    await until(() =>
      (engine.getStream("live/bench")?.qos().framesIn ?? 0) > 60
    );
    await sleep(warmup * 1000);
    const b0 = publisherBytes(srt), drop0 = srt.stats.packetsDropped;
    const t0 = performance.now();
    const cpu = await cpuOver(sleep(seconds * 1000));
    const s = (performance.now() - t0) / 1000;
    results.ingest = {
      cpuOfOneCore: +cpu.toFixed(4),
      goal: 0.10,
      mbitIn: +(((publisherBytes(srt) - b0) * 8) / s / 1e6).toFixed(2),
      framesIn: engine.getStream("live/bench")?.qos().framesIn,
      lost: srt.stats.packetsLost,
      droppedInWindow: srt.stats.packetsDropped - drop0,
    };
    console.log(JSON.stringify({ ingest: results.ingest }));
    await kill(pub);
    await until(() => engine.getStream("live/bench") === undefined); // peer idle timeout
  }
  if (phases.includes("fanout")) {
    const pub = publisher(clips[5], port);
    await until(() =>
      (engine.getStream("live/bench")?.qos().framesIn ?? 0) > 60
    );
    const alone = await cpuOver(sleep(3000));
    const per = Array.from(
      { length: procs },
      (_, i) => Math.floor(readers / procs) + (i < readers % procs ? 1 : 0),
    );
    const children = per.map((n) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          ...["run", "-A", "--unstable-net"],
          new URL("./readers.ts", import.meta.url).pathname,
          ...[String(port), String(n), String(seconds), String(warmup)],
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn()
    );
    const outputs = children.map((c) => lines(c.stdout));
    // every reader process connected and warmed up
    for (const it of outputs) {
      const first = await it.next();
      if (first.value !== "READY") {
        throw new Error(`readers: ${first.value ?? "exited"}`);
      }
    }
    // one start signal, so every process measures the same window
    for (const c of children) {
      const w = c.stdin.getWriter();
      await w.write(new TextEncoder().encode("GO\n"));
      await w.close();
    }
    const b0 = publisherBytes(srt);
    const sent0 = srt.stats.packetsSent;
    const rexmit0 = srt.stats.packetsRetransmitted;
    const t0 = performance.now();
    const fanCpu = await cpuOver(sleep(seconds * 1000));
    const s = (performance.now() - t0) / 1000;
    const published = publisherBytes(srt) - b0;
    const reports: ReaderReport[] = [];
    for (const it of outputs) {
      for await (const line of it) reports.push(JSON.parse(line));
    }
    await Promise.all(children.map((c) => c.status));
    const bytes = reports.flatMap((r) => r.bytes);
    const failed = reports.reduce((a, r) => a + r.failed, 0);
    const tooLate = reports.reduce((a, r) => a + r.dropped, 0);
    const queueDrops = reports.reduce((a, r) => a + r.queueDrops, 0);
    const minRatio = bytes.length ? Math.min(...bytes) / published : 0;
    const valid = failed === 0 && bytes.length === readers &&
      minRatio >= 0.95 && tooLate === 0 && queueDrops === 0;
    results.fanout = {
      readers,
      valid,
      cpuOfOneCore: +fanCpu.toFixed(4),
      publisherOnlyCpu: +alone.toFixed(4),
      cpuPerReaderMsPerS: +(((fanCpu - alone) * 1000) / readers).toFixed(3),
      streamMbit: +((published * 8) / s / 1e6).toFixed(2),
      outMbit: +((bytes.reduce((a, b) => a + b, 0) * 8) / s / 1e6).toFixed(1),
      slowestReaderShare: +minRatio.toFixed(3),
      medianReaderShare: +(median(bytes) / published).toFixed(3),
      packetsSentPerSecond: Math.round(
        (srt.stats.packetsSent - sent0) / s,
      ),
      retransmittedInWindow: srt.stats.packetsRetransmitted - rexmit0,
      stream: (({ resyncs, lagErrors, evictions, subscribers }) => ({
        resyncs,
        lagErrors,
        evictions,
        subscribers,
      }))(engine.getStream("live/bench")!.qos()),
      senderDropped: srt.collectMetrics().find((m) =>
        m.name === "arcly_srt_dropped_packets_total" &&
        m.labels?.direction === "out"
      )?.value,
      readerSide: {
        failed,
        tooLate,
        queueDrops,
        lost: sum(reports, "lost"),
        cpuPerProcess: reports.map((r) => r.cpu),
      },
    };
    console.log(JSON.stringify({ fanout: results.fanout }));
    await kill(pub);
  }
} finally {
  controller.abort();
  await engine.shutdown({ deadlineMs: 0 });
  await served;
}
results.loadAfter = Deno.loadavg();
console.log(JSON.stringify(results, null, 2));

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function sum(reports: ReaderReport[], key: "lost"): number {
  return reports.reduce((a, r) => a + r[key], 0);
}
