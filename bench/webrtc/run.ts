// deno task bench:webrtc [-- --viewers 25,100 --seconds 15]
//
// WHEP fan-out: the origin (bench/webrtc/origin.ts) and the load client
// (bench/webrtc/receivers.ts, N werift receivers) run in their own processes;
// ffmpeg publishes a 1.5 Mbit/s H.264 stream (640x360, 30 fps, no B-frames)
// over RTMP. For each N: the origin's CPU (utime+stime from /proc) and RSS
// with 0 viewers, then with N connected viewers over the measurement window;
// reported per viewer, with packets received and lost by the receivers.
import { spawnLogged } from "../../tests/_tools.ts";

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] ?? fallback : fallback;
}
const VIEWERS = arg("viewers", "25,100").split(",").map(Number);
const SECONDS = Number(arg("seconds", "15"));
const root = new URL("../../", import.meta.url).pathname;
const deno = Deno.execPath();

function procStat(pid: number): { cpuMs: number; rssMb: number } {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuMs: ticks * 10, rssMb: rssKb / 1024 };
}

async function window(
  pid: number,
  seconds: number,
): Promise<{ cpuPct: number; rssMb: number }> {
  const a = procStat(pid);
  const t = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const b = procStat(pid);
  return {
    cpuPct: ((b.cpuMs - a.cpuMs) / (performance.now() - t)) * 100,
    rssMb: b.rssMb,
  };
}

function lastJson<T>(out: string, key: string): T | undefined {
  const lines = out.trim().split("\n").filter((l) => l.startsWith(`{"${key}"`));
  const last = lines.at(-1);
  return last ? (JSON.parse(last) as Record<string, T>)[key] : undefined;
}

const rows: string[] = [];
for (const n of VIEWERS) {
  const origin = spawnLogged(deno, [
    "run",
    "--allow-all",
    `${root}bench/webrtc/origin.ts`,
  ], root);
  const ports = JSON.parse(
    (await origin.waitFor(/\{"rtmp".*\}/, 30_000))[0],
  ) as { rtmp: number; http: number };
  const ffmpeg = spawnLogged("ffmpeg", [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"],
    ...[
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-tune",
      "zerolatency",
      "-bf",
      "0",
      "-g",
      "60",
    ],
    ...[
      "-b:v",
      "1500k",
      "-maxrate",
      "1500k",
      "-bufsize",
      "1500k",
      "-pix_fmt",
      "yuv420p",
    ],
    ...["-f", "flv", `rtmp://127.0.0.1:${ports.rtmp}/live/bench`],
  ], root);
  await new Promise((r) => setTimeout(r, 3_000));
  const idle = await window(origin.child.pid, 5);
  const receivers = spawnLogged(deno, [
    "run",
    "--allow-all",
    `${root}bench/webrtc/receivers.ts`,
    `http://127.0.0.1:${ports.http}/live/bench/whep`,
    String(n),
  ], root);
  const deadline = Date.now() + 60_000 + n * 200;
  while (Date.now() < deadline) {
    const r = lastJson<{ connected: number; refused: number; failed: number }>(
      receivers.out,
      "receivers",
    );
    if (r && r.connected + r.refused + r.failed >= n) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const before = lastJson<{ packets: number; lost: number; connected: number }>(
    receivers.out,
    "receivers",
  )!;
  const loaded = await window(origin.child.pid, SECONDS);
  const after = lastJson<
    {
      packets: number;
      lost: number;
      connected: number;
      refused: number;
      failed: number;
    }
  >(
    receivers.out,
    "receivers",
  )!;
  const server = lastJson<Record<string, unknown>>(origin.out, "stats");
  await receivers.stop("SIGTERM");
  await ffmpeg.stop("SIGKILL");
  await origin.stop("SIGTERM");
  const viewers = after.connected;
  const perViewerCpu = viewers ? (loaded.cpuPct - idle.cpuPct) / viewers : NaN;
  const perViewerRss = viewers
    ? ((loaded.rssMb - idle.rssMb) * 1024) / viewers
    : NaN;
  const pps = (after.packets - before.packets) / SECONDS;
  const row = `| ${n} | ${viewers} | ${idle.cpuPct.toFixed(1)} % | ${
    loaded.cpuPct.toFixed(1)
  } % | ${perViewerCpu.toFixed(2)} % | ${idle.rssMb.toFixed(0)} → ${
    loaded.rssMb.toFixed(0)
  } MB | ${perViewerRss.toFixed(0)} KB | ${pps.toFixed(0)} | ${after.lost} |`;
  rows.push(row);
  // deno-lint-ignore no-console
  console.log(row, JSON.stringify(server));
}
// deno-lint-ignore no-console
console.log(
  [
    "",
    "| N | connected | origin CPU idle | origin CPU loaded | CPU/viewer | origin RSS | RSS/viewer | RTP pkts/s received (all) | lost (all) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n"),
);
