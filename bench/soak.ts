/**
 * Soak: one publisher and 200 mixed viewers for `--minutes` (default 10)
 * against the CLI origin in a subprocess.
 *
 * - Origin: `deno run -A cli.ts --rtmp 127.0.0.1:0 --http 127.0.0.1:0` (LL-HLS
 *   fMP4, 1 s segments) in its own process, so its RSS, CPU and file
 *   descriptors are measured alone (`/proc/<pid>/status`, `/stat`, `/fd`).
 * - Publisher: `ffmpeg -re -stream_loop -1 -i examples/assets/sample.flv -c copy`.
 * - Viewers, 40% RTMP (`RtmpClient`), 40% HTTP-FLV (`fetch` + an FLV tag
 *   walker) and 20% LL-HLS (a playlist poller that fetches every new part),
 *   in worker subprocesses of at most 40 (`--worker <kind>`), so the clients'
 *   own parsing never starves them and only the origin is measured.
 *
 * Figures: RSS samples every 10 s and the least-squares slope after warm-up;
 * frames dropped per fast viewer (RTMP/HTTP-FLV: video frames inside the
 * window every viewer covered, against the best viewer); LL-HLS segments
 * skipped and part errors; file descriptors before viewers, with viewers, and
 * after they left (leak = after − before).
 *
 * Usage: `deno run -A bench/soak.ts [--minutes 10] [--viewers 200] [--out bench/results/soak.md]`
 *
 * @module
 */
import { RtmpClient } from "../protocols/rtmp/mod.ts";
import { countFds, readProcText } from "./fanout/proc_stats.ts";

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined
    ? Deno.args[i + 1]!
    : fallback;
}

const MINUTES = Number(flag("minutes", "10"));
const VIEWERS = Number(flag("viewers", "200"));
const OUT = flag("out", "");
const SAMPLE_EVERY_MS = 10_000;
/** Warm-up excluded from the RSS slope: JIT, GOP cache and HLS window fill. */
const WARMUP_FRACTION = 0.2;
const STREAM = "soak";
const root = new URL("../", import.meta.url).pathname;

function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`[soak] ${line}\n`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// --- origin process -------------------------------------------------------

interface OriginProcess {
  child: Deno.ChildProcess;
  rtmpPort: number;
  httpPort: number;
}

async function startOriginProcess(hlsDir: string): Promise<OriginProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}cli.ts`,
      "--rtmp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--hls-dir",
      hlsDir,
      "--segment",
      "1",
      "--max-connections",
      "5000",
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let rtmpPort = 0;
  let httpPort = 0;
  const deadline = Date.now() + 30_000;
  while (rtmpPort === 0 || httpPort === 0) {
    if (Date.now() > deadline) throw new Error("origin did not start");
    const { done, value } = await reader.read();
    if (done) throw new Error(`origin exited: ${text}`);
    text += value;
    rtmpPort = Number(/rtmp:\/\/[^:]+:(\d+)\//.exec(text)?.[1] ?? 0);
    httpPort = Number(
      /dashboard\s+http:\/\/[^:]+:(\d+)\//.exec(text)?.[1] ?? 0,
    );
  }
  // keep draining stdout so the origin never blocks on a full pipe
  void (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return { child, rtmpPort, httpPort };
}

interface ProcSample {
  atMs: number;
  rssMiB: number;
  cpuSeconds: number;
  fds: number;
}

function sampleProc(pid: number, startedAt: number): ProcSample {
  const status = readProcText(`/proc/${pid}/status`);
  const stat = readProcText(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const fds = countFds(pid);
  return {
    atMs: performance.now() - startedAt,
    rssMiB: Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
    // utime + stime in USER_HZ (100 on Linux)
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    fds,
  };
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

// --- viewers ----------------------------------------------------------------

interface SoakViewer {
  kind: "rtmp" | "http-flv" | "ll-hls";
  /** Video dts (ms) received, in order (RTMP, HTTP-FLV). */
  dts: number[];
  errors: number;
  ended: boolean;
  /** LL-HLS: segments skipped between consecutive playlists' fetched parts. */
  skipped: number;
  parts: number;
  stop(): Promise<void>;
}

async function rtmpViewer(port: number): Promise<SoakViewer> {
  const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
  const player = await client.play(STREAM);
  const v: SoakViewer = {
    kind: "rtmp",
    dts: [],
    errors: 0,
    ended: false,
    skipped: 0,
    parts: 0,
    stop: async () => {
      await client.close();
      await reading;
    },
  };
  const reading = (async () => {
    try {
      for await (const f of player) {
        if (f.kind === "video" && !f.config) {
          v.dts.push(Math.round((f.dts * 1000) / f.timescale));
        }
      }
    } catch {
      v.errors++;
    }
    v.ended = true;
  })();
  return v;
}

async function flvViewer(port: number): Promise<SoakViewer> {
  const controller = new AbortController();
  // own connection pool, closed on stop (so the origin's fds can be checked)
  const client = Deno.createHttpClient({});
  const res = await fetch(`http://127.0.0.1:${port}/live/${STREAM}.flv`, {
    signal: controller.signal,
    client,
  });
  if (res.body === null) throw new Error(`HTTP-FLV ${res.status}`);
  const reader = res.body.getReader();
  const v: SoakViewer = {
    kind: "http-flv",
    dts: [],
    errors: 0,
    ended: false,
    skipped: 0,
    parts: 0,
    stop: async () => {
      controller.abort();
      await reader.cancel().catch(() => {});
      await reading;
      client.close();
    },
  };
  // FLV walker (Adobe FLV v10.1 Annex E): 13-byte file header, then tags of
  // 11-byte header + body + 4-byte PreviousTagSize.
  const head = new Uint8Array(11);
  let skip = 13;
  let have = 0;
  // body byte 1 of a video tag: AVCPacketType (0 = sequence header, Annex E.4.3.1)
  let videoTs = -1;
  let bodyPos = 0;
  const reading = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        let p = 0;
        while (p < value.length) {
          if (skip > 0) {
            if (videoTs >= 0 && bodyPos <= 1) {
              if (bodyPos === 1 && value[p] !== 0) v.dts.push(videoTs);
              if (bodyPos === 1) videoTs = -1;
              bodyPos++;
              skip--;
              p++;
              continue;
            }
            const n = Math.min(skip, value.length - p);
            skip -= n;
            p += n;
            continue;
          }
          const n = Math.min(11 - have, value.length - p);
          head.set(value.subarray(p, p + n), have);
          have += n;
          p += n;
          if (have < 11) break;
          have = 0;
          const size = (head[1]! << 16) | (head[2]! << 8) | head[3]!;
          const ts = ((head[7]! << 24) | (head[4]! << 16) | (head[5]! << 8) |
            head[6]!) >>> 0;
          videoTs = head[0] === 9 ? ts : -1; // video tag
          bodyPos = 0;
          skip = size + 4;
        }
      }
    } catch {
      if (!controller.signal.aborted) v.errors++;
    }
    v.ended = true;
  })();
  return v;
}

