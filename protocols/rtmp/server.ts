/**
 * {@linkcode RtmpHandler}: the RTMP (and RTMPS) server as a kernel
 * `ProtocolHandler`, run by `Engine.serve`.
 *
 * Data path: `Deno.listen`/`Deno.listenTls` → one task per connection
 * (`RtmpConnection`) that feeds bytes to a socket-free {@linkcode RtmpSession}
 * and carries out its actions: publish → `engine.startPublishAuthorized` and
 * `handle.publishFrame`, play → `engine.authorizePlay` and a resilient
 * egress session of the kernel's egress seam (`JoinedEgress` with
 * {@linkcode rtmpChunkFormat}: chunk bytes built once per frame per stream,
 * one shared batch per egress tick for every player; each player's
 * timestamps start near 0 at its join, see `frame_chunk_cache.ts`).
 *
 * Limits: {@linkcode RtmpHandlerOptions.maxConnections}, handshake and idle
 * timeouts on the engine clock, the chunk reader's message/chunk-stream/
 * reassembly caps. A client that breaks them is disconnected and reported
 * as a `handlerError` event (name "rtmp").
 *
 * @module
 */
import type { ConnectionGate } from "../../src/connection_gate.ts";
import { acceptLoop, listenTcp } from "../net/mod.ts";
import type { ProtocolHandler, StreamHost } from "../../src/contracts.ts";
import { StreamError } from "../../media/stream_error.ts";
import { HousekeepingTimer } from "../../src/clock.ts";
import { JoinedEgress } from "../../src/egress.ts";
import { rtmpChunkFormat } from "./frame_chunk_cache.ts";
import { DEFAULT_OUT_CHUNK_SIZE } from "./session_types.ts";
import {
  RtmpConnection,
  type RtmpConnectionOptions,
} from "./server_connection.ts";

/**
 * Default connection cap: each connection costs a task and a 64 KiB read buffer.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_CONNECTIONS } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_MAX_CONNECTIONS, 1000);
 * ```
 */
export const DEFAULT_MAX_CONNECTIONS = 1000;
/**
 * Default time to finish the handshake and connect (slow links need a few seconds).
 *
 * @example
 * ```ts
 * import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_HANDSHAKE_TIMEOUT_MS, 10_000);
 * ```
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * Default time without bytes in either direction before a connection is dropped.
 *
 * @example
 * ```ts
 * import { DEFAULT_IDLE_TIMEOUT_MS } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(DEFAULT_IDLE_TIMEOUT_MS, 30_000);
 * ```
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/**
 * Options for {@linkcode RtmpHandler}.
 *
 * @example
 * ```ts
 * import { RtmpHandler, type RtmpHandlerOptions } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const options: RtmpHandlerOptions = { hostname: "127.0.0.1", port: 0, maxConnections: 100 };
 * assert.equal(new RtmpHandler(options).name, "rtmp");
 * ```
 */
export interface RtmpHandlerOptions {
  /** Interface to bind; default "0.0.0.0". */
  hostname?: string;
  /** Port; default 1935 (1936 conventionally for RTMPS); 0 picks a free port. */
  port?: number;
  /** Serve RTMPS with this PEM certificate chain and key. */
  tls?: { cert: string; key: string };
  /** Concurrent connections; default {@linkcode DEFAULT_MAX_CONNECTIONS}. */
  maxConnections?: number;
  /** Default {@linkcode DEFAULT_HANDSHAKE_TIMEOUT_MS}. */
  handshakeTimeoutMs?: number;
  /** Default {@linkcode DEFAULT_IDLE_TIMEOUT_MS}. */
  idleTimeoutMs?: number;
  /** Outgoing chunk size, shared by every player; default 60000. */
  chunkSize?: number;
  /** Largest incoming message (default `MAX_RTMP_MESSAGE_BYTES`). */
  maxMessageBytes?: number;
  /** Most chunk streams per connection (default `MAX_CHUNK_STREAMS`). */
  maxChunkStreams?: number;
  /**
   * The egress tick for players, ms (0 to 1,000; 0 writes every batch at
   * once); default `DEFAULT_EGRESS_TICK_MS` (100). Adds at most this much
   * latency; fewer, larger, shared writes per player. The tick is the
   * stream's (`StreamHandle.egressTick`): it fires early after a burst of
   * half the lag limit, and a player's first batch never waits.
   */
  egressTickMs?: number;
  /**
   * Admission control before any per-connection cost: per-IP caps and accept
   * rate (IPv6 grouped by /64). Can be shared with other handlers.
   */
  gate?: ConnectionGate;
  /**
   * Listen queue length (default 4,096; the OS caps it at
   * `net.core.somaxconn`): a flash crowd of players waits for accept instead
   * of being dropped (Deno's own default is 511).
   */
  tcpBacklog?: number;
  /**
   * Plain-TCP implementation: `"deno"` (default, `Deno.listen`) or `"ffi"`
   * (`FfiTcpListener`: sockets over libc, one shared epoll; Linux and
   * `--allow-ffi`, else `StreamError` `Unsupported`). TLS is always Deno's.
   */
  tcpBackend?: "deno" | "ffi";
}

