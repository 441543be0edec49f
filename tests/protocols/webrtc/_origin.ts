// A WebRTC test origin: engine + RTMP ingest + HTTP egress (HTTP-FLV) with the
// WHIP/WHEP routes mounted through extraRoutes + the WebRTC handler on one UDP
// port. Everything bound on `hostname` (default 127.0.0.1), port 0.
import { Engine } from "../../../src/mod.ts";
import { RtmpHandler } from "../../../protocols/rtmp/mod.ts";
import { HttpHandler } from "../../../protocols/http/mod.ts";
import {
  WebRtcHandler,
  type WebRtcOptions,
} from "../../../protocols/webrtc/mod.ts";

export interface WebRtcOrigin extends AsyncDisposable {
  engine: Engine;
  webrtc: WebRtcHandler;
  httpPort: number;
  rtmpPort: number;
  udpPort: number;
  /** http://host:port */
  base: string;
}

export async function startWebRtcOrigin(
  options: { hostname?: string; webrtc?: WebRtcOptions; engine?: Engine } = {},
): Promise<WebRtcOrigin> {
  const hostname = options.hostname ?? "127.0.0.1";
  const engine = options.engine ?? Engine.builder().build();
  const webrtc = new WebRtcHandler({
    udp: { hostname, port: 0 },
    hosts: [hostname],
    ...options.webrtc,
  });
  const rtmp = new RtmpHandler({ hostname, port: 0 });
  const http = new HttpHandler({
    hostname,
    port: 0,
    extraRoutes: [webrtc.routes],
    dashboard: false,
  });
  const controller = new AbortController();
  const served = engine.serve([rtmp, http, webrtc], controller.signal);
  const [{ port: rtmpPort }, { port: httpPort }, { port: udpPort }] =
    await Promise.all([rtmp.listening, http.listening, webrtc.listening]);
  return {
    engine,
    webrtc,
    httpPort,
    rtmpPort,
    udpPort,
    base: `http://${hostname}:${httpPort}`,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await served;
    },
  };
}

/** ffmpeg publishing a test picture (H.264 without B-frames + AAC) over RTMP. */
export function publishRtmp(
  url: string,
  extra: { bframes?: boolean; seconds?: number } = {},
): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
      ...["-t", String(extra.seconds ?? 60)],
      ...["-c:v", "libx264", "-preset", "ultrafast", "-g", "30"],
      ...(extra.bframes ? ["-bf", "2"] : ["-tune", "zerolatency", "-bf", "0"]),
      ...["-pix_fmt", "yuv420p", "-b:v", "600k"],
      ...["-c:a", "aac", "-b:a", "64k", "-f", "flv", url],
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

export async function stopProcess(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  await child.status;
}

/** Wait (bounded) until `predicate` holds. */
export async function until(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
