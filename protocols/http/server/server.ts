// The origin's own HTTP/1.1 server (RFC 9112) over Deno.listen/listenTls,
// running a fetch-style handler (the Hono app). Why not Deno.serve: live
// egress. A Deno.serve streaming body costs every viewer a ReadableStream, a
// pull promise per chunk and an HTTP chunk frame, and there is no way to
// bound how long a client may take to send its request head or how many
// connections are open. Measured here (500 viewers, one 16 KB batch per
// 40 ms each): Deno.serve 145 KB of RSS per viewer, raw socket writes 64 KB;
// 500 slow-header clients stayed open for as long as they liked.
//
// Data path. Accept: a connection cap and an optional per-IP gate decide
// before any byte is read (refusals are audited). Head: read into a buffer
// that starts at 2 KiB and grows to `maxHeadBytes`; the whole head must
// arrive within `headerTimeoutMs` (slowloris), else the socket is closed.
// The head is parsed by _parse.ts (bounded, refuses smuggling shapes), a
// small Content-Length body is read (`maxBodyBytes`), then the handler gets
// a standard `Request` (marked as served by a live-body host) and an info
// object with `remoteAddr` and `completed`. Response: the head is serialized
// once; a body with a Content-Length streams as is; a body without one is
// read ahead up to 256 KiB: if it ends there it goes out with a
// Content-Length (head and body in one write when small), else chunked. A
// live body (HTTP-FLV, WS-FLV; ../live_body.ts) is never read: the server
// writes the head and hands the
// socket to `run(sink)`, whose writes go straight to `conn.write` (one write
// per shared batch, the batch bytes shared by all viewers). Keep-alive and
// pipelining: requests on one connection are served in order; between them
// the connection waits at most `headerTimeoutMs` for the next head.
//
// Memory per connection: the head buffer (2–16 KiB, dropped when a direct
// body starts), the Request/Response objects while a request runs, nothing
// per chunk on live bodies. Shutdown: the listener closes, idle
// connections close at once, requests in flight get `shutdownGraceMs`, then
// every connection is closed.
//
// Files (protocols/http/server/, the adapter folder of the own server):
// this one (accept loop, shutdown), types.ts (limits, handler info),
// _connection.ts (one connection's requests), _parse.ts (request heads),
// _response.ts (response serialization), _live.ts (live bodies written to
// the socket: HTTP and WebSocket), _io.ts (what a connection offers its
// writers), _websocket.ts (RFC 6455 frames). The accept loop and its
// admission control are the network layer's (protocols/net/), the same the
// RTMP server runs.
import type { Clock } from "../../../src/clock.ts";
import type { ConnectionGate } from "../../../src/connection_gate.ts";
import { Connection } from "./_connection.ts";
import { acceptLoop } from "../../net/mod.ts";
import type {
  Http1Handler,
  Http1Hooks,
  Http1Limits,
  ServerInternals,
} from "./types.ts";

export {
  DEFAULT_HTTP1_LIMITS,
  type Http1Handler,
  type Http1HandlerInfo,
  type Http1Hooks,
  type Http1Limits,
} from "./types.ts";

/** A running server: counters for tests, stats and the dashboard. */
export class Http1Server {
  #listener: Deno.Listener;
  #handler: Http1Handler;
  #clock: Clock;
  #limits: Http1Limits;
  #hooks: Http1Hooks;
  #gate: ConnectionGate | undefined;
  #tls: boolean;
  #connections = new Set<Connection>();
  #refused = 0;
  #dateSecond = -1;
  #internals: ServerInternals | undefined;
  #date = "";

  constructor(
    listener: Deno.Listener,
    handler: Http1Handler,
    options: {
      clock: Clock;
      limits: Http1Limits;
      hooks: Http1Hooks;
      gate?: ConnectionGate;
      tls: boolean;
    },
  ) {
    this.#listener = listener;
    this.#handler = handler;
    this.#clock = options.clock;
    this.#limits = options.limits;
    this.#hooks = options.hooks;
    this.#gate = options.gate;
    this.#tls = options.tls;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Connections refused at accept or dropped for a slow or bad head. */
  get refusedCount(): number {
    return this.#refused;
  }

  /** Accept until `signal` aborts; then shut down (see the module doc). */
  async serve(signal: AbortSignal): Promise<void> {
    const tasks = new Set<Promise<void>>();
    try {
      await acceptLoop(this.#listener, {
        signal,
        clock: this.#clock,
        maxConnections: this.#limits.maxConnections,
        open: () => this.#connections.size,
        ...(this.#gate !== undefined ? { gate: this.#gate } : {}),
        tasks,
        refused: (_conn, remote, why) => {
          this.#refused++;
          this.#hooks.onRefused(
            remote,
            `connection refused: ${
              why === "maxConnections"
                ? `maxConnections (${this.#limits.maxConnections}) reached`
                : why
            }`,
            "LimitExceeded",
          );
        },
        failed: (error) => this.#hooks.onError(error),
        admitted: (conn, remote) => {
          // Small replies and the first bytes of a live body go out at once.
          if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
          const connection = new Connection(conn, remote, this.internals);
          this.#connections.add(connection);
          // run() never rejects and releases the connection itself (no
          // promise chain per connection here).
          return connection.run();
        },
      });
    } finally {
      for (const c of this.#connections) c.shutdown();
      if (tasks.size > 0) {
        let cancel = (): void => {};
        const grace = new Promise<void>((r) => {
          cancel = this.#clock.setTimer(this.#limits.shutdownGraceMs, r);
        });
        await Promise.race([Promise.allSettled([...tasks]), grace]);
        cancel();
        for (const c of this.#connections) c.abort();
        await Promise.allSettled([...tasks]);
      }
    }
  }

  /** What every Connection shares (one object per server, not per connection). */
  get internals(): ServerInternals {
    this.#internals ??= {
      handler: this.#handler,
      clock: this.#clock,
      limits: this.#limits,
      hooks: this.#hooks,
      tls: this.#tls,
      dropped: () => this.#refused++,
      date: () => this.#httpDate(),
      release: (connection) =>
        this.#connections.delete(connection as Connection),
    };
    return this.#internals;
  }

  #httpDate(): string {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#date = new Date(second * 1000).toUTCString();
    }
    return this.#date;
  }
}
