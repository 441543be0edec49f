// Processes for the cluster tests: origins and edges are the CLI as a user
// runs it (subprocesses on 127.0.0.1 or inside a network namespace), a
// publisher is ffmpeg over RTMP.
import { type LoggedProcess, spawnLogged } from "../_tools.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

/** One CLI process with its bound ports. */
export interface Node extends AsyncDisposable {
  proc: LoggedProcess;
  httpPort: number;
  rtmpPort: number;
  base: string;
  kill(): Promise<void>;
}

/** Start the CLI with `flags` (plus loopback listeners and a temp HLS dir). */
export async function startNode(
  dir: string,
  flags: string[],
  options: {
    prefix?: string[];
    host?: string;
    rtmpPort?: number;
    httpPort?: number;
  } = {},
): Promise<Node> {
  const host = options.host ?? "127.0.0.1";
  const hls = await Deno.makeTempDir({ dir, prefix: "hls-" });
  const args = [
    "run",
    "--allow-net",
    `--allow-read=${ROOT},${dir}`,
    `--allow-write=${dir}`,
    CLI,
    "--rtmp",
    `${host}:${options.rtmpPort ?? 0}`,
    "--http",
    `${host}:${options.httpPort ?? 0}`,
    "--hls-dir",
    hls,
    "--segment",
    "1",
    // the default SRT/RTSP/WebRTC ports are the demo test's (run in parallel)
    "--srt",
    "off",
    "--rtsp",
    "off",
    "--webrtc-udp",
    "off",
    ...flags,
  ];
  const [cmd, ...rest] = options.prefix ?? [];
  const proc = cmd === undefined
    ? spawnLogged(Deno.execPath(), args, dir)
    : spawnLogged(cmd, [...rest, Deno.execPath(), ...args], dir);
  const rtmpPort = Number((await proc.waitFor(/rtmp:\/\/[^:]+:(\d+)\//))[1]);
  const httpPort = Number(
    (await proc.waitFor(/dashboard\s+http:\/\/[^:]+:(\d+)\//))[1],
  );
  const kill = async () => {
    try {
      proc.child.kill("SIGKILL");
    } catch { /* gone */ }
    await proc.child.status.catch(() => {});
  };
  return {
    proc,
    httpPort,
    rtmpPort,
    base: `http://${host}:${httpPort}`,
    kill,
    [Symbol.asyncDispose]: kill,
  };
}

/** ffmpeg publishing a 25 fps test picture with a tone to `url`, until killed. */
export function publish(url: string, prefix: string[] = []): Deno.ChildProcess {
  const args = [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
    ...["-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"],
    ...["-f", "flv", url],
  ];
  const [cmd, ...rest] = prefix;
  return new Deno.Command(cmd ?? "ffmpeg", {
    args: cmd === undefined ? args : [...rest, "ffmpeg", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Kill a child and wait for it. */
export async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  await child.status;
}

/** Poll `fn` until it returns a value (not undefined), or fail after `ms`. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Read an HTTP-FLV URL for `ms` and return the bytes received. */
export async function readFlv(url: string, ms: number): Promise<number> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  let bytes = 0;
  try {
    const r = await fetch(url, { signal: controller.signal });
    if (!r.ok || !r.body) {
      await r.body?.cancel();
      return 0;
    }
    // The deadline also cancels the reader: under `deno test`, an abort
    // after the headers did not always end a body that kept streaming (20
    // edge viewers read on past their 4 s; curl read the same URL fine).
    const reader = r.body.getReader();
    controller.signal.addEventListener(
      "abort",
      () => reader.cancel().catch(() => {}),
      { once: true },
    );
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
  } catch {
    /* aborted at the deadline */
  } finally {
    clearTimeout(timer);
  }
  return bytes;
}