function llHlsViewer(port: number): SoakViewer {
  const base = `http://127.0.0.1:${port}/live/${STREAM}/`;
  let stopped = false;
  const client = Deno.createHttpClient({});
  const v: SoakViewer = {
    kind: "ll-hls",
    dts: [],
    errors: 0,
    ended: false,
    skipped: 0,
    parts: 0,
    stop: async () => {
      stopped = true;
      await polling;
      client.close();
    },
  };
  const fetched = new Set<string>();
  let lastMsn = -1;
  const polling = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${base}index.m3u8`, { client });
        if (res.status !== 200) {
          await res.body?.cancel();
          v.errors++;
          await sleep(500);
          continue;
        }
        const text = await res.text();
        const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
        const segments = [...text.matchAll(/^([^#\s][^\s]*)$/gm)].length;
        const newest = msn + segments - 1;
        if (lastMsn >= 0 && msn > lastMsn + 1) v.skipped += msn - lastMsn - 1;
        if (newest > lastMsn) lastMsn = newest;
        const parts = [...text.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)]
          .map((m) => m[1]!);
        for (const uri of parts) {
          if (fetched.has(uri)) continue;
          fetched.add(uri);
          const part = await fetch(new URL(uri, base), { client });
          if (part.status === 200) {
            await part.arrayBuffer();
            v.parts++;
          } else {
            await part.body?.cancel();
            v.errors++;
          }
        }
        if (fetched.size > 200) {
          for (const uri of [...fetched].slice(0, 100)) fetched.delete(uri);
        }
      } catch {
        v.errors++;
      }
      await sleep(300);
    }
    v.ended = true;
  })();
  return v;
}

/** Frames dropped per viewer: count in the common dts window vs the best. */
function dropped(viewers: ViewerResult[]): number[] {
  const withDts = viewers.filter((v) => v.dts.length > 0);
  if (withDts.length === 0) return [];
  const from = Math.max(...withDts.map((v) => v.dts[0]!));
  const to = Math.min(...withDts.map((v) => v.dts[v.dts.length - 1]!));
  const counts = withDts.map((v) =>
    v.dts.filter((d) => d > from && d <= to).length
  );
  const best = Math.max(...counts);
  return counts.map((c) => best - c);
}

// --- worker mode: viewers of one kind in their own process ---------------------

interface ViewerResult {
  kind: SoakViewer["kind"];
  dts: number[];
  errors: number;
  endedEarly: boolean;
  skipped: number;
  parts: number;
}

if (flag("worker", "") !== "") {
  const kind = flag("worker", "");
  const n = Number(flag("count", "0"));
  const rtmpPort = Number(flag("rtmp-port", "0"));
  const httpPort = Number(flag("http-port", "0"));
  const viewers: SoakViewer[] = [];
  for (let i = 0; i < n; i++) {
    viewers.push(
      kind === "rtmp"
        ? await rtmpViewer(rtmpPort)
        : kind === "http-flv"
        ? await flvViewer(httpPort)
        : llHlsViewer(httpPort),
    );
  }
  Deno.stdout.writeSync(new TextEncoder().encode("ready\n"));
  // wait for "stop" on stdin (or its end)
  for await (const chunk of Deno.stdin.readable) {
    if (new TextDecoder().decode(chunk).includes("stop")) break;
  }
  const ended = viewers.map((v) => v.ended);
  for (const v of viewers) await v.stop();
  const results: ViewerResult[] = viewers.map((v, i) => ({
    kind: v.kind,
    dts: v.dts,
    errors: v.errors,
    endedEarly: ended[i]!,
    skipped: v.skipped,
    parts: v.parts,
  }));
  Deno.stdout.writeSync(
    new TextEncoder().encode(JSON.stringify(results) + "\n"),
  );
  Deno.exit(0);
}

interface Worker {
  child: Deno.ChildProcess;
  lines: ReadableStreamDefaultReader<string>;
}

async function nextLine(
  w: Worker,
  buffered: { text: string },
): Promise<string> {
  while (!buffered.text.includes("\n")) {
    const { done, value } = await w.lines.read();
    if (done) throw new Error("worker exited");
    buffered.text += value;
  }
  const i = buffered.text.indexOf("\n");
  const line = buffered.text.slice(0, i);
  buffered.text = buffered.text.slice(i + 1);
  return line;
}

// --- run ---------------------------------------------------------------------

const loadStart = Deno.loadavg()[0]!;
const hlsDir = await Deno.makeTempDir({ prefix: "arcly-soak-" });
const origin = await startOriginProcess(hlsDir);
const pid = origin.child.pid;
say(`origin pid ${pid}, rtmp ${origin.rtmpPort}, http ${origin.httpPort}`);
const ffmpeg = new Deno.Command("ffmpeg", {
  args: [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-stream_loop",
    "-1",
    "-i",
    `${root}examples/assets/sample.flv`,
    "-c",
    "copy",
    "-f",
    "flv",
    `rtmp://127.0.0.1:${origin.rtmpPort}/live/${STREAM}`,
  ],
  stdin: "null",
  stdout: "null",
  stderr: "inherit",
}).spawn();
await sleep(4_000); // first segments and parts exist
const startedAt = performance.now();
const before = sampleProc(pid, startedAt);

