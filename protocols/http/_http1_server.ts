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
// The head is parsed by http1_parse.ts (bounded, refuses smuggling shapes),
// a small Content-Length body is read (`maxBodyBytes`), then the handler
// gets a standard `Request` and an info object with `remoteAddr`,
// `completed` and DIRECT_HOST. Response: the head is serialized once; a body
// with a Content-Length streams as is; a body without one is read ahead up to
// 256 KiB: if it ends there it goes out with a Content-Length (head and body
// in one write when small), else chunked. A body registered as a DirectBody
// (HTTP-FLV, WS-FLV) is never read: the server writes the head and hands the
// socket to `run(sink)`, whose writes go straight to `conn.write` (one write
// per shared batch, the batch bytes shared by all viewers). Keep-alive and
// pipelining: requests on one connection are served in order; between them
// the connection waits at most `headerTimeoutMs` for the next head.
//
// Memory per connection: the head buffer (2–16 KiB, dropped when a direct
// body starts), the Request/Response objects while a request runs, nothing
// per chunk on direct bodies. Shutdown: the listener closes, idle
// connections close at once, requests in flight get `shutdownGraceMs`, then
// every connection is closed.
import { StreamError } from "../../media/stream_error.ts";
import type { Clock } from "../../src/clock.ts";
import { clientKeyOf, type ConnectionGate } from "../../src/rate_limiter.ts";
import {
  DIRECT_HOST,
  type DirectBody,
  directBodyOf,
  type DirectSink,
} from "./_direct_body.ts";
import {
  HeadError,
  parseRequestHead,
  type RequestHead,
} from "./_http1_parse.ts";
import {
  acceptKeyOf,
  ClientFrameReader,
  closeFrame,
  encodeFrame,
  isWebSocketKey,
  OP_CLOSE,
  OP_PING,
  OP_PONG,
} from "./_websocket.ts";

/** Limits and timeouts of the server. */
export interface Http1Limits {
  /** Open connections at most; more are closed at accept. */
  maxConnections: number;
  /** Longest request head, bytes (431 past it). */
  maxHeadBytes: number;
  /** Most header fields in a head (431 past it). */
  maxHeaders: number;
  /** Longest request body, bytes (413 past it). */
  maxBodyBytes: number;
  /** A request head (and its body) must arrive within this, ms. */
  headerTimeoutMs: number;
  /** Requests in flight get this long after shutdown starts, ms. */
  shutdownGraceMs: number;
}

/** Defaults: 10,000 connections, 16 KiB heads, 100 fields, 1 MiB bodies, 10 s, 5 s. */
export const DEFAULT_HTTP1_LIMITS: Readonly<Http1Limits> = Object.freeze({
  maxConnections: 10_000,
  maxHeadBytes: 16 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 1 << 20,
  headerTimeoutMs: 10_000,
  shutdownGraceMs: 5_000,
});

/** What the handler gets besides the request (Deno.ServeHandlerInfo-like). */
export interface Http1HandlerInfo {
  remoteAddr: Deno.NetAddr;
  /** Resolves once the response was written (or the connection failed). */
  completed: Promise<void>;
  [DIRECT_HOST]: true;
}

/** The server state connections use. */
interface ServerInternals {
  handler: Http1Handler;
  clock: Clock;
  limits: Http1Limits;
  hooks: Http1Hooks;
  tls: boolean;
  dropped: () => void;
  date: () => string;
}

/** What serving one request leads to: keep the connection, close it, or run a direct body. */
type Step = boolean | (() => Promise<void>);

/** A fetch-style handler. */
export type Http1Handler = (
  request: Request,
  info: Http1HandlerInfo,
) => Response | Promise<Response>;

/** Server-wide hooks and counters. */
export interface Http1Hooks {
  /** A connection was refused or dropped (cap, gate, slow head, bad head). */
  onRefused(
    remote: Deno.NetAddr,
    reason: string,
    code: "LimitExceeded" | "Timeout" | "Protocol",
  ): void;
  /** An unexpected failure (accept errors, a handler that threw). */
  onError(error: unknown): void;
}

const INITIAL_HEAD_BUFFER = 2048;
const BUFFERED_BODY_LIMIT = 256 * 1024;
const SMALL_RESPONSE = 16 * 1024;
const ACCEPT_RETRY_MS = 100;
const encoder = new TextEncoder();

