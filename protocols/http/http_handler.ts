/**
 * {@linkcode HttpHandler}: the HTTP egress as a kernel `ProtocolHandler`,
 * running `Deno.serve` (HTTP or HTTPS) until the engine's signal aborts.
 *
 * Shutdown: when the signal aborts, the server stops accepting and
 * `server.shutdown()` waits for in-flight responses; the engine ends every
 * stream at the same moment, so long-lived HTTP-FLV bodies finish on their
 * own, and LL-HLS blocking requests are bounded by their timeout.
 *
 * @module
 */
import type { Engine, ProtocolHandler } from "../../src/mod.ts";
import { clientKeyOf, type RateLimiter } from "../../src/rate_limiter.ts";
import { createHttpApp, type HttpAppOptions } from "./app.ts";

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
}

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

  /**
   * Serve until `signal` aborts, then shut the server down gracefully.
   *
   * @param engine the engine whose streams are served
   * @param signal aborts to stop
   */
  async serve(engine: Engine, signal: AbortSignal): Promise<void> {
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
    const listen = {
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? 8080,
      onListen: (address: Deno.NetAddr): void => {
        this.#port = address.port;
        const bound = { hostname: address.hostname, port: address.port };
        this.#listening.resolve(bound);
        options.onListen?.(bound);
      },
    };
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
