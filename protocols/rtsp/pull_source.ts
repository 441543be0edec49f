/**
 * {@linkcode RtspPullSource}: an IP camera (or any RTSP server) as a kernel
 * `MediaSource`, for `engine.pumpSource(key, source)`.
 *
 * Data path: one connection at a time (`DESCRIBE`/`SETUP`/`PLAY` as a
 * client) → RTP → `media/rtp` depacketizers → frames yielded in order.
 * Transport: UDP first with `transport: "auto"` (the default), falling back
 * to TCP-interleaved for good when UDP brings nothing within `udpTimeoutMs`
 * (NAT, firewall); or fixed. Reconnects: on any failure (refused, closed,
 * stalled camera: no RTP for `stallTimeoutMs`) after an exponential backoff
 * (`initialBackoffMs` doubling to `maxBackoffMs`; reset after a connection
 * that delivered frames), at most `maxAttempts` consecutive failures.
 * Timestamps are shifted by the time since the source started, so they keep
 * increasing across reconnects (a gap, never a step back). Frames broken by
 * packet loss are dropped by the depacketizers until the next keyframe.
 *
 * Memory: one bounded frame queue (`maxQueuedFrames`) per connection.
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { Clock } from "../../src/clock.ts";
import { systemClock } from "../../src/clock.ts";
import type { MediaSource } from "../../src/contracts.ts";
import { PullRun, UdpSilentError } from "./_pull_run.ts";

/**
 * What happened to a pull (for logs and metrics).
 *
 * @example
 * ```ts
 * import type { RtspPullEvent } from "@arcly/stream/rtsp";
 * const e: RtspPullEvent = { type: "fallback", from: "udp", to: "tcp" };
 * ```
 */
export type RtspPullEvent =
  | { type: "connected"; transport: "tcp" | "udp"; tracks: string[] }
  | { type: "disconnected"; error: unknown; retryInMs: number }
  | { type: "fallback"; from: "udp"; to: "tcp" }
  | { type: "unsupportedTrack"; track: number; error: StreamError };

/**
 * Options of {@linkcode RtspPullSource}.
 *
 * @example
 * ```ts
 * import type { RtspPullOptions } from "@arcly/stream/rtsp";
 * const options: RtspPullOptions = { url: "rtsp://user:pass@10.0.0.8/stream1", transport: "tcp" };
 * ```
 */
export interface RtspPullOptions {
  /** `rtsp://` or `rtsps://` URL; user info authenticates (Digest or Basic). */
  url: string;
  /** "auto" (UDP, then TCP when UDP is silent; default), "udp" or "tcp". */
  transport?: "auto" | "udp" | "tcp";
  /** Time for the first UDP packet before falling back, ms; default 3,000. */
  udpTimeoutMs?: number;
  /** No RTP for this long = stalled camera, reconnect; ms; default 5,000. */
  stallTimeoutMs?: number;
  /** Connect and request deadline, ms; default 10,000. */
  timeoutMs?: number;
  /** First reconnect delay, ms; default 500. */
  initialBackoffMs?: number;
  /** Largest reconnect delay, ms; default 10,000. */
  maxBackoffMs?: number;
  /** Consecutive failed connections before giving up (the source throws); default unlimited. */
  maxAttempts?: number;
  /** Frames queued between the socket and the consumer; default 1,024. */
  maxQueuedFrames?: number;
  /** Extra CA certificates (PEM) for `rtsps://`. */
  caCerts?: string[];
  /** Timers; default the system clock. */
  clock?: Clock;
  /** Told about connections, fallbacks, reconnects. */
  onEvent?: (event: RtspPullEvent) => void;
}

/**
 * Pull an RTSP camera as a `MediaSource` (see the module doc).
 *
 * @example Pull a camera into live/cam
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { RtspPullSource } from "@arcly/stream/rtsp";
 *
 * const engine = Engine.builder().build();
 * const source = new RtspPullSource({ url: "rtsp://admin:secret@192.168.1.20/stream1" });
 * await engine.pumpSource("live/cam", source);
 * ```
 */