const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  410: "Gone",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** Response headers the server owns (framing and connection management). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "upgrade",
  "date",
]);

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
    const stop = (): void => {
      try {
        this.#listener.close();
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    };
    signal.addEventListener("abort", stop, { once: true });
    const tasks = new Set<Promise<void>>();
    try {
      while (!signal.aborted) {
        let conn: Deno.Conn;
        try {
          conn = await this.#listener.accept();
        } catch (error) {
          if (signal.aborted || error instanceof Deno.errors.BadResource) break;
          this.#hooks.onError(error);
          await new Promise<void>((r) =>
            this.#clock.setTimer(ACCEPT_RETRY_MS, r)
          );
          continue;
        }
        const remote = conn.remoteAddr as Deno.NetAddr;
        if (this.#connections.size >= this.#limits.maxConnections) {
          this.#refuse(
            conn,
            remote,
            `maxConnections (${this.#limits.maxConnections}) reached`,
          );
          continue;
        }
        const decision = this.#gate?.admit(clientKeyOf(remote.hostname));
        if (decision !== undefined && !decision.ok) {
          this.#refuse(conn, remote, decision.reason);
          continue;
        }
        // Small replies and the first bytes of a live body go out at once.
        if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
        const connection = new Connection(conn, remote, this);
        this.#connections.add(connection);
        const task = connection.run().catch((error) =>
          this.#hooks.onError(error)
        )
          .finally(() => {
            if (decision?.ok) decision.release();
            this.#connections.delete(connection);
            tasks.delete(task);
          });
        tasks.add(task);
      }
    } finally {
      signal.removeEventListener("abort", stop);
      stop();
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

  #refuse(conn: Deno.Conn, remote: Deno.NetAddr, reason: string): void {
    this.#refused++;
    closeQuietly(conn);
    this.#hooks.onRefused(
      remote,
      `connection refused: ${reason}`,
      "LimitExceeded",
    );
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

/** One connection: requests in order, then maybe a direct body. */
class Connection {
  #conn: Deno.Conn;
  #remote: Deno.NetAddr;
  #server: ServerInternals;
  #buf: Uint8Array = new Uint8Array(INITIAL_HEAD_BUFFER);
  #length = 0;
  #closed = false;
  /** True while waiting for a request head (safe to close at shutdown). */
  #idle = true;
  #shuttingDown = false;

  constructor(conn: Deno.Conn, remote: Deno.NetAddr, server: Http1Server) {
    this.#conn = conn;
    this.#remote = remote;
    this.#server = server.internals;
  }

  /** Shutdown started: close now if idle, else after the current response. */
  shutdown(): void {
    this.#shuttingDown = true;
    if (this.#idle) this.abort();
  }

  /** Close the socket now (pending reads and writes reject). */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
  }

