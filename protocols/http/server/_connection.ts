// One connection of the origin's HTTP/1.1 server: requests in order
// (keep-alive, pipelining), each head within `headerTimeoutMs`, then maybe a
// live body that owns the socket until it ends (see server.ts for the
// whole data path).
import { type LiveBody, liveBodyOf, markLiveHost } from "../live_body.ts";
import { runWebSocketBody, StreamSink } from "./_live.ts";
import { closeQuietly, isDisconnect, writeAll } from "../../net/mod.ts";
import type { ConnIo } from "./_io.ts";
import { HeadError, parseRequestHead, type RequestHead } from "./_parse.ts";
import {
  errorResponse,
  statusAndHeaders,
  upgradeHeaders,
  writeResponse,
} from "./_response.ts";
import type { Http1HandlerInfo, ServerInternals } from "./types.ts";
import { acceptKeyOf, isWebSocketKey } from "./_websocket.ts";

const INITIAL_HEAD_BUFFER = 2048;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Serving a request led to a live body (`Connection.#live`). */
const LIVE = 2;
/** What serving one request leads to: keep the connection, close it, or run a live body. */
type Step = boolean | typeof LIVE;

/**
 * A live body about to run: what it needs from its request and response.
 * The viewer's `run()` frame keeps this object for the body's lifetime, so
 * an HTTP stream's head is written before (`head` and `early` empty: no
 * buffer pinned per viewer).
 */
interface LiveStart {
  /** The 101 of a WebSocket upgrade (empty for HTTP: already written). */
  head: Uint8Array;
  direct: LiveBody;
  websocket: boolean;
  /** HTTP/1.1: the body goes out as chunks. */
  chunked: boolean;
  /** WebSocket: bytes read after the upgrade request (its first frames). */
  early: Uint8Array;
}

/**
 * The handler's info; `completed` is made only if the handler asks for it
 * (no promise per viewer otherwise).
 */
class HandlerInfo implements Http1HandlerInfo {
  readonly remoteAddr: Deno.NetAddr;
  #completed: PromiseWithResolvers<void> | null = null;
  #done = false;

  constructor(remoteAddr: Deno.NetAddr) {
    this.remoteAddr = remoteAddr;
  }

  get completed(): Promise<void> {
    if (this.#completed === null) {
      this.#completed = Promise.withResolvers<void>();
      if (this.#done) this.#completed.resolve();
    }
    return this.#completed.promise;
  }

  resolve(): void {
    this.#done = true;
    this.#completed?.resolve();
  }
}

/** One connection: requests in order, then maybe a live body. */
export class Connection implements ConnIo {
  #conn: Deno.Conn;
  #remote: Deno.NetAddr;
  #server: ServerInternals;
  #buf: Uint8Array = new Uint8Array(INITIAL_HEAD_BUFFER);
  #length = 0;
  #closed = false;
  /** True while waiting for a request head (safe to close at shutdown). */
  #idle = true;
  #shuttingDown = false;
  /** Set by #respond when the response is a live body, taken by run(). */
  #live: LiveStart | null = null;
  /** The info of the request whose live body runs (resolved at its end). */
  #info: HandlerInfo | null = null;

  constructor(conn: Deno.Conn, remote: Deno.NetAddr, server: ServerInternals) {
    this.#conn = conn;
    this.#remote = remote;
    this.#server = server;
  }