export class RtspPullSource implements MediaSource {
  /** "rtsp-pull <host/path>" (no credentials). */
  readonly name: string;
  #o: RtspPullOptions;
  #url: URL;
  #clock: Clock;
  #connects = 0;
  #transport: "tcp" | "udp";
  /** Frames dropped by the depacketizers over all connections (loss). */
  droppedFrames = 0;
  /** RTP packets lost over all connections. */
  lostPackets = 0;

  /**
   * Check the URL and options (nothing connects until `frames()`).
   *
   * @param options URL, transport, timeouts, backoff
   * @throws {StreamError} `InvalidInput` for a URL that is not rtsp(s)://
   */
  constructor(options: RtspPullOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new StreamError("InvalidInput", "Cannot pull: malformed RTSP URL");
    }
    if (url.protocol !== "rtsp:" && url.protocol !== "rtsps:") {
      throw new StreamError(
        "InvalidInput",
        `Cannot pull ${url.protocol}: not rtsp: or rtsps:`,
      );
    }
    this.#o = options;
    this.#url = url;
    this.#clock = options.clock ?? systemClock;
    this.#transport = options.transport === "tcp" ? "tcp" : "udp";
    this.name = `rtsp-pull ${url.host}${url.pathname}`;
  }

  /** Connections made so far. */
  get connects(): number {
    return this.#connects;
  }

  /** The transport in use (or next to try). */
  get transport(): "tcp" | "udp" {
    return this.#transport;
  }

  /**
   * The camera's frames, reconnecting until `signal` aborts (or
   * `maxAttempts` consecutive failures: then the last error is thrown).
   *
   * @param signal stops the pull
   * @returns frames in decode order per track
   */
  async *frames(signal: AbortSignal): AsyncGenerator<MediaFrame> {
    const o = this.#o;
    const startedAt = this.#clock.now();
    // The last decode time handed out (ms): a new session's timeline starts
    // past it, so timestamps never go back across a reconnect, whatever the
    // camera's clock did.
    let lastDtsMs = -Infinity;
    let failures = 0;
    while (!signal.aborted) {
      const run = new PullRun({
        url: this.#url,
        transport: this.#transport,
        clock: this.#clock,
        timeoutMs: o.timeoutMs ?? 10_000,
        stallTimeoutMs: o.stallTimeoutMs ?? 5000,
        udpTimeoutMs: o.udpTimeoutMs ?? 3000,
        maxQueuedFrames: o.maxQueuedFrames ?? 1024,
        caCerts: o.caCerts,
        offsetMs: () =>
          Math.max(this.#clock.now() - startedAt, Math.ceil(lastDtsMs) + 100),
        unsupported: (track, error) =>
          o.onEvent?.({ type: "unsupportedTrack", track, error }),
      });
      let delivered = false;
      let failure: unknown;
      try {
        await run.start();
        this.#connects++;
        o.onEvent?.({
          type: "connected",
          transport: this.#transport,
          tracks: run.described,
        });
        for await (const frame of run.frames(signal)) {
          delivered = true;
          const dtsMs = frame.dts * 1000 / frame.timescale;
          if (dtsMs > lastDtsMs) lastDtsMs = dtsMs;
          yield frame;
        }
      } catch (error) {
        failure = error;
      } finally {
        this.droppedFrames += run.ingest?.droppedFrames ?? 0;
        this.lostPackets += run.ingest?.lost ?? 0;
        run.close();
      }
      if (signal.aborted) return;
      if (
        failure instanceof UdpSilentError && o.transport !== "udp"
      ) {
        this.#transport = "tcp";
        o.onEvent?.({ type: "fallback", from: "udp", to: "tcp" });
        continue;
      }
      failures = delivered ? 1 : failures + 1;
      if (o.maxAttempts !== undefined && failures > o.maxAttempts) {
        throw failure ??
          new StreamError("Closed", `Cannot pull ${this.name}: gave up`);
      }
      const delay = Math.min(
        o.maxBackoffMs ?? 10_000,
        (o.initialBackoffMs ?? 500) * 2 ** (failures - 1),
      );
      o.onEvent?.({ type: "disconnected", error: failure, retryInMs: delay });
      await new Promise<void>((resolve) => {
        const cancel = this.#clock.setTimer(delay, done);
        function done(): void {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }
        function onAbort(): void {
          cancel();
          done();
        }
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
}