// Viewers run in worker processes (at most 40 each) so that the clients'
// own parsing does not starve them: the origin is what is measured.
const rtmpN = Math.round(VIEWERS * 0.4);
const flvN = Math.round(VIEWERS * 0.4);
const hlsN = VIEWERS - rtmpN - flvN;
const PER_WORKER = 40;
const plan: [string, number][] = [];
for (
  const [kind, total] of [["rtmp", rtmpN], ["http-flv", flvN], [
    "ll-hls",
    hlsN,
  ]] as const
) {
  for (let left = total; left > 0; left -= PER_WORKER) {
    plan.push([kind, Math.min(PER_WORKER, left)]);
  }
}
const workers = plan.map(([kind, count]) => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(import.meta.url).pathname,
      "--worker",
      kind,
      "--count",
      String(count),
      "--rtmp-port",
      String(origin.rtmpPort),
      "--http-port",
      String(origin.httpPort),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const w: Worker = {
    child,
    lines: child.stdout.pipeThrough(new TextDecoderStream()).getReader(),
  };
  return { w, buffered: { text: "" } };
});
for (const { w, buffered } of workers) await nextLine(w, buffered);
say(
  `${rtmpN} RTMP + ${flvN} HTTP-FLV + ${hlsN} LL-HLS viewers connected (${workers.length} worker processes)`,
);

const samples: ProcSample[] = [sampleProc(pid, startedAt)];
const endAt = startedAt + MINUTES * 60_000;
while (performance.now() < endAt) {
  await sleep(
    Math.min(SAMPLE_EVERY_MS, Math.max(0, endAt - performance.now())),
  );
  const s = sampleProc(pid, startedAt);
  samples.push(s);
  say(
    `t=${(s.atMs / 1000).toFixed(0)} s rss ${
      s.rssMiB.toFixed(1)
    } MiB fds ${s.fds} cpu ${s.cpuSeconds.toFixed(1)} s`,
  );
}
const withViewers = samples[samples.length - 1]!;
const viewers: ViewerResult[] = [];
for (const { w } of workers) {
  const writer = w.child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("stop\n"));
  await writer.close();
}
for (const { w, buffered } of workers) {
  viewers.push(...JSON.parse(await nextLine(w, buffered)) as ViewerResult[]);
  await w.child.status;
}
const endedEarly = viewers.filter((v) => v.kind !== "ll-hls" && v.endedEarly)
  .length;