/**
 * The address the handler listens on.
 *
 * @example
 * ```ts
 * import type { RtmpListenAddress } from "@arcly/stream/rtmp";
 * import assert from "node:assert/strict";
 *
 * const addr: RtmpListenAddress = { hostname: "127.0.0.1", port: 1935 };
 * assert.equal(addr.port, 1935);
 * ```
 */
export interface RtmpListenAddress {
  /** Bound interface. */
  hostname: string;
  /** Bound port (the real one when 0 was asked). */
  port: number;
}

/**
 * RTMP server for an {@linkcode Engine}.
 *
 * @example Serve on a free port
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { RtmpHandler } from "@arcly/stream/rtmp";
 *
 * const engine = Engine.builder().application({ name: "live" }).build();
 * const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
 * const served = engine.serve([rtmp]);
 * const { port } = await rtmp.listening;
 * // ffmpeg -re -i in.mp4 -c copy -f flv rtmp://127.0.0.1:${port}/live/cam
 * await engine.shutdown();
 * await served;
 * ```
 */
export class RtmpHandler implements ProtocolHandler {
  /** "rtmp" (or "rtmps" with TLS), used in events and credentials. */
  readonly name: string;
  #options: RtmpHandlerOptions;
  #listening: Promise<RtmpListenAddress>;
  #resolveListening!: (addr: RtmpListenAddress) => void;
  #rejectListening!: (error: unknown) => void;
  #connections = new Set<RtmpConnection>();
  #egress: JoinedEgress;
  #host: StreamHost | undefined;
  #refused = 0;

