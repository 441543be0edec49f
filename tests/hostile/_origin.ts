// A running origin for hostile-client tests: Engine (app "live", short
// timeouts) + RtmpHandler + HttpHandler on 127.0.0.1 port 0, a legit RTMP
// publisher sending synthetic H.264/AAC frames on a real-time schedule, and
// legit viewers (RTMP and HTTP-FLV) whose largest inter-frame gap is measured
// while an attack runs. Every audit record, handlerError message and
// evicted-subscriber event is kept, so tests can check that refused/dropped
// clients leave a trace and that no secret leaks into any of them.
import {
  type AuditEvent,
  Engine,
  type MediaFrame,
  type StreamAuthenticator,
} from "../../mod.ts";
import type { AppSpec } from "../../src/app_spec.ts";
import {
  RtmpClient,
  RtmpHandler,
  type RtmpHandlerOptions,
} from "../../protocols/rtmp/mod.ts";
import {
  HttpHandler,
  type HttpHandlerOptions,
} from "../../protocols/http/mod.ts";

/** What a test may tune. */
export interface HostileOriginOptions {
  rtmp?: Partial<RtmpHandlerOptions>;
  http?: Partial<HttpHandlerOptions>;
  app?: Partial<AppSpec>;
  /** Engine idle timeout (stream reaped without frames), ms. */
  idleTimeoutMs?: number;
  auth?: StreamAuthenticator;
  /** Bytes of each synthetic video frame (keyframes are 4×). */
  frameBytes?: number;
  /** Query the legit publisher and viewers add (e.g. "?token=…"). */
  publishQuery?: string;
  playQuery?: string;
}

/** The running origin. */
export interface HostileOrigin extends AsyncDisposable {
  engine: Engine;
  rtmp: RtmpHandler;
  http: HttpHandler;
  rtmpPort: number;
  httpPort: number;
  /** rtmp://127.0.0.1:port/live */
  rtmpUrl: string;
  /** http://127.0.0.1:port */
  httpBase: string;
  /** Name of the legit stream in app "live". */
  legit: string;
  audit: AuditEvent[];
  /** Every handlerError, as "name: message". */
  handlerErrors: string[];
  /** Every subscriberEvicted / subscriberLagged / lagResync event, JSON. */
  slowEvents: string[];
  /** `clientDropped` audit records so far. */
  dropped(): number;
  /** Synthetic frames published so far. */
  published(): number;
}

const FRAME_INTERVAL_MS = 40;
const GOP_FRAMES = 25;

function videoFrame(
  dts: number,
  keyframe: boolean,
  config: boolean,
  size: number,
): MediaFrame {
  const data = new Uint8Array(config ? 16 : size);
  data.fill(dts & 0xff);
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: keyframe || config,
    config,
    data,
  };
}

function audioFrame(dts: number, config: boolean): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config,
    data: config ? new Uint8Array([0x12, 0x10]) : new Uint8Array(64).fill(7),
  };
}

/** Start the origin, the legit publisher, and wait for the stream to exist. */
export async function startHostileOrigin(
  options: HostileOriginOptions = {},
): Promise<HostileOrigin> {
  let builder = Engine.builder()
    .application({
      name: "live",
      ringCapacity: 512,
      maxLagFrames: 256,
      stallTimeoutMs: 3_000,
      ...options.app,
    })
    .idleTimeout(options.idleTimeoutMs ?? 10_000);
  if (options.auth) builder = builder.authenticator(options.auth);
  const audit: AuditEvent[] = [];
  builder = builder.audit({ record: (e) => audit.push(e) });
  const engine = builder.build();
  const handlerErrors: string[] = [];
  const slowEvents: string[] = [];
  engine.events.on("handlerError", (e) => {
    const err = e.error as { message?: unknown };
    handlerErrors.push(`${e.name}: ${String(err?.message ?? e.error)}`);
  });
  for (const type of ["subscriberEvicted", "lagResync"] as const) {
    engine.events.on(type, (e) => slowEvents.push(JSON.stringify(e)));
  }
  const rtmp = new RtmpHandler({
    hostname: "127.0.0.1",
    port: 0,
    handshakeTimeoutMs: 1_000,
    idleTimeoutMs: 4_000,
    maxConnections: 5_000,
    ...options.rtmp,
  });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
    ...options.http,
  });
  const controller = new AbortController();
  const served = engine.serve([rtmp, http], controller.signal);
  const [{ port: rtmpPort }, { port: httpPort }] = await Promise.all([
    rtmp.listening,
    http.listening,
  ]);
  const rtmpUrl = `rtmp://127.0.0.1:${rtmpPort}/live`;
  const legit = "legit";

  // The legit publisher: real-time schedule, drift-corrected.
  const publisherClient = await RtmpClient.connect(rtmpUrl);
  const publisher = await publisherClient.publish(
    `${legit}${options.publishQuery ?? ""}`,
  );
  const size = options.frameBytes ?? 2_000;
  await publisher.writeFrames([
    videoFrame(0, true, true, size),
    audioFrame(0, true),
  ]);
  let count = 0;
  let stopped = false;
  const start = performance.now();
  const pumping = (async () => {
    while (!stopped) {
      const dts = count * FRAME_INTERVAL_MS;
      const key = count % GOP_FRAMES === 0;
      try {
        await publisher.writeFrames([
          videoFrame(dts, key, false, key ? size * 4 : size),
          audioFrame(dts, false),
        ]);
      } catch {
        if (stopped) break;
        throw new Error("legit publisher failed");
      }
      count++;
      const due = start + count * FRAME_INTERVAL_MS - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, due)));
    }
  })();
  const deadline = Date.now() + 5_000;
  while (engine.getStream(`live/${legit}`) === undefined || count < 3) {
    if (Date.now() > deadline) throw new Error("legit stream never started");
    await new Promise((r) => setTimeout(r, 10));
  }

  return {
    engine,
    rtmp,
    http,
    rtmpPort,
    httpPort,
    rtmpUrl,
    httpBase: `http://127.0.0.1:${httpPort}`,
    legit,
    audit,
    handlerErrors,
    slowEvents,
    published: () => count,
    dropped: () => audit.filter((e) => e.type === "clientDropped").length,
    async [Symbol.asyncDispose]() {
      stopped = true;
      await pumping.catch(() => {});
      await publisherClient.close().catch(() => {});
      controller.abort();
      await served;
    },
  };
}

