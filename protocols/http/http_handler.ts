/**
 * {@linkcode HttpHandler}: the HTTP egress as a kernel `ProtocolHandler`,
 * serving {@linkcode createHttpApp} (HTTP or HTTPS) until the engine's
 * signal aborts.
 *
 * Server: by default the origin's own HTTP/1.1 server (`server/`):
 * a connection cap and optional per-IP gate at accept, a deadline for the
 * request head (slowloris), bounded heads and bodies, and HTTP-FLV/WS-FLV
 * bodies written straight to the socket (one write per shared batch, no
 * per-viewer stream or chunk framing). `server: "deno"` runs `Deno.serve`
 * instead (HTTP/2 over TLS; no head deadline or connection cap).
 *
 * Shutdown: when the signal aborts, the server stops accepting, idle
 * connections close, and in-flight responses get a grace period; the engine
 * ends every stream at the same moment, so long-lived HTTP-FLV bodies finish
 * on their own, and LL-HLS blocking requests are bounded by their timeout.
 *
 * @module
 */
import type { ProtocolHandler, StreamHost } from "../../src/mod.ts";
import {
  clientKeyOf,
  type ConnectionGate,
  listenTcp,
  type RateLimiter,
} from "../net/mod.ts";
import { createHttpApp, type HttpAppOptions } from "./app.ts";
import {
  DEFAULT_HTTP1_LIMITS,
  type Http1Limits,
  Http1Server,
} from "./server/server.ts";

/** Options of {@linkcode HttpHandler}. *
 * @example Loopback on a free port
 * ```ts
 * import { HttpHandler, type HttpHandlerOptions } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const options: HttpHandlerOptions = { hostname: "127.0.0.1", port: 0, dashboard: false };
 * const handler = new HttpHandler(options);
 * assert.equal(handler.port, undefined); // not listening until serve()
 * ```
 */
export interface HttpHandlerOptions extends HttpAppOptions {
  /** Interface to bind; default `0.0.0.0`. */
  hostname?: string;
  /** TCP port; default 8080, 0 picks a free one. */
  port?: number;
  /** PEM certificate (with `key`): serve HTTPS. */
  cert?: string;
  /** PEM private key (with `cert`). */
  key?: string;
  /**
   * Per-client request rate (IPv6 grouped by /64): a request over it is
   * answered `429 Too Many Requests` with `Retry-After: 1` before routing,
   * and audited as `clientDropped`. Long-lived bodies (HTTP-FLV) count once.
   */
  rateLimiter?: RateLimiter;
  /** Called once listening, with the bound address (port 0 → the real port). */
  onListen?: (address: { hostname: string; port: number }) => void;
  /**
   * `"arcly"` (default): the origin's own HTTP/1.1 server (limits below,
   * direct HTTP-FLV writes). `"deno"`: `Deno.serve` (HTTP/2 over TLS; the
   * limits below do not apply).
   */
  server?: "arcly" | "deno";
  /** Open connections at most (default 10,000); more are closed at accept and audited. */
  maxConnections?: number;
  /** A request head must arrive within this, ms (default 10,000); slower clients are closed and audited. */
  headerTimeoutMs?: number;
  /** Longest request head, bytes (default 16 KiB; 431 past it). */
  maxHeadBytes?: number;
  /** Per-IP connection caps and accept rate, decided before any byte is read. */
  gate?: ConnectionGate;
  /**
   * Listen queue length (default 4,096; the OS caps it at
   * `net.core.somaxconn`): room for a flash crowd of viewers to wait for
   * accept instead of being dropped (Deno's own default is 511).
   */
  tcpBacklog?: number;
  /**
   * Share the port with other processes (Linux `SO_REUSEPORT`): several
   * edge processes on one host accept on the same address and the kernel
   * spreads connections over them. Needs Deno's `--unstable-net`.
   */
  reusePort?: boolean;
  /**
   * Plain-TCP implementation of the `"arcly"` server: `"deno"` (default,
   * `Deno.listen`) or `"ffi"` (`FfiTcpListener`: sockets over libc, one
   * shared epoll; Linux and `--allow-ffi`, else `StreamError`
   * `Unsupported`). TLS is always Deno's.
   */
  tcpBackend?: "deno" | "ffi";
}

/** Default listen queue of {@linkcode HttpHandler}. */
const DEFAULT_TCP_BACKLOG = 4096;

/**
 * Serves {@linkcode createHttpApp} for an engine.
 *
 * @example Run with the engine
 * ```ts ignore
 * import { HttpHandler } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 *
 * const engine = Engine.builder().build();
 * const http = new HttpHandler({ hostname: "127.0.0.1", port: 0 });
 * const serving = engine.serveUntilSignal([http]);
 * const { port } = await http.listening;
 * // open http://127.0.0.1:${port}/ for the dashboard
 * await serving;
 * ```
 */
