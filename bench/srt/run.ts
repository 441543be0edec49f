// deno-lint-ignore-file no-console -- command-line harness script: stdout is its interface
// SRT origin CPU: (1) one publisher at ~20 Mbit/s (ffmpeg -c copy of a
// pre-encoded TS over SRT) — origin CPU while ingesting; (2) 50 SRT readers
// (another process) of a ~5 Mbit/s stream — origin CPU while serving them.
// CPU is this process's user+system time over wall time (1.0 = one core).
//   deno run -A --unstable-net bench/srt/run.ts [seconds=15] [readers=50]
import process from "node:process";
import { Engine } from "../../src/mod.ts";
import { SrtHandler } from "../../protocols/srt/mod.ts";

const seconds = Number(Deno.args[0] ?? 15);
const readers = Number(Deno.args[1] ?? 50);
const phases = Deno.args[2] ?? "ingest,fanout";
const dir = await Deno.makeTempDir({ prefix: "arcly-srt-bench-" });

async function encode(path: string, mbit: number): Promise<void> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=1280x720:rate=30",
      "-f",
      "lavfi",
      "-i",
      "sine",
      "-t",
      String(seconds + 40),
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-g",
      "60",
      "-b:v",
      `${mbit}M`,
      "-minrate",
      `${mbit}M`,
      "-maxrate",
      `${mbit}M`,
      "-bufsize",
      `${mbit}M`,
      "-x264-params",
      "nal-hrd=cbr",
      "-c:a",
      "aac",
      "-muxrate",
      `${mbit + 1}M`,
      "-f",
      "mpegts",
      path,
    ],
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

function publisher(path: string, port: number): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-re",
      "-i",
      path,
      "-c",
      "copy",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${port}?streamid=publish:live/bench&latency=200000`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function kill(child: Deno.ChildProcess): void {
  try {
    child.kill("SIGKILL");
  } catch { /* already exited */ }
}

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("bench: timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function measure(ms: number): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / (performance.now() - t0);
}

const engine = Engine.builder().build();
const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0, latencyMs: 200 });
const controller = new AbortController();
const served = engine.serve([srt], controller.signal);
const { port } = await srt.listening;
const results: Record<string, unknown> = {};
try {
  await Promise.all([encode(`${dir}/20.ts`, 20), encode(`${dir}/5.ts`, 5)]);
  engine.events.on(
    "unpublished",
    (e) => console.error("unpublished", JSON.stringify(e)),
  );
  const idle = await measure(2000);
  // (1) ingest
  if (phases.includes("ingest")) {
    const pub = publisher(`${dir}/20.ts`, port);
    await until(() =>
      (engine.getStream("live/bench")?.qos().framesIn ?? 0) > 60
    );
    const before = srt.stats.packetsReceived;
    const t0 = performance.now();
    const ingestCpu = await measure(seconds * 1000);
    const packets = srt.stats.packetsReceived - before;
    results.ingest = {
      cpuOfOneCore: ingestCpu,
      idleCpu: idle,
      mbit: (packets * 1316 * 8) / ((performance.now() - t0) / 1000) / 1e6,
      lost: srt.stats.packetsLost,
      dropped: srt.stats.packetsDropped,
    };
    kill(pub);
    await pub.status;
    console.log(JSON.stringify({ ingest: results.ingest }));
    await until(() => engine.getStream("live/bench") === undefined); // peer idle timeout
  }
  // (2) fan-out
  const pub = publisher(`${dir}/5.ts`, port);
  await until(() => (engine.getStream("live/bench")?.qos().framesIn ?? 0) > 60);
  const alone = await measure(3000);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-net",
      new URL("./readers.ts", import.meta.url).pathname,
      String(port),
      String(readers),
      String(seconds + 8),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  await new Promise((r) => setTimeout(r, 6000)); // staggered connect + replay
  const sent0 = srt.stats.packetsSent;
  const fanCpu = await measure(seconds * 1000);
  const sent = srt.stats.packetsSent - sent0;
  const out = await child.output();
  results.fanout = {
    readers,
    cpuOfOneCore: fanCpu,
    publisherOnlyCpu: alone,
    cpuPerReaderMs: ((fanCpu - alone) * 1000) / readers,
    packetsSentPerSecond: sent / seconds,
    retransmitted: srt.stats.packetsRetransmitted,
    readerSide: JSON.parse(
      new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}",
    ),
  };
  kill(pub);
  await pub.status;
} finally {
  controller.abort();
  await engine.shutdown({ deadlineMs: 0 });
  await served;
  await Deno.remove(dir, { recursive: true });
}
console.log(JSON.stringify(results, null, 2));