  async run(): Promise<void> {
    try {
      while (!this.#closed && !this.#shuttingDown) {
        const next = await this.#serveOne();
        if (typeof next === "function") {
          // A direct body runs here, after the request's own frames returned:
          // the viewer's lifetime holds no Request, Response or head.
          await next();
          break;
        }
        if (!next) break;
      }
    } catch (error) {
      if (!isDisconnect(error) && !this.#closed) throw error;
    } finally {
      this.abort();
    }
  }

  /**
   * Serve one request: true to read the next one, false to close, or a
   * direct body to run (then close).
   */
  async #serveOne(): Promise<Step> {
    const s = this.#server;
    this.#idle = true;
    let timedOut = false;
    const cancel = s.clock.setTimer(s.limits.headerTimeoutMs, () => {
      timedOut = true;
      this.abort();
    });
    let head: RequestHead | null;
    let body: Uint8Array<ArrayBuffer> | null = null;
    try {
      head = await this.#readHead();
      if (head === null) return false; // clean close between requests
      this.#idle = false;
      if (head.chunked) {
        await this.#refuseRequest(
          501,
          "chunked request bodies are not supported",
        );
        return false;
      }
      if (head.contentLength > s.limits.maxBodyBytes) {
        await this.#refuseRequest(
          413,
          `request body over ${s.limits.maxBodyBytes} bytes`,
        );
        return false;
      }
      body = await this.#readBody(head);
      if (body === null) return false;
    } catch (error) {
      if (error instanceof HeadError) {
        s.dropped();
        s.hooks.onRefused(
          this.#remote,
          `bad request head: ${error.message}`,
          "Protocol",
        );
        await this.#sendError(error.status, error.message).catch(() => {});
        return false;
      }
      if (timedOut) {
        s.dropped();
        s.hooks.onRefused(
          this.#remote,
          `request head not complete within ${s.limits.headerTimeoutMs} ms`,
          "Timeout",
        );
        return false;
      }
      throw error;
    } finally {
      cancel();
    }
    return await this.#respond(head, body);
  }

  /** Read until a complete head is buffered; null on EOF before any byte. */
  async #readHead(): Promise<RequestHead | null> {
    const limits = this.#server.limits;
    while (true) {
      if (this.#length > 0) {
        const head = parseRequestHead(this.#buf, this.#length, limits);
        if (head !== null) return head;
      }
      if (this.#length === this.#buf.length) {
        const grown = new Uint8Array(
          Math.min(this.#buf.length * 2, limits.maxHeadBytes),
        );
        grown.set(this.#buf);
        this.#buf = grown;
      }
      const n = await this.#conn.read(this.#buf.subarray(this.#length));
      if (n === null) {
        if (this.#length === 0) return null;
        throw new HeadError(
          400,
          "Cannot parse request: connection closed mid-head",
        );
      }
      this.#length += n;
    }
  }

  /** The body bytes (empty when none); consumes them from the buffer. */
  async #readBody(head: RequestHead): Promise<Uint8Array<ArrayBuffer> | null> {
    const need = head.contentLength;
    const available = this.#length - head.headBytes;
    let body: Uint8Array<ArrayBuffer>;
    if (need === 0) body = new Uint8Array(0);
    else {
      body = new Uint8Array(need);
      const fromBuffer = Math.min(need, available);
      body.set(this.#buf.subarray(head.headBytes, head.headBytes + fromBuffer));
      let at = fromBuffer;
      while (at < need) {
        const n = await this.#conn.read(body.subarray(at));
        if (n === null) return null;
        at += n;
      }
    }
    // Keep what follows (a pipelined request) at the start of the buffer.
    const consumed = Math.min(this.#length, head.headBytes + need);
    this.#buf.copyWithin(0, consumed, this.#length);
    this.#length -= consumed;
    return body;
  }

  async #respond(
    head: RequestHead,
    body: Uint8Array<ArrayBuffer>,
  ): Promise<Step> {
    const s = this.#server;
    const request = this.#toRequest(head, body);
    if (request === null) {
      await this.#refuseRequest(400, "bad Host or request target");
      return false;
    }
    const completed = Promise.withResolvers<void>();
    const info: Http1HandlerInfo = {
      remoteAddr: this.#remote,
      completed: completed.promise,
      [DIRECT_HOST]: true,
    };
    let direct: DirectBody | undefined;
    try {
      let response: Response;
      try {
        response = await s.handler(request, info);
      } catch (error) {
        s.hooks.onError(error);
        response = new Response("Internal Server Error", { status: 500 });
      }
      direct = directBodyOf(response);
      if (direct !== undefined) {
        const start = await this.#prepareDirect(request, response, direct);
        return () => start().finally(() => completed.resolve());
      }
      const keepAlive = head.keepAlive && !this.#shuttingDown;
      return await this.#writeResponse(
        request.method,
        head,
        response,
        keepAlive,
      );
    } finally {
      if (direct === undefined) completed.resolve();
    }
  }

  #toRequest(head: RequestHead, body: Uint8Array<ArrayBuffer>): Request | null {
    let host = "";
    for (const [name, value] of head.headers) {
      if (name === "host") {
        if (host !== "") return null; // two Host fields (RFC 9112 §3.2)
        host = value;
      }
    }
    const local = this.#server.tls ? "https" : "http";
    let url: string;
    if (head.target.startsWith("/")) {
      if (host === "" && head.minorVersion === 1) return null;
      if (
        host !== "" &&
        !/^[A-Za-z0-9.\-_~%]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(
          host,
        )
      ) {
        return null;
      }
      url = `${local}://${host || "localhost"}${head.target}`;
    } else if (/^https?:\/\//i.test(head.target)) {
      url = head.target; // absolute-form (RFC 9112 §3.2.2)
    } else return null;
    let headers: Headers;
    try {
      headers = new Headers(head.headers);
      const init: RequestInit = { method: head.method, headers };
      if (body.length > 0 && head.method !== "GET" && head.method !== "HEAD") {
        init.body = body;
      }
      return new Request(url, init);
    } catch {
      return null;
    }
  }

  /** Write a normal response; true when the connection may be reused. */
  async #writeResponse(
    method: string,
    head: RequestHead,
    response: Response,
    keepAlive: boolean,
  ): Promise<boolean> {
    const status = response.status;
    const noBody = method === "HEAD" || status === 204 || status === 304 ||
      status < 200;
    const declared = response.headers.get("content-length");
    let lines = this.#statusAndHeaders(response);
    const chunks: Uint8Array[] = [];
    let total = 0;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let ended = true;
    if (noBody) {
      if (declared !== null && status !== 304 && status !== 204) {
        lines += `content-length: ${declared}\r\n`;
      }
      await response.body?.cancel().catch(() => {});
    } else if (response.body !== null) {
      reader = response.body.getReader();
      ended = false;
      if (declared === null) {
        // Read ahead: a body that ends soon gets a Content-Length.
        while (total <= BUFFERED_BODY_LIMIT) {
          const r = await reader.read();
          if (r.done) {
            ended = true;
            break;
          }
          chunks.push(r.value);
          total += r.value.length;
        }
      }
    }
    const chunked = !noBody && !ended && declared === null;
    if (!noBody) {
      if (chunked) {
        lines += head.minorVersion === 1
          ? "transfer-encoding: chunked\r\n"
          : "";
      } else {
        lines += `content-length: ${declared ?? total}\r\n`;
      }
    }
    // HTTP/1.0 cannot take chunks: its body ends with the connection.
    const reuse = keepAlive && !(chunked && head.minorVersion === 0);
    lines += reuse
      ? (head.minorVersion === 0 ? "connection: keep-alive\r\n" : "")
      : "connection: close\r\n";
    const headBytes = encoder.encode(lines + "\r\n");
    if (!chunked && total <= SMALL_RESPONSE && chunks.length > 0) {
      await this.#write(
        concat([headBytes, ...chunks], headBytes.length + total),
      );
    } else {
      await this.#write(headBytes);
      for (const c of chunks) await this.#writeBodyChunk(c, chunked, head);
    }
    if (reader !== undefined && !ended) {
      let sent = total;
      while (true) {
        const r = await reader.read();
        if (r.done) break;
        sent += r.value.length;
        await this.#writeBodyChunk(r.value, chunked, head);
      }
      if (chunked && head.minorVersion === 1) await this.#write(LAST_CHUNK);
      if (declared !== null && String(sent) !== declared) return false;
    }
    return reuse;
  }

  async #writeBodyChunk(
    bytes: Uint8Array,
    chunked: boolean,
    head: RequestHead,
  ): Promise<void> {
    if (bytes.length === 0) return;
    if (!chunked || head.minorVersion === 0) return await this.#write(bytes);
    const size = encoder.encode(`${bytes.length.toString(16)}\r\n`);
    if (bytes.length <= SMALL_RESPONSE) {
      return await this.#write(
        concat([size, bytes, CRLF], size.length + bytes.length + 2),
      );
    }
    await this.#write(size);
    await this.#write(bytes);
    await this.#write(CRLF);
  }

  #statusAndHeaders(response: Response, status = response.status): string {
    let lines = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n` +
      `date: ${this.#server.date()}\r\n`;
    for (const [name, value] of response.headers) {
      if (!HOP_BY_HOP.has(name)) lines += `${name}: ${value}\r\n`;
    }
    return lines;
  }

  /** Answer `status`, audit the refusal; the connection closes after it. */
  async #refuseRequest(status: number, message: string): Promise<void> {
    this.#server.dropped();
    this.#server.hooks.onRefused(
      this.#remote,
      `request refused (${status}): ${message}`,
      status === 413 ? "LimitExceeded" : "Protocol",
    );
    await this.#sendError(status, message);
  }

  async #sendError(status: number, message: string): Promise<void> {
    const text = `${REASONS[status] ?? "Error"}: ${message}\n`;
    const body = encoder.encode(text);
    const head = encoder.encode(
      `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
        `date: ${this.#server.date()}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
    );
    await this.#write(concat([head, body], head.length + body.length));
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let p = 0;
    while (p < bytes.length) {
      p += await this.#conn.write(p === 0 ? bytes : bytes.subarray(p));
    }
  }

  /** Hand the socket to a direct body (HTTP-FLV, WS-FLV); the connection closes after it. */
  /**
   * Everything a direct body needs from the request and response, taken
   * now; the returned runner holds only that (and the body).
   */
  async #prepareDirect(
    request: Request,
    response: Response,
    direct: DirectBody,
  ): Promise<() => Promise<void>> {
    // No more request heads on this connection; bytes already read after
    // this head are the first WebSocket frames (or ignored for HTTP).
    const early = this.#buf.slice(0, this.#length);
    this.#buf = EMPTY;
    this.#length = 0;
    if (direct.kind === "websocket") {
      const key = request.headers.get("sec-websocket-key");
      const upgrade = request.headers.get("upgrade")?.toLowerCase();
      const version = request.headers.get("sec-websocket-version");
      if (
        request.method !== "GET" || upgrade !== "websocket" ||
        !isWebSocketKey(key) || version !== "13"
      ) {
        return () => this.#refuseRequest(400, "bad WebSocket upgrade");
      }
      let lines =
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
        `sec-websocket-accept: ${await acceptKeyOf(key)}\r\n`;
      for (const [name, value] of response.headers) {
        if (!HOP_BY_HOP.has(name) && !name.startsWith("content-")) {
          lines += `${name}: ${value}\r\n`;
        }
      }
      const head = encoder.encode(lines + "\r\n");
      return () => this.#runWebSocket(head, direct, early);
    }
    const head = encoder.encode(
      this.#statusAndHeaders(response) + "connection: close\r\n\r\n",
    );
    if (request.method === "HEAD" || response.status !== 200) {
      // Nothing to stream: answer the head only (run() never starts).
      return () => this.#write(head);
    }
    return () => this.#runStream(head, direct);
  }

  /** A close-delimited live body (RFC 9112 §6.3, rule 8): no chunk framing, each shared batch written as it is. */
  async #runStream(head: Uint8Array, direct: DirectBody): Promise<void> {
    await this.#write(head);
    const gone = Promise.withResolvers<void>();
    const conn = this.#conn;
    const sink: DirectSink = {
      // One op promise and one reaction per write (a failure rejects it and
      // ends run()); partial writes finish in #write.
      write: (bytes) =>
        conn.write(bytes).then((n) =>
          n < bytes.length ? this.#write(bytes.subarray(n)) : undefined
        ),
      abort: () => {
        gone.resolve();
        this.abort();
      },
      peerGone: gone.promise,
    };
    await direct.run(sink);
  }

  async #runWebSocket(
    head: Uint8Array,
    direct: DirectBody,
    early: Uint8Array,
  ): Promise<void> {
    await this.#write(head);
    const gone = Promise.withResolvers<void>();
    // Writes are serialized: media batches from run(), pongs and the close from the reader.
    let tail: Promise<void> = Promise.resolve();
    const send = (frame: Uint8Array): Promise<void> => {
      const next = tail.then(() => this.#write(frame));
      tail = next.catch(() => {});
      return next;
    };
    let closeSent = false;
    const sendClose = (code: number): void => {
      if (closeSent) return;
      closeSent = true;
      send(closeFrame(code)).catch(() => {}).finally(() => gone.resolve());
    };
    const reading = (async () => {
      const reader = new ClientFrameReader();
      const buf = new Uint8Array(1024);
      try {
        let pending = early;
        while (!this.#closed) {
          if (pending.length === 0) {
            const n = await this.#conn.read(buf);
            if (n === null) break;
            pending = buf.subarray(0, n);
          }
          const bytes = pending;
          pending = EMPTY;
          for (const frame of reader.push(bytes)) {
            if (frame.opcode === OP_CLOSE) {
              sendClose(1000);
              return;
            }
            if (frame.opcode === OP_PING) {
              void send(encodeFrame(OP_PONG, frame.payload)).catch(() => {});
            }
          }
        }
      } catch (error) {
        if (error instanceof StreamError) sendClose(1002);
        else if (!isDisconnect(error)) throw error;
      } finally {
        gone.resolve();
      }
    })();
    const sink: DirectSink = {
      // Nothing may follow a close frame (RFC 6455 §5.5.1).
      write: (bytes) =>
        closeSent
          ? Promise.reject(
            new StreamError("Closed", "Cannot write: WebSocket closing"),
          )
          : send(bytes),
      abort: () => {
        gone.resolve();
        this.abort();
      },
      peerGone: gone.promise,
    };
    try {
      await direct.run(sink);
      sendClose(1000);
      await tail;
    } finally {
      // Give the reader the peer's close reply briefly; the socket closes after.
      this.abort();
      await reading.catch(() => {});
    }
  }
}

const EMPTY = new Uint8Array(0);
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.UnexpectedEof;
}