/** Tracks the largest gap between arrivals. */
export class GapMeter {
  #last = 0;
  #max = 0;
  #count = 0;
  /** Record one arrival. */
  mark(): void {
    const now = performance.now();
    if (this.#count > 0) this.#max = Math.max(this.#max, now - this.#last);
    this.#last = now;
    this.#count++;
  }
  /** Forget the max so far (call when the attack starts). */
  resetMax(): void {
    this.#max = 0;
  }
  get maxGapMs(): number {
    // a viewer that stopped receiving has a gap up to now
    return this.#count === 0
      ? Infinity
      : Math.max(this.#max, performance.now() - this.#last);
  }
  get count(): number {
    return this.#count;
  }
}

/** A legit viewer: close it to stop. */
export interface Viewer extends AsyncDisposable {
  meter: GapMeter;
  /** Frames (RTMP) or chunks (HTTP-FLV) received. */
  received(): number;
  bytes(): number;
}

/** Watch `name` over RTMP, marking each media frame. */
export async function watchRtmp(
  rtmpUrl: string,
  name: string,
): Promise<Viewer> {
  const client = await RtmpClient.connect(rtmpUrl);
  const player = await client.play(name);
  const meter = new GapMeter();
  let bytes = 0;
  const reading = (async () => {
    for await (const frame of player) {
      if (frame.config || frame.kind !== "video") continue;
      bytes += frame.data.length;
      meter.mark();
    }
  })().catch(() => {});
  await waitFor(() => meter.count >= 3, 5_000, "rtmp viewer got no frames");
  return {
    meter,
    received: () => meter.count,
    bytes: () => bytes,
    async [Symbol.asyncDispose]() {
      await client.close();
      await reading;
    },
  };
}

/** Watch `path` over HTTP-FLV, marking each body chunk. */
export async function watchFlv(url: string): Promise<Viewer> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  if (response.status !== 200 || response.body === null) {
    await response.body?.cancel();
    throw new Error(`HTTP-FLV viewer got ${response.status}`);
  }
  const reader = response.body.getReader();
  const meter = new GapMeter();
  let bytes = 0;
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      meter.mark();
    }
  })().catch(() => {});
  await waitFor(() => meter.count >= 3, 5_000, "flv viewer got no bytes");
  return {
    meter,
    received: () => meter.count,
    bytes: () => bytes,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await reader.cancel().catch(() => {});
      await reading;
    },
  };
}

/** Poll `check` every 10 ms until true, at most `ms`. */
export async function waitFor(
  check: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sleep (tests measure real-time behaviour of a live stream). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Read from `conn` until the server closes it; the ms it took, or null after `ms`. */
export async function closedWithin(
  conn: Deno.Conn,
  ms: number,
): Promise<number | null> {
  const start = performance.now();
  const buf = new Uint8Array(64 * 1024);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((r) => {
    timer = setTimeout(() => r("timeout"), ms);
  });
  try {
    for (;;) {
      const got = await Promise.race([conn.read(buf), timeout]);
      if (got === "timeout") return null;
      if (got === null) return performance.now() - start;
    }
  } catch {
    return performance.now() - start; // reset by the server
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* already closed */ }
  }
}

/**
 * Memory this test's isolate holds, MiB: V8 heap plus external
 * (ArrayBuffer) memory, where the origin's buffers live. Not process RSS:
 * under `deno test --parallel` the RSS counts every test file running
 * alongside, which made the bounds flaky.
 */
export function rssMiB(): number {
  const m = Deno.memoryUsage();
  return (m.heapUsed + m.external) / (1 << 20);
}

/** Print one figure line for the test log (stderr; bench/hostile.ts collects the long version). */
export function report(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`[hostile] ${line}\n`));
}
