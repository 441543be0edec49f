// Shared fixture for the RTSP interop tests: an engine with RTSP (TCP +
// UDP on free ports), RTMP and HTTP (HTTP-FLV, HLS) handlers on 127.0.0.1,
// background ffmpeg publishers, and a bounded wait.
import {
  Engine,
  type OnDemandProvider,
  type StreamAuthenticator,
} from "../../../src/mod.ts";
import {
  RtspHandler,
  type RtspHandlerOptions,
} from "../../../protocols/rtsp/mod.ts";
import { RtmpHandler } from "../../../protocols/rtmp/mod.ts";
import { HlsPackaging, HttpHandler } from "../../../protocols/http/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";

export interface RtspOrigin extends AsyncDisposable {
  engine: Engine;
  rtsp: RtspHandler;
  rtspUrl: string;
  rtmpUrl: string;
  httpUrl: string;
  udpRtpPort: number;
  errors: unknown[];
}

export async function startOrigin(options: {
  rtsp?: RtspHandlerOptions;
  authenticator?: StreamAuthenticator;
  hls?: boolean;
  onDemand?: OnDemandProvider;
  onDemandGraceMs?: number;
} = {}): Promise<RtspOrigin> {
  const engine = new Engine({
    applications: [{ name: "live" }],
    ...(options.authenticator ? { authenticator: options.authenticator } : {}),
    ...(options.onDemand ? { onDemand: [options.onDemand] } : {}),
    ...(options.onDemandGraceMs !== undefined
      ? { onDemandGraceMs: options.onDemandGraceMs }
      : {}),
  });
  const errors: unknown[] = [];
  engine.events.on("handlerError", (e) => errors.push(e.error));
  const rtsp = new RtspHandler({
    hostname: "127.0.0.1",
    port: 0,
    udpRtpPort: 0,
    ...options.rtsp,
  });
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const storage = new MemoryStorage({ maxBytes: 256 << 20 });
  const packaging = options.hls
    ? new HlsPackaging({
      engine,
      storage,
      format: "ts",
      targetDurationMs: 1000,
    })
    : undefined;
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage,
    ...(packaging ? { hls: packaging } : {}),
    dashboard: false,
  });
  const served = engine.serve([rtsp, rtmp, http]);
  const [r, m, h] = await Promise.all([
    rtsp.listening,
    rtmp.listening,
    http.listening,
  ]);
  return {
    engine,
    rtsp,
    rtspUrl: `rtsp://127.0.0.1:${r.port}`,
    rtmpUrl: `rtmp://127.0.0.1:${m.port}`,
    httpUrl: `http://127.0.0.1:${h.port}`,
    udpRtpPort: r.udpRtpPort ?? 0,
    errors,
    async [Symbol.asyncDispose]() {
      await engine.shutdown({ deadlineMs: 2000 });
      await served;
      await packaging?.close();
    },
  };
}

/** A background process, killed on dispose. */
export function spawn(
  cmd: string,
  args: string[],
): Deno.ChildProcess & AsyncDisposable {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  return Object.assign(child, {
    stderrText: stderr,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await stderr;
    },
  });
}

/** ffmpeg publishing a 640x360 test pattern + sine as H.264 + AAC. */
export function publishTestPattern(
  format: "rtsp-tcp" | "rtsp-udp" | "flv",
  url: string,
  seconds = 120,
): Deno.ChildProcess & AsyncDisposable {
  const out = format === "flv"
    ? ["-f", "flv"]
    : ["-f", "rtsp", "-rtsp_transport", format === "rtsp-tcp" ? "tcp" : "udp"];
  return spawn("ffmpeg", [
    "-v",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=640x360:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=44100",
    "-t",
    String(seconds),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "25",
    "-bf",
    "0",
    "-c:a",
    "aac",
    ...out,
    url,
  ]);
}

/** Wait until `check()` holds, polling every 50 ms, at most `ms`. */
export async function until(
  check: () => boolean,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Frames per stream type that ffprobe reads in the first `seconds` of `url`. */
export async function probeFrames(
  url: string,
  extra: string[] = [],
  seconds = 3,
): Promise<{ video: number; audio: number; codecs: string[]; stderr: string }> {
  const cmd = new Deno.Command("ffprobe", {
    args: [
      "-v",
      "error",
      ...extra,
      "-show_entries",
      "stream=codec_type,codec_name,nb_read_frames",
      "-count_frames",
      "-read_intervals",
      `%+${seconds}`,
      "-of",
      "json",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      cmd.kill("SIGKILL");
    } catch { /* gone */ }
  }, 20_000);
  const out = await cmd.output();
  clearTimeout(timer);
  const json = JSON.parse(new TextDecoder().decode(out.stdout) || "{}");
  let video = 0, audio = 0;
  const codecs: string[] = [];
  for (const s of json.streams ?? []) {
    codecs.push(s.codec_name);
    if (s.codec_type === "video") video += Number(s.nb_read_frames ?? 0);
    if (s.codec_type === "audio") audio += Number(s.nb_read_frames ?? 0);
  }
  return { video, audio, codecs, stderr: new TextDecoder().decode(out.stderr) };
}

/** `ffmpeg -v error -i url -t seconds -f null -`: the error output (empty = clean decode). */
export async function decodeErrors(
  url: string,
  extra: string[] = [],
  seconds = 3,
  output: string[] = [],
): Promise<{ code: number; stderr: string }> {
  const cmd = new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      ...extra,
      "-i",
      url,
      "-t",
      String(seconds),
      ...output,
      "-f",
      "null",
      "-",
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      cmd.kill("SIGKILL");
    } catch { /* gone */ }
  }, 20_000);
  const out = await cmd.output();
  clearTimeout(timer);
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}