await sleep(5_000);
const after = sampleProc(pid, startedAt);

ffmpeg.kill("SIGTERM");
await ffmpeg.status;
origin.child.kill("SIGTERM");
await origin.child.status;
await Deno.remove(hlsDir, { recursive: true });

// --- report ------------------------------------------------------------------

const warm = samples.filter((s) =>
  s.atMs >= WARMUP_FRACTION * MINUTES * 60_000
);
const rssSlope = slope(warm.map((s) => ({ x: s.atMs / 60_000, y: s.rssMiB })));
const fast = viewers.filter((v) => v.kind !== "ll-hls");
// per kind: RTMP counts frames, HTTP-FLV counts video tags (configs included)
const rtmpDrops = dropped(fast.filter((v) => v.kind === "rtmp"));
const flvDrops = dropped(fast.filter((v) => v.kind === "http-flv"));
const drops = [...rtmpDrops, ...flvDrops];
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const hls = viewers.filter((v) => v.kind === "ll-hls");
const cpuShare = (withViewers.cpuSeconds - samples[0]!.cpuSeconds) /
  ((withViewers.atMs - samples[0]!.atMs) / 1000);
const frames = fast.map((v) => v.dts.length);
const lines = [
  `| figure | value |`,
  `|---|---|`,
  `| machine load (1-min avg) | ${loadStart.toFixed(1)} at start, ${
    Deno.loadavg()[0]!.toFixed(1)
  } at end (${navigator.hardwareConcurrency} cores, shared) |`,
  `| duration | ${MINUTES} min, ${samples.length} samples every ${
    SAMPLE_EVERY_MS / 1000
  } s |`,
  `| viewers | ${rtmpN} RTMP + ${flvN} HTTP-FLV + ${hlsN} LL-HLS (fMP4, 1 s segments) |`,
  `| origin RSS | ${before.rssMiB.toFixed(1)} MiB before viewers, ${
    samples[0]!.rssMiB.toFixed(1)
  } → ${withViewers.rssMiB.toFixed(1)} MiB with viewers, ${
    after.rssMiB.toFixed(1)
  } MiB after |`,
  `| RSS slope after ${WARMUP_FRACTION * 100}% warm-up | ${
    rssSlope.toFixed(3)
  } MiB/min (${warm.length} samples; min ${
    Math.min(...warm.map((s) => s.rssMiB)).toFixed(1)
  }, max ${Math.max(...warm.map((s) => s.rssMiB)).toFixed(1)} MiB) |`,
  `| origin CPU | ${(cpuShare * 100).toFixed(1)} % of one core with viewers |`,
  `| frames dropped, fast viewers | RTMP: max ${
    Math.max(0, ...rtmpDrops)
  }, total ${sum(rtmpDrops)} over ${rtmpDrops.length}; HTTP-FLV: max ${
    Math.max(0, ...flvDrops)
  }, total ${sum(flvDrops)} over ${flvDrops.length} (${
    drops.filter((d) => d === 0).length
  } of ${drops.length} lost none; video frames per viewer ${
    Math.min(...frames)
  }–${Math.max(...frames)}) |`,
  `| viewer errors / early ends | ${
    viewers.reduce((a, v) => a + v.errors, 0)
  } errors, ${endedEarly} fast viewers ended before the stop (of ${fast.length}) |`,
  `| LL-HLS | ${hls.reduce((a, v) => a + v.parts, 0)} parts fetched (${
    (hls.reduce((a, v) => a + v.parts, 0) / Math.max(1, hls.length) /
      (MINUTES * 60)).toFixed(2)
  } per viewer per s), ${
    hls.reduce((a, v) => a + v.skipped, 0)
  } segments skipped, ${hls.reduce((a, v) => a + v.errors, 0)} errors |`,
  `| file descriptors | ${before.fds} before viewers, ${withViewers.fds} with viewers, ${after.fds} after (leak ${
    after.fds - before.fds
  }) |`,
];
const markdown = [
  `Command: \`deno run -A bench/soak.ts --minutes ${MINUTES} --viewers ${VIEWERS}\` ` +
  `(${
    new Date().toISOString()
  }, ${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno})`,
  "",
  ...lines,
  "",
  `RSS samples (MiB): ${samples.map((s) => s.rssMiB.toFixed(0)).join(" ")}`,
].join("\n");
Deno.stdout.writeSync(new TextEncoder().encode(markdown + "\n"));
if (OUT !== "") {
  await Deno.writeTextFile(OUT, markdown + "\n", { append: true });
}
