/**
 * {@linkcode RtspHandler}: the RTSP (and RTSPS) server as a kernel
 * `ProtocolHandler`, for players (DESCRIBE/SETUP/PLAY over TCP-interleaved
 * or UDP) and publishers (ANNOUNCE/SETUP/RECORD).
 *
 * Data path: `Deno.listen`/`Deno.listenTls` → the shared accept loop with
 * admission (connection cap, optional `ConnectionGate`) → one task per
 * connection. Players: the stream's frames → RTP packets built once per
 * stream (`RtpStreamFormat` in the kernel's egress cache) → the same packet
 * bytes to every player (UDP from the shared server port pair, or
 * interleaved on the RTSP connection). Publishers: RTP → `media/rtp`
 * depacketizers → `publishFrame`.
 *
 * Limits: `maxConnections`, `maxSessions` (and 4 per connection), the
 * reader's head/header/body bounds, the session timeout (no request, packet
 * or RTCP for `sessionTimeoutMs` closes the connection).
 *
 * @module
 */
import type {
  MetricSample,
  MetricsCollector,
  ProtocolHandler,
  StreamHost,
} from "../../src/contracts.ts";
import type { ConnectionGate } from "../../src/connection_gate.ts";
import { UnitEgress } from "../../src/egress.ts";
import { StreamError } from "../../media/stream_error.ts";
import { acceptLoop } from "../net/mod.ts";
import type { RtspLimits } from "./message.ts";
import { NonceIssuer } from "./auth.ts";
import { SessionTable } from "./_session.ts";
import { UdpPair } from "./_udp.ts";
import {
  type RtpCounters,
  RtpStreamFormat,
  type RtpUnit,
} from "./_rtp_egress.ts";
import { RtspServerConnection } from "./_server_connection.ts";

/**
 * Options for {@linkcode RtspHandler}.
 *
 * @example
 * ```ts
 * import { RtspHandler, type RtspHandlerOptions } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const options: RtspHandlerOptions = { hostname: "127.0.0.1", port: 0, udpRtpPort: false };
 * assert.equal(new RtspHandler(options).name, "rtsp");
 * ```
 */
export interface RtspHandlerOptions {
  /** Interface to bind; default "0.0.0.0". */
  hostname?: string;
  /** TCP port; default 8554 (322 is RTSPS's registered port); 0 picks one. */
  port?: number;
  /**
   * The server's UDP RTP port (RTCP on the next one), shared by every
   * session; default 8000 (when that pair is taken, TCP-interleaved only,
   * reported as a `handlerError`); 0 picks a free even pair; `false` serves
   * TCP-interleaved only.
   */
  udpRtpPort?: number | false;
  /** Serve RTSPS with this PEM certificate chain and key. */
  tls?: { cert: string; key: string };
  /** Session timeout announced in `Session: …;timeout=` and enforced, ms; default 60,000. */
  sessionTimeoutMs?: number;
  /** Concurrent connections; default 1,000. */
  maxConnections?: number;
  /** Concurrent sessions over all connections; default 2,000. */
  maxSessions?: number;
  /** Reader bounds (head, header count, body). */
  limits?: Partial<RtspLimits>;
  /** Realm of the authentication challenges; default "arcly-stream". */
  realm?: string;
  /**
   * Password of a Digest user (then Digest is offered before Basic); the
   * verified password is what the authenticator gets as `token`.
   */
  digestPassword?: (
    username: string,
  ) => string | undefined | Promise<string | undefined>;
  /**
   * Egress tick for players, ms (0 to 1,000); default 0: packets leave as
   * frames arrive (RTP players expect paced packets).
   */
  egressTickMs?: number;
  /** Per-IP admission before any per-connection cost. */
  gate?: ConnectionGate;
}

/**
 * The addresses the handler listens on.
 *
 * @example
 * ```ts
 * import type { RtspListenAddress } from "@arcly/stream/rtsp";
 * const addr: RtspListenAddress = { hostname: "127.0.0.1", port: 8554, udpRtpPort: 8000 };
 * ```
 */