  /**
   * Configure the server (nothing is bound until `serve()`).
   *
   * @param options address, TLS, limits and timeouts
   * @throws {StreamError} `InvalidInput` for an `egressTickMs` outside 0…1,000
   */
  constructor(options: RtmpHandlerOptions = {}) {
    this.#options = options;
    this.name = options.tls ? "rtmps" : "rtmp";
    // Frames FLV cannot carry (e.g. VVC) are skipped; reported once per stream.
    const chunkSize = options.chunkSize ?? DEFAULT_OUT_CHUNK_SIZE;
    this.#egress = new JoinedEgress(
      // one stateful format per stream: its type-1 deltas follow stream order
      () => rtmpChunkFormat(chunkSize),
      {
        ...(options.egressTickMs !== undefined
          ? { egressTickMs: options.egressTickMs }
          : {}),
        onUnsupported: (stream, frame) =>
          this.#host?.events.emit({
            type: "handlerError",
            name: this.name,
            error: new StreamError(
              "Unsupported",
              `Cannot play ${frame.codec} of ${stream.key} over RTMP: FLV cannot carry it (skipped)`,
            ),
          }),
      },
    );
    this.#listening = new Promise((resolve, reject) => {
      this.#resolveListening = resolve;
      this.#rejectListening = reject;
    });
    this.#listening.catch(() => {});
  }

  /** Resolves with the bound address once `serve()` is listening. */
  get listening(): Promise<RtmpListenAddress> {
    return this.#listening;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Bytes queued for writing over all connections: what the server holds for
   * slow peers (at most one batch per player, however slow it is).
   */
  get pendingWriteBytes(): number {
    let n = 0;
    for (const c of this.#connections) n += c.pendingWriteBytes;
    return n;
  }

  /** Connections refused by {@linkcode RtmpHandlerOptions.maxConnections} or the gate. */
  get refusedConnections(): number {
    return this.#refused;
  }

  #auditRefusal(engine: StreamHost, conn: Deno.Conn, reason: string): void {
    const addr = conn.remoteAddr as Deno.NetAddr;
    engine.audit.record({
      type: "clientDropped",
      at: engine.clock.now(),
      protocol: this.name,
      remoteAddr: `${addr.hostname}:${addr.port}`,
      code: "LimitExceeded",
      reason: `connection refused: ${reason}`,
    });
  }

  /**
   * Accept connections until `signal` aborts, then close them all.
   *
   * @param engine the kernel
   * @param signal stops the server
   * @returns resolves once every connection task has finished
   */
  async serve(engine: StreamHost, signal: AbortSignal): Promise<void> {
    const o = this.#options;
    this.#host = engine;
    let listener: Deno.Listener;
    try {
      const addr = {
        hostname: o.hostname ?? "0.0.0.0",
        port: o.port ?? 1935,
        tcpBacklog: o.tcpBacklog ?? 4096,
      };
      listener = o.tls
        ? Deno.listenTls({ ...addr, cert: o.tls.cert, key: o.tls.key })
        : listenTcp({ ...addr, backend: o.tcpBackend });
    } catch (error) {
      this.#rejectListening(error);
      throw error;
    }
    const local = listener.addr as Deno.NetAddr;
    this.#resolveListening({ hostname: local.hostname, port: local.port });
    const maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    const tasks = new Set<Promise<void>>();
    // One options object for every connection (none of its own each).
    const connectionOptions: RtmpConnectionOptions = {
      protocol: this.name,
      chunkSize: o.chunkSize ?? DEFAULT_OUT_CHUNK_SIZE,
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: o.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      ...(o.maxMessageBytes === undefined
        ? {}
        : { maxMessageBytes: o.maxMessageBytes }),
      ...(o.maxChunkStreams === undefined
        ? {}
        : { maxChunkStreams: o.maxChunkStreams }),
      egress: this.#egress,
    };
    // One idle sweep over all connections every half idle timeout (a
    // connection idle for the timeout is dropped within 1.5× of it), not a
    // timer per connection; armed only while there are connections.
    const sweep = new HousekeepingTimer(
      engine.clock,
      Math.max(1, connectionOptions.idleTimeoutMs / 2),
      () => {
        const now = engine.clock.now();
        for (const c of this.#connections) c.sweepIdle(now);
        return this.#connections.size > 0;
      },
    );
    try {
      await acceptLoop(listener, {
        signal,
        clock: engine.clock,
        maxConnections,
        open: () => this.#connections.size,
        ...(o.gate !== undefined ? { gate: o.gate } : {}),
        tasks,
        refused: (conn, _remote, why) => {
          this.#refused++;
          const reason = why === "maxConnections"
            ? "maxConnections reached"
            : why;
          this.#auditRefusal(engine, conn, reason);
          engine.events.emit({
            type: "handlerError",
            name: this.name,
            error: new StreamError(
              "LimitExceeded",
              `Cannot accept RTMP connection: ${
                why === "maxConnections"
                  ? `maxConnections (${maxConnections}) reached`
                  : why
              }`,
            ),
          });
        },
        // e.g. out of file descriptors: the loop backs off instead of spinning
        failed: (error) =>
          engine.events.emit({ type: "handlerError", name: this.name, error }),
        admitted: (conn) => {
          const connection = new RtmpConnection(
            conn,
            engine,
            connectionOptions,
          );
          this.#connections.add(connection);
          sweep.arm();
          return connection.run().finally(() =>
            this.#connections.delete(connection)
          );
        },
      });
    } finally {
      sweep.stop();
      for (const c of this.#connections) c.close("server shutting down");
      await Promise.allSettled([...tasks]);
    }
  }
}