  /** The socket. */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** True once the socket was closed. */
  get closed(): boolean {
    return this.#closed;
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

  /**
   * Serve the connection until it closes; never rejects (an unexpected
   * failure goes to `hooks.onError`), and the server forgets the
   * connection at the end.
   */
  async run(): Promise<void> {
    const s = this.#server;
    try {
      while (!this.#closed && !this.#shuttingDown) {
        const next = await this.#serveOne();
        if (next === LIVE) {
          // A live body runs here, after the request's own frames returned:
          // the viewer's lifetime holds no Request, Response or head, and
          // no frame of its own but this one.
          const live = this.#live!;
          this.#live = null;
          try {
            if (live.websocket) {
              await runWebSocketBody(this, live.head, live.direct, live.early);
            } else {
              const sink = new StreamSink(
                this,
                live.chunked,
                live.direct.chunked === true,
              );
              await live.direct.run(sink);
              await sink.end();
            }
          } finally {
            this.#info?.resolve();
            this.#info = null;
          }
          break;
        }
        if (!next) break;
      }
    } catch (error) {
      if (!isDisconnect(error) && !this.#closed) s.hooks.onError(error);
    } finally {
      this.abort();
      s.release(this);
    }
  }

  /**
   * Serve one request: true to read the next one, false to close, or LIVE:
   * run the live body in `#live` (then close).
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
    const info = new HandlerInfo(this.#remote);
    // Live routes hand this server their live body (HTTP/1.1: chunked).
    markLiveHost(request, head.minorVersion === 1);
    let live = false;
    try {
      let response: Response;
      try {
        response = await s.handler(request, info);
      } catch (error) {
        s.hooks.onError(error);
        response = new Response("Internal Server Error", { status: 500 });
      }
      const direct = liveBodyOf(response);
      if (direct !== undefined) {
        live = await this.#prepareDirect(
          request,
          response,
          direct,
          head.minorVersion === 1,
        );
        if (!live) return false;
        this.#info = info;
        return LIVE;
      }
      const keepAlive = head.keepAlive && !this.#shuttingDown;
      return await writeResponse(
        this,
        s.date(),
        request.method,
        head,
        response,
        keepAlive,
      );
    } finally {
      if (!live) info.resolve();
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
    try {
      // The parsed pairs as they are: the Request builds its Headers once
      // (a Headers object as init would be built, then iterated and copied).
      const init: RequestInit = { method: head.method, headers: head.headers };
      if (body.length > 0 && head.method !== "GET" && head.method !== "HEAD") {
        init.body = body;
      }
      return new Request(url, init);
    } catch {
      return null;
    }
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

  #sendError(status: number, message: string): Promise<void> {
    return this.write(errorResponse(status, message, this.#server.date()));
  }

  /** Write all of `bytes`. */
  write(bytes: Uint8Array): Promise<void> {
    return writeAll(this.#conn, bytes);
  }

  /**
   * Everything a live body needs from the request and response, taken now
   * into `#live` (true: run it); false when answered already (a refused
   * upgrade, a HEAD, an error status).
   */
  async #prepareDirect(
    request: Request,
    response: Response,
    direct: LiveBody,
    http11: boolean,
  ): Promise<boolean> {
    // No more request heads on this connection; bytes already read after
    // this head are the first WebSocket frames (or ignored for HTTP).
    const early = direct.kind === "websocket" && this.#length > 0
      ? this.#buf.slice(0, this.#length)
      : EMPTY;
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
        direct.cancel("bad WebSocket upgrade");
        await this.#refuseRequest(400, "bad WebSocket upgrade");
        return false;
      }
      const head = encoder.encode(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n` +
          `sec-websocket-accept: ${await acceptKeyOf(key)}\r\n` +
          upgradeHeaders(response) + "\r\n",
      );
      this.#live = { head, direct, websocket: true, chunked: false, early };
      return true;
    }
    // HTTP/1.1: chunked, so the end of the stream is a clean end of body
    // (ffmpeg reports a close-delimited end as "Stream ends prematurely").
    const head = encoder.encode(
      statusAndHeaders(response, this.#server.date()) +
        (http11 ? "transfer-encoding: chunked\r\n" : "") +
        "connection: close\r\n\r\n",
    );
    if (request.method === "HEAD" || response.status !== 200) {
      // Nothing to stream: answer the head only (run() never starts).
      direct.cancel("no body");
      await this.write(head);
      return false;
    }
    // The head goes out now: the viewer's lifetime keeps no copy of it.
    try {
      await this.write(head);
    } catch (error) {
      direct.cancel("viewer left before the response head");
      throw error;
    }
    this.#live = {
      head: EMPTY,
      direct,
      websocket: false,
      chunked: http11,
      early: EMPTY,
    };
    return true;
  }
}
