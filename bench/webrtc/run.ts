// deno task bench:webrtc [--viewers 100,300] [--seconds 15] [--per-proc 100]
//                        [--ramp 25] [--ttff 5] [--profile] [--node-dgram]
//                        [--slice-ms 4] [--udp-backend auto|ffi|deno|node]
//                        [--client-ffi]
//
// WHEP fan-out. Three kinds of process: the origin (bench/webrtc/origin.ts:
// RTMP in, WHEP out, the transcoder's AAC → Opus bridge), ffmpeg publishing
// a 1.5 Mbit/s H.264 (640x360, 30 fps, no B-frames) + 64 kbit/s AAC stream
// over RTMP, and the load client (bench/webrtc/receivers.ts, `--per-proc`
// werift receivers per process; they count SRTP packets without decrypting
// them, see there). Each viewer therefore gets H.264 + Opus.
//
// For each N: the origin's CPU (utime+stime from /proc) and RSS with the
// stream and 0 viewers, then with N connected viewers over `--seconds`;
// reported per viewer, with RTP packets received per second, sequence gaps
// (lost) in the window, the load client's CPU, and the load average.
// `--ttff K`: while the N viewers play, K new Chromium viewers one after the
// other (POST → first requestVideoFrameCallback). `--profile`: a V8 CPU
// profile of the origin over the window (top self-time rows printed, the
// .cpuprofile written to /tmp). `--slice-ms`: the origin's WHEP fan-out
// time slice (0 = no slicing; default: the handler's).
import { spawnLogged } from "../../tests/_tools.ts";
import { CpuProfiler } from "./_profile.ts";

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}
const VIEWERS = arg("viewers", "100,300").split(",").map(Number);
const SECONDS = Number(arg("seconds", "15"));
const PER_PROC = Number(arg("per-proc", "100"));
const RAMP = Number(arg("ramp", "25"));
const TTFF = Number(arg("ttff", "0"));
const PROFILE = Deno.args.includes("--profile");
/** The origin's UDP socket on node:dgram instead of Deno.DatagramConn. */
const NODE_DGRAM = Deno.args.includes("--node-dgram");
const SLICE_MS = arg("slice-ms", "");
/** The origin's UDP socket backend (default: the handler's, auto = ffi). */
const UDP_BACKEND = NODE_DGRAM ? "node" : arg("udp-backend", "");
/** The load client's sockets through recvmmsg in one epoll waiter. */
const CLIENT_FFI = Deno.args.includes("--client-ffi");
const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// deno-lint-ignore no-console
const log = (...a: unknown[]) => console.log(...a);