export interface RtspListenAddress {
  /** Bound interface. */
  hostname: string;
  /** Bound TCP port. */
  port: number;
  /** Bound UDP RTP port (RTCP is the next), when UDP is served. */
  udpRtpPort?: number;
}

/**
 * RTSP server for an engine.
 *
 * @example Serve on free ports
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { RtspHandler } from "@arcly/stream/rtsp";
 *
 * const engine = Engine.builder().build();
 * const rtsp = new RtspHandler({ hostname: "127.0.0.1", port: 0, udpRtpPort: 0 });
 * const served = engine.serve([rtsp]);
 * const { port } = await rtsp.listening;
 * // ffmpeg -re -i in.mp4 -c copy -f rtsp rtsp://127.0.0.1:${port}/live/cam
 * await engine.shutdown();
 * await served;
 * ```
 */
export class RtspHandler implements ProtocolHandler, MetricsCollector {
  /** "rtsp" (or "rtsps" with TLS), used in events and credentials. */
  readonly name: string;
  #options: RtspHandlerOptions;
  #listening: Promise<RtspListenAddress>;
  #resolve!: (addr: RtspListenAddress) => void;
  #reject!: (error: unknown) => void;
  #connections = new Set<RtspServerConnection>();
  #sessions: SessionTable;
  #refused = 0;
  #counters: RtpCounters = { built: 0, sent: 0 };

  /**
   * Configure the server (nothing is bound until `serve()`).
   *
   * @param options addresses, TLS, limits, authentication
   */
  constructor(options: RtspHandlerOptions = {}) {
    this.#options = options;
    this.name = options.tls ? "rtsps" : "rtsp";
    this.#sessions = new SessionTable(options.maxSessions ?? 2000);
    this.#listening = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#listening.catch(() => {});
  }