export class HttpHandler implements ProtocolHandler {
  /** Always "http". */
  readonly name: string = "http";
  #options: HttpHandlerOptions;
  #port: number | undefined;
  #server: Http1Server | undefined;
  #listening: PromiseWithResolvers<{ hostname: string; port: number }> = Promise
    .withResolvers();

  /**
   * Configure the handler; nothing listens until `serve()`.
   *
   * @param options address, TLS and app options
   */
  constructor(options: HttpHandlerOptions = {}) {
    this.#options = options;
  }

  /** Resolves with the bound address once the server listens. */
  get listening(): Promise<{ hostname: string; port: number }> {
    return this.#listening.promise;
  }

  /** The bound port once listening (useful with port 0), else undefined. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Open connections (the own server; 0 under `server: "deno"`). */
  get connectionCount(): number {
    return this.#server?.connectionCount ?? 0;
  }

  /** Connections refused at accept or closed for a slow or malformed head. */
  get refusedConnections(): number {
    return this.#server?.refusedCount ?? 0;
  }

  /**
   * Serve until `signal` aborts, then shut the server down gracefully.
   *
   * @param engine the engine whose streams are served
   * @param signal aborts to stop
   */
  async serve(engine: StreamHost, signal: AbortSignal): Promise<void> {
    const options = this.#options;
    const app = createHttpApp(engine, options);
    const limiter = options.rateLimiter;
    const handler = limiter === undefined ? app.fetch : (
      request: Request,
      info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    ): Response | Promise<Response> => {
      const ip = info.remoteAddr.hostname;
      if (limiter.tryAcquire(clientKeyOf(ip))) return app.fetch(request, info);
      engine.audit.record({
        type: "clientDropped",
        at: engine.clock.now(),
        protocol: "http",
        remoteAddr: `${ip}:${info.remoteAddr.port}`,
        code: "LimitExceeded",
        reason: "request refused: rateLimited",
      });
      return new Response("Too Many Requests", {
        status: 429,
        headers: { "Retry-After": "1" },
      });
    };
    const hostname = options.hostname ?? "0.0.0.0";
    const port = options.port ?? 8080;
    const bound = (address: Deno.NetAddr): void => {
      this.#port = address.port;
      const at = { hostname: address.hostname, port: address.port };
      this.#listening.resolve(at);
      options.onListen?.(at);
    };
    if (options.server === "deno") {
      return await this.#serveDeno(handler, signal, hostname, port, bound);
    }
    const tls = options.cert !== undefined && options.key !== undefined;
    const tcpBacklog = options.tcpBacklog ?? DEFAULT_TCP_BACKLOG;
    const listener = tls
      ? Deno.listenTls({
        hostname,
        port,
        tcpBacklog,
        cert: options.cert!,
        key: options.key!,
        alpnProtocols: ["http/1.1"],
      })
      : listenTcp({
        hostname,
        port,
        tcpBacklog,
        ...(options.reusePort ? { reusePort: true } : {}),
        backend: options.tcpBackend,
      });
    const limits: Http1Limits = {
      ...DEFAULT_HTTP1_LIMITS,
      ...(options.maxConnections !== undefined
        ? { maxConnections: options.maxConnections }
        : {}),
      ...(options.headerTimeoutMs !== undefined
        ? { headerTimeoutMs: options.headerTimeoutMs }
        : {}),
      ...(options.maxHeadBytes !== undefined
        ? { maxHeadBytes: options.maxHeadBytes }
        : {}),
    };
    const server = new Http1Server(listener, handler, {
      clock: engine.clock,
      limits,
      tls,
      ...(options.gate !== undefined ? { gate: options.gate } : {}),
      hooks: {
        onRefused: (remote, reason, code) =>
          engine.audit.record({
            type: "clientDropped",
            at: engine.clock.now(),
            protocol: tls ? "https" : "http",
            remoteAddr: `${remote.hostname}:${remote.port}`,
            code,
            reason,
          }),
        onError: (error) =>
          engine.events.emit({ type: "handlerError", name: this.name, error }),
      },
    });
    this.#server = server;
    bound(listener.addr as Deno.NetAddr);
    await server.serve(signal);
  }

  async #serveDeno(
    handler: (
      request: Request,
      info: Deno.ServeHandlerInfo<Deno.NetAddr>,
    ) => Response | Promise<Response>,
    signal: AbortSignal,
    hostname: string,
    port: number,
    bound: (address: Deno.NetAddr) => void,
  ): Promise<void> {
    const options = this.#options;
    const listen = { hostname, port, onListen: bound };
    const server = options.cert !== undefined && options.key !== undefined
      ? Deno.serve(
        { ...listen, cert: options.cert, key: options.key },
        handler,
      )
      : Deno.serve(listen, handler);
    if (!signal.aborted) {
      await new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    await server.shutdown();
    await server.finished;
  }
}