function procStat(pid: number): { cpuMs: number; rssMb: number } {
  // Deno reads another process's /proc files only with --allow-all: cat them.
  const out = new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`, `/proc/${pid}/status`],
    stderr: "null",
  }).outputSync();
  const text = new TextDecoder().decode(out.stdout);
  const stat = text.split("\n")[0] ?? "";
  if (!stat.includes(")")) return { cpuMs: 0, rssMb: 0 };
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(text)?.[1] ?? 0);
  return { cpuMs: ticks * 10, rssMb: rssKb / 1024 };
}
const sum = (pids: number[]) =>
  pids.map(procStat).reduce((a, b) => ({
    cpuMs: a.cpuMs + b.cpuMs,
    rssMb: a.rssMb + b.rssMb,
  }), { cpuMs: 0, rssMb: 0 });

type Counters = {
  connected: number;
  failed: number;
  iceFailed: number;
  failedAfterConnect: number;
  refused: number;
  packets: number;
  bytes: number;
  lost: number;
  reordered: number;
  live: number;
  keepingUp: number;
  minShare: number;
  srtpProfiles: Record<string, number>;
};
function lastJson<T>(out: string, key: string): T | undefined {
  const lines = out.trim().split("\n").filter((l) => l.startsWith(`{"${key}"`));
  const last = lines.at(-1);
  return last ? (JSON.parse(last) as Record<string, T>)[key] : undefined;
}
function totals(procs: { out: string }[]): Counters {
  const t: Counters = {
    connected: 0,
    failed: 0,
    iceFailed: 0,
    failedAfterConnect: 0,
    refused: 0,
    packets: 0,
    bytes: 0,
    lost: 0,
    reordered: 0,
    live: 0,
    keepingUp: 0,
    minShare: 1,
    srtpProfiles: {},
  };
  for (const p of procs) {
    const c = lastJson<Counters>(p.out, "receivers");
    if (!c) continue;
    t.connected += c.connected;
    t.failed += c.failed;
    t.iceFailed += c.iceFailed ?? 0;
    t.failedAfterConnect += c.failedAfterConnect ?? 0;
    t.refused += c.refused;
    t.packets += c.packets;
    t.bytes += c.bytes;
    t.lost += c.lost;
    t.reordered += c.reordered ?? 0;
    t.live += c.live ?? 0;
    t.keepingUp += c.keepingUp ?? 0;
    t.minShare = Math.min(t.minShare, c.minShare ?? 1);
    for (const [k, v] of Object.entries(c.srtpProfiles)) {
      t.srtpProfiles[k] = (t.srtpProfiles[k] ?? 0) + v;
    }
  }
  return t;
}
/** Kernel UDP counters: receive-buffer overflows (a receiver too slow). */
function udpErrors(): { rcvbuf: number; sndbuf: number } {
  const text = new TextDecoder().decode(
    new Deno.Command("cat", { args: ["/proc/net/snmp"] }).outputSync().stdout,
  );
  const [names, values] = text.split("\n").filter((l) => l.startsWith("Udp:"));
  const n = (names ?? "").split(" ");
  const v = (values ?? "").split(" ").map(Number);
  return {
    rcvbuf: v[n.indexOf("RcvbufErrors")] ?? 0,
    sndbuf: v[n.indexOf("SndbufErrors")] ?? 0,
  };
}
const loadavg = () => Deno.loadavg().map((l) => l.toFixed(1)).join(" ");

const rows: string[] = [];
for (const n of VIEWERS) {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const inspectPort = probe.addr.port; // a free port for the inspector
  probe.close();
  const origin = spawnLogged(deno, [
    "run",
    "--allow-all",
    // The shared UDP socket is a Deno.DatagramConn (as with `deno task start`).
    ...(NODE_DGRAM ? [] : ["--unstable-net"]),
    ...(PROFILE ? [`--inspect=127.0.0.1:${inspectPort}`] : []),
    `${root}bench/webrtc/origin.ts`,
    ...(SLICE_MS ? ["--slice-ms", SLICE_MS] : []),
    ...(UDP_BACKEND ? ["--udp-backend", UDP_BACKEND] : []),
  ], root);
  const ports = JSON.parse(
    (await origin.waitFor(/\{"rtmp".*\}/, 30_000))[0],
  ) as { rtmp: number; http: number; backend?: string };
  log(`origin UDP backend: ${ports.backend}`);
  const whep = `http://127.0.0.1:${ports.http}/live/bench/whep`;
  const ffmpeg = spawnLogged("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
    ...["-bf", "0", "-g", "60", "-b:v", "1500k", "-maxrate", "1500k"],
    ...["-bufsize", "1500k", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "64k"],
    ...["-f", "flv", `rtmp://127.0.0.1:${ports.rtmp}/live/bench`],
  ], root);
  // Warm-up: one viewer starts the ~opus bridge.
  const warm = spawnLogged(deno, [
    "run",
    "--allow-all",
    "--unstable-net",
    `${root}bench/webrtc/receivers.ts`,
    whep,
    "1",
  ], root);
  await sleep(2_000);
  for (let i = 0; i < 60 && !(totals([warm]).connected >= 1); i++) {
    await sleep(500);
  }
  await warm.stop("SIGTERM");
  await sleep(2_000);
  const o0 = procStat(origin.child.pid);
  const t0 = performance.now();
  await sleep(5_000);
  const o1 = procStat(origin.child.pid);
  const idleCpu = ((o1.cpuMs - o0.cpuMs) / (performance.now() - t0)) * 100;
  const idleRss = o1.rssMb;

  const procs = [];
  for (let left = n; left > 0; left -= PER_PROC) {
    procs.push(
      spawnLogged(deno, [
        "run",
        "--allow-all",
        "--unstable-net",
        `${root}bench/webrtc/receivers.ts`,
        whep,
        String(Math.min(PER_PROC, left)),
        String(RAMP / Math.ceil(n / PER_PROC)),
        ...(CLIENT_FFI ? ["--ffi"] : []),
      ], root),
    );
  }
  const pids = procs.map((p) => p.child.pid);
  const deadline = Date.now() + 30_000 + (n / RAMP) * 1000 * 2;
  while (Date.now() < deadline) {
    const r = totals(procs);
    if (r.connected + r.refused + r.failed >= n) break;
    await sleep(500);
  }
  await sleep(3_000); // keyframe-run bursts of the last viewers settle
  const profiler = PROFILE ? await CpuProfiler.connect(inspectPort) : null;
  await profiler?.start();
  type Server = { sent: number; mux?: { sent: number; sendDropped: number } };
  const s0 = lastJson<Server>(origin.out, "stats");
  const before = totals(procs);
  const a = procStat(origin.child.pid);
  const ra = sum(pids);
  const load0 = loadavg();
  const udp0 = udpErrors();
  const w0 = performance.now();
  await sleep(SECONDS * 1000);
  const ms = performance.now() - w0;
  const b = procStat(origin.child.pid);
  const rb = sum(pids);
  const after = totals(procs);
  const s1 = lastJson<Server>(origin.out, "stats");
  const load1 = loadavg();
  const udp1 = udpErrors();
  const profileRows = profiler
    ? await profiler.stop(`/tmp/arcly-webrtc-origin-${n}.cpuprofile`)
    : [];
  let ttff = "";
  if (TTFF > 0) {
    try {
      const { measureTtff } = await import("./_ttff.ts");
      const samples = await measureTtff(whep, TTFF);
      // first frame (answer / DTLS connected / first video packet), ms.
      ttff = samples.map((s) =>
        s.error ??
          `${s.firstFrame ?? "none"} (${s.answered}/${s.dtls}/${s.firstPacket})`
      ).join(", ");
      log(
        `ttff (POST → first frame, ms) with ${after.live} viewers playing: ${ttff}; ${
          JSON.stringify(samples)
        }`,
      );
    } catch (e) {
      ttff = `failed: ${(e as Error).message.split("\n")[0]}`;
    }
  }
  const server = lastJson<Record<string, unknown>>(origin.out, "stats");
  const lags = origin.out.split("\n").filter((l) => l.startsWith('{"stats"'))
    .slice(-Math.ceil(SECONDS) - 2)
    .map((l) =>
      (JSON.parse(l) as { stats: { loopLagMs?: number } }).stats
        .loopLagMs ?? 0
    );
  log(
    `origin event-loop lag (a 50 ms timer, max per second, last ${lags.length} s): ${
      lags.join(" ")
    } ms`,
  );
  await Promise.all(procs.map((p) => p.stop("SIGTERM")));
  await ffmpeg.stop("SIGKILL");
  await origin.stop("SIGTERM");
  // The origin's whole output (stats lines, errors), for a closer look.
  await Deno.writeTextFile(
    `/tmp/arcly-webrtc-origin-${n}.log`,
    origin.out + origin.err,
  );
  const loadedCpu = ((b.cpuMs - a.cpuMs) / ms) * 100;
  const clientCpu = ((rb.cpuMs - ra.cpuMs) / ms) * 100;
  // Viewers receiving media at the end of the window (connected and not
  // failed or closed since).
  const viewers = after.live;
  const perViewerCpu = viewers ? (loadedCpu - idleCpu) / viewers : NaN;
  const perViewerRss = viewers ? ((b.rssMb - idleRss) * 1024) / viewers : NaN;
  const pps = ((after.packets - before.packets) * 1000) / ms;
  const kbps = ((after.bytes - before.bytes) * 8) / ms / Math.max(1, viewers);
  const lost = after.lost - before.lost;
  const reordered = after.reordered - before.reordered;
  // Per datagram actually handed to the socket (robust to a CPU-starved
  // origin on a loaded machine), and what that projects per core for a
  // viewer getting every packet the feed offers.
  const offered = s0 && s1 ? ((s1.sent - s0.sent) * 1000) / ms : NaN;
  const transmitted = s0?.mux && s1?.mux
    ? (s1.mux.sent - s1.mux.sendDropped) - (s0.mux.sent - s0.mux.sendDropped)
    : NaN;
  const dropped = s0?.mux && s1?.mux
    ? s1.mux.sendDropped - s0.mux.sendDropped
    : NaN;
  const usPerDatagram = ((loadedCpu - idleCpu) / 100) * ms * 1000 /
    transmitted;
  const perViewerRate = offered / Math.max(1, viewers);
  const perCore = 1e6 / (usPerDatagram * perViewerRate);
  const row =
    `| ${n} | ${viewers} live (${after.connected} connected, ${after.failed} failed [${after.iceFailed} ICE, ${after.failedAfterConnect} after connecting], ${after.refused} refused); ${after.keepingUp} keeping up, slowest ${
      (after.minShare * 100).toFixed(0)
    } % | ${idleCpu.toFixed(1)} % | ${loadedCpu.toFixed(1)} % | ${
      perViewerCpu.toFixed(3)
    } % | ${idleRss.toFixed(0)} → ${b.rssMb.toFixed(0)} MB | ${
      perViewerRss.toFixed(0)
    } KB | ${pps.toFixed(0)} (${
      kbps.toFixed(0)
    } kbit/s/viewer) | ${lost} (${reordered} reordered) | ${
      clientCpu.toFixed(0)
    } % (${procs.length} proc) | ${
      udp1.rcvbuf - udp0.rcvbuf
    } | ${load0} → ${load1} |${TTFF ? ` ${ttff} |` : ""}`;
  rows.push(row);
  log(row);
  log(
    `origin: ${
      usPerDatagram.toFixed(1)
    } µs CPU per SRTP datagram sent (${transmitted} sent, ${dropped} dropped by the send FIFO in the window); ${
      perViewerRate.toFixed(0)
    } packets/s offered per viewer → ${
      perCore.toFixed(0)
    } viewers per core at this cost`,
  );
  log(JSON.stringify({ server, srtpProfiles: after.srtpProfiles }));
  if (profileRows.length) log(profileRows.join("\n"));
}
log(
  [
    "",
    `| N | viewers (keeping up = ≥ 90 % of the best peer's packets, last 5 s) | origin CPU idle (stream, 0 viewers) | origin CPU loaded | CPU/viewer | origin RSS | RSS/viewer | RTP pkts/s received (all) | lost in ${SECONDS} s (all; late packets not counted lost) | load client CPU | kernel UDP rcvbuf drops (machine-wide) | load avg |${
      TTFF ? " TTFF ms |" : ""
    }`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|${TTFF ? "---|" : ""}`,
    ...rows,
  ].join("\n"),
);
