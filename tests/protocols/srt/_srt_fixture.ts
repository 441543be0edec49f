// An origin with SRT (+ optionally RTMP and HTTP) on free loopback ports, and
// ffmpeg helpers for SRT interop tests. Every child is time-limited.
import {
  type AuditEvent,
  Engine,
  type StreamAuthenticator,
} from "../../../src/mod.ts";
import {
  SrtHandler,
  type SrtHandlerOptions,
} from "../../../protocols/srt/mod.ts";
import { RtmpHandler } from "../../../protocols/rtmp/mod.ts";
import { HttpHandler } from "../../../protocols/http/mod.ts";
import type { ProtocolHandler } from "../../../src/contracts.ts";
import { openUdp, type UdpSocket } from "../../../protocols/srt/_udp.ts";

/** A running origin. */
export interface SrtOrigin extends AsyncDisposable {
  engine: Engine;
  srt: SrtHandler;
  port: number;
  rtmpPort: number;
  httpPort: number;
  audit: AuditEvent[];
}

/** Start an origin; `rtmp`/`http` add those handlers. */
export async function startSrtOrigin(
  options: Partial<SrtHandlerOptions> & {
    rtmp?: boolean;
    http?: boolean;
    authenticator?: StreamAuthenticator;
  } = {},
): Promise<SrtOrigin> {
  const audit: AuditEvent[] = [];
  const builder = Engine.builder().audit({ record: (e) => audit.push(e) });
  if (options.authenticator) builder.authenticator(options.authenticator);
  const engine = builder.build();
  const { rtmp: withRtmp, http: withHttp, authenticator: _a, ...srtOptions } =
    options;
  const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0, ...srtOptions });
  const handlers: ProtocolHandler[] = [srt];
  const rtmp = withRtmp
    ? new RtmpHandler({ hostname: "127.0.0.1", port: 0 })
    : undefined;
  const http = withHttp
    ? new HttpHandler({ hostname: "127.0.0.1", port: 0, dashboard: false })
    : undefined;
  if (rtmp) handlers.push(rtmp);
  if (http) handlers.push(http);
  const controller = new AbortController();
  const served = engine.serve(handlers, controller.signal);
  const { port } = await srt.listening;
  const rtmpPort = rtmp ? (await rtmp.listening).port : 0;
  const httpPort = http ? (await http.listening).port : 0;
  return {
    engine,
    srt,
    port,
    rtmpPort,
    httpPort,
    audit,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await engine.shutdown({ deadlineMs: 0 });
      await served;
    },
  };
}

/** ffmpeg publishing a test pattern + tone as TS over SRT for `seconds`. */
export function ffmpegPublish(
  url: string,
  seconds: number,
  extra: string[] = [],
): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x360:rate=30",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440",
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-tune",
      "zerolatency",
      "-g",
      "30",
      "-c:a",
      "aac",
      "-t",
      String(seconds),
      ...extra,
      "-f",
      "mpegts",
      url,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
}

/** Wait until `check()` is true (polls every 50 ms) or throw after `ms`. */
export async function until(
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop a child (SIGINT) and collect its stderr. */
export function stop(
  child: Deno.ChildProcess,
): Promise<{ code: number; stderr: string }> {
  try {
    child.kill("SIGINT");
  } catch { /* gone */ }
  return finish(child, 5_000);
}

/** Wait for a child (killed after `killAfterMs`) and collect its stderr. */
export async function finish(
  child: Deno.ChildProcess,
  killAfterMs = 30_000,
): Promise<{ code: number; stderr: string }> {
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, killAfterMs);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** A UDP relay between SRT peers that drops and delays datagrams. */
export interface LossyRelay extends AsyncDisposable {
  /** Port callers connect to. */
  port: number;
  /** Datagrams dropped so far (both ways). */
  readonly dropped: number;
  /** Datagrams forwarded so far (both ways). */
  readonly forwarded: number;
}

/**
 * Relay 127.0.0.1:port ⇄ 127.0.0.1:target, dropping `loss` of the datagrams
 * each way (seeded) and delaying each by 0…`jitterMs` (which also reorders).
 */
export async function startLossyRelay(
  target: number,
  loss: number,
  jitterMs: number,
  seed = 1,
): Promise<LossyRelay> {
  let x = seed;
  const random = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
  let dropped = 0, forwarded = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const forward = (sock: UdpSocket, msg: Uint8Array, port: number) => {
    if (random() < loss) {
      dropped++;
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      forwarded++;
      sock.send(msg, port, "127.0.0.1");
    }, random() * jitterMs);
    timers.add(t);
  };
  const backs = new Map<number, Promise<UdpSocket>>();
  // the same UDP path as the origin (Deno.listenDatagram when available)
  const front: UdpSocket = await openUdp("127.0.0.1", 0, (msg, _host, port) => {
    let back = backs.get(port);
    if (back === undefined) {
      back = openUdp("127.0.0.1", 0, (reply) => forward(front, reply, port));
      backs.set(port, back);
    }
    back.then((b) => forward(b, msg, target));
  });
  return {
    port: front.address.port,
    get dropped() {
      return dropped;
    },
    get forwarded() {
      return forwarded;
    },
    async [Symbol.asyncDispose]() {
      for (const t of timers) clearTimeout(t);
      await Promise.all([
        front.close(),
        ...[...backs.values()].map(async (b) => (await b).close()),
      ]);
    },
  };
}