  /** Resolves with the bound addresses once `serve()` is listening. */
  get listening(): Promise<RtspListenAddress> {
    return this.#listening;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /**
   * RTP packets built (once per stream, by its packetizers) and sent (once
   * per player): `sent / built` is the fan-out each built packet served.
   */
  get rtpPackets(): { built: number; sent: number } {
    return { ...this.#counters };
  }

  /** Connections refused by the cap or the gate. */
  get refusedConnections(): number {
    return this.#refused;
  }

  /**
   * The server's counters as metric samples, read at scrape time (a
   * `MetricsCollector`): `arcly_rtsp_connections` and `arcly_rtsp_sessions`
   * (gauges), refused connections, RTP packets built (once per stream) and
   * sent (once per player); `listener` is "rtsp" or "rtsps".
   *
   * @returns the samples
   * @example
   * ```ts
   * import { RtspHandler } from "@arcly/stream/rtsp";
   * import assert from "node:assert/strict";
   * const s = new RtspHandler().collectMetrics().find((m) => m.name === "arcly_rtsp_sessions");
   * assert.equal(s?.value, 0);
   * ```
   */
  collectMetrics(): readonly MetricSample[] {
    const labels = { listener: this.name };
    const sample = (
      name: string,
      help: string,
      type: "counter" | "gauge",
      value: number,
    ): MetricSample => ({ name, help, type, value, labels });
    return [
      sample(
        "arcly_rtsp_connections",
        "Open RTSP connections.",
        "gauge",
        this.#connections.size,
      ),
      sample(
        "arcly_rtsp_sessions",
        "Open RTSP sessions (players and publishers).",
        "gauge",
        this.#sessions.size,
      ),
      sample(
        "arcly_rtsp_refused_connections_total",
        "RTSP connections refused by the connection cap or the per-IP gate.",
        "counter",
        this.#refused,
      ),
      sample(
        "arcly_rtsp_rtp_packets_built_total",
        "RTP packets built for RTSP players (once per stream and track).",
        "counter",
        this.#counters.built,
      ),
      sample(
        "arcly_rtsp_rtp_packets_sent_total",
        "RTP packets sent to RTSP players (once per player).",
        "counter",
        this.#counters.sent,
      ),
    ];
  }

  /**
   * Accept connections until `signal` aborts, then close them all.
   *
   * @param host the kernel
   * @param signal stops the server
   * @returns resolves once every connection task has finished
   */
  async serve(host: StreamHost, signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const hostname = o.hostname ?? "0.0.0.0";
    let listener: Deno.Listener;
    let udp: UdpPair | undefined;
    try {
      const addr = { hostname, port: o.port ?? 8554 };
      listener = o.tls
        ? Deno.listenTls({ ...addr, cert: o.tls.cert, key: o.tls.key })
        : Deno.listen(addr);
      if (o.udpRtpPort !== false) {
        try {
          udp = await UdpPair.bind(hostname, o.udpRtpPort ?? 8000);
        } catch (error) {
          if (o.udpRtpPort !== undefined) {
            listener.close();
            throw error;
          }
          // The default pair is taken: serve TCP-interleaved only, say so.
          host.events.emit({
            type: "handlerError",
            name: this.name,
            error: new StreamError(
              "Unsupported",
              `Cannot serve RTSP over UDP: ${hostname}:8000-8001 is in use (TCP-interleaved only)`,
              { cause: error },
            ),
          });
        }
      }
    } catch (error) {
      this.#reject(error);
      throw error;
    }
    const local = listener.addr as Deno.NetAddr;
    this.#resolve({
      hostname: local.hostname,
      port: local.port,
      ...(udp ? { udpRtpPort: udp.rtpPort } : {}),
    });
    const clock = host.clock;
    const ctx = {
      name: this.name,
      limits: o.limits ?? {},
      sessionTimeoutMs: o.sessionTimeoutMs ?? 60_000,
      sessions: this.#sessions,
      udp,
      counters: this.#counters,
      egress: new UnitEgress<RtpUnit>(
        (stream) =>
          new RtpStreamFormat(
            stream.gopCache.configFrames(),
            () => clock.now(),
            this.#counters,
          ),
        {
          egressTickMs: o.egressTickMs ?? 0,
          onUnsupported: (stream, frame) =>
            host.events.emit({
              type: "handlerError",
              name: this.name,
              error: new StreamError(
                "Unsupported",
                `Cannot send ${frame.codec} ${frame.kind} of ${stream.key} over RTP: not in the stream's SDP (described from codec configs: h264, h265, aac, opus)`,
              ),
            }),
        },
      ),
      realm: o.realm ?? "arcly-stream",
      nonces: new NonceIssuer({ now: () => clock.now() }),
      digestPassword: o.digestPassword,
    };
    const maxConnections = o.maxConnections ?? 1000;
    const tasks = new Set<Promise<void>>();
    try {
      await acceptLoop(listener, {
        signal,
        clock,
        maxConnections,
        open: () => this.#connections.size,
        ...(o.gate !== undefined ? { gate: o.gate } : {}),
        tasks,
        refused: (_conn, remote, why) => {
          this.#refused++;
          host.audit.record({
            type: "clientDropped",
            at: clock.now(),
            protocol: this.name,
            remoteAddr: `${remote.hostname}:${remote.port}`,
            code: "LimitExceeded",
            reason: `connection refused: ${why}`,
          });
        },
        failed: (error) =>
          host.events.emit({ type: "handlerError", name: this.name, error }),
        admitted: (conn, remote) => {
          const c = new RtspServerConnection(conn, remote, host, ctx);
          this.#connections.add(c);
          return c.run().finally(() => this.#connections.delete(c));
        },
      });
    } finally {
      for (const c of this.#connections) c.close();
      await Promise.allSettled([...tasks]);
      udp?.close();
    }
  }
}
