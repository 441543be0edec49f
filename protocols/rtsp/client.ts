/**
 * {@linkcode RtspClientConnection}: one RTSP client connection (TCP, or TLS
 * for `rtsps://`): requests with CSeq, `Session` and authentication handled
 * (a 401 is answered once with Digest or Basic from the URL's user info),
 * interleaved frames handed to a callback.
 *
 * Data path: a background read loop feeds a bounded {@linkcode RtspReader};
 * responses resolve the one outstanding request, interleaved payloads go to
 * `onInterleaved` (copied out of the read buffer). Every wait is bounded by
 * `timeoutMs` on the given clock.
 *
 * @module
 */
import type { Clock } from "../../src/clock.ts";
import { systemClock } from "../../src/clock.ts";
import { StreamError } from "../../media/stream_error.ts";
import { closeQuietly, isDisconnect, noDelay, writeAll } from "../net/mod.ts";
import { RtspHeaders, type RtspResponse } from "./message.ts";
import { RtspReader } from "./reader.ts";
import { serializeRtspRequest } from "./serialize.ts";
import { answerChallenge } from "./auth.ts";
import { parseSessionHeader } from "./headers.ts";

/**
 * Options of {@linkcode RtspClientConnection.connect}.
 *
 * @example
 * ```ts
 * import type { RtspClientOptions } from "@arcly/stream/rtsp";
 * const options: RtspClientOptions = { timeoutMs: 5000 };
 * ```
 */
export interface RtspClientOptions {
  /** Connect and per-request deadline, ms; default 10,000. */
  timeoutMs?: number;
  /** Extra CA certificates (PEM) for `rtsps://`. */
  caCerts?: string[];
  /** Timers; default the system clock. */
  clock?: Clock;
  /** `User-Agent`; default "arcly-stream". */
  userAgent?: string;
}

function withDeadline<T>(
  clock: Clock,
  ms: number,
  what: string,
  promise: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cancel = clock.setTimer(
      ms,
      () =>
        reject(
          new StreamError("Timeout", `Cannot ${what}: no answer in ${ms} ms`),
        ),
    );
    promise.then(
      (v) => {
        cancel();
        resolve(v);
      },
      (e) => {
        cancel();
        reject(e);
      },
    );
  });
}

/**
 * One RTSP client connection (see the module doc).
 *
 * @example Ask a server for its methods
 * ```ts ignore
 * import { RtspClientConnection } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const conn = await RtspClientConnection.connect(new URL("rtsp://127.0.0.1:8554/live/cam"));
 * const res = await conn.request("OPTIONS", "rtsp://127.0.0.1:8554/live/cam");
 * assert.match(res.headers.get("public") ?? "", /DESCRIBE/);
 * conn.close();
 * ```
 */
export class RtspClientConnection {
  #conn: Deno.Conn;
  #clock: Clock;
  #timeoutMs: number;
  #userAgent: string;
  #cseq = 0;
  #pending:
    | {
      cseq: number;
      resolve: (r: RtspResponse) => void;
      reject: (e: unknown) => void;
    }
    | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  #done: Promise<void>;
  #challenges: string[] | undefined;
  #username: string;
  #password: string;
  /** Session id from the first SETUP reply. */
  session: string | undefined;
  /** The session timeout the server announced, seconds. */
  sessionTimeoutS = 60;
  /** Interleaved frames (`$`) from the server. */
  onInterleaved: (channel: number, payload: Uint8Array) => void = () => {};
  /** The server's address (for UDP). */
  readonly remoteHost: string;

  private constructor(conn: Deno.Conn, url: URL, options: RtspClientOptions) {
    this.#conn = conn;
    this.#clock = options.clock ?? systemClock;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#userAgent = options.userAgent ?? "arcly-stream";
    this.#username = decodeURIComponent(url.username);
    this.#password = decodeURIComponent(url.password);
    this.remoteHost = (conn.remoteAddr as Deno.NetAddr).hostname;
    noDelay(conn);
    this.#done = this.#readLoop();
  }

  /**
   * Connect to the server of `url` (port 554, or 322 for `rtsps:`).
   *
   * @param url the stream URL (user info is used to authenticate)
   * @param options deadline, TLS CAs, clock
   * @returns the connection
   * @throws {StreamError} `Timeout`, `InvalidInput` for another scheme
   */
  static async connect(
    url: URL,
    options: RtspClientOptions = {},
  ): Promise<RtspClientConnection> {
    const tls = url.protocol === "rtsps:";
    if (!tls && url.protocol !== "rtsp:") {
      throw new StreamError(
        "InvalidInput",
        `Cannot connect to ${url.protocol}: not rtsp: or rtsps:`,
      );
    }
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const port = url.port === "" ? (tls ? 322 : 554) : Number(url.port);
    const clock = options.clock ?? systemClock;
    const connecting: Promise<Deno.Conn> = tls
      ? Deno.connectTls({
        hostname,
        port,
        ...(options.caCerts ? { caCerts: options.caCerts } : {}),
      })
      : Deno.connect({ hostname, port });
    let conn: Deno.Conn;
    try {
      conn = await withDeadline(
        clock,
        options.timeoutMs ?? 10_000,
        `connect to ${hostname}:${port}`,
        connecting,
      );
    } catch (error) {
      connecting.then((c) => closeQuietly(c), () => {});
      throw error;
    }
    return new RtspClientConnection(conn, url, options);
  }

  /** Resolves when the connection closed (either side). */
  get closed(): Promise<void> {
    return this.#done;
  }

  /** Whether the connection is closed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Send a request and wait for its response (one at a time); a 401 is
   * retried once with credentials from the URL.
   *
   * @param method the method
   * @param uri the request URI
   * @param headers extra headers
   * @param body the body
   * @returns the response (any status)
   * @throws {StreamError} `Timeout`, `Closed`
   */
  request(
    method: string,
    uri: string,
    headers: [string, string][] = [],
    body: Uint8Array = new Uint8Array(0),
  ): Promise<RtspResponse> {
    const run = async (): Promise<RtspResponse> => {
      let res = await this.#send(method, uri, headers, body);
      if (
        res.status === 401 && (this.#username !== "" || this.#password !== "")
      ) {
        this.#challenges = res.headers.getAll("www-authenticate");
        res = await this.#send(method, uri, headers, body);
      }
      const session = res.headers.get("session");
      if (session !== undefined && res.status === 200) {
        try {
          const parsed = parseSessionHeader(session);
          this.session = parsed.id;
          if (parsed.timeoutS !== undefined && parsed.timeoutS > 0) {
            this.sessionTimeoutS = parsed.timeoutS;
          }
        } catch { /* keep the previous */ }
      }
      return res;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => {});
    return next;
  }

  #send(
    method: string,
    uri: string,
    extra: [string, string][],
    body: Uint8Array,
  ): Promise<RtspResponse> {
    if (this.#closed) {
      return Promise.reject(
        new StreamError("Closed", `Cannot send ${method}: connection closed`),
      );
    }
    const cseq = ++this.#cseq;
    const headers = new RtspHeaders([
      ["CSeq", String(cseq)],
      ["User-Agent", this.#userAgent],
    ]);
    if (this.session !== undefined) headers.set("Session", this.session);
    if (this.#challenges !== undefined) {
      const auth = answerChallenge(this.#challenges, {
        username: this.#username,
        password: this.#password,
        method,
        uri,
      });
      if (auth !== undefined) headers.set("Authorization", auth);
    }
    for (const [n, v] of extra) headers.set(n, v);
    const bytes = serializeRtspRequest({
      method,
      uri,
      version: "RTSP/1.0",
      headers,
      body,
    });
    const answered = new Promise<RtspResponse>((resolve, reject) => {
      this.#pending = { cseq, resolve, reject };
    });
    writeAll(this.#conn, bytes).catch((e) => this.#fail(e));
    return withDeadline(this.#clock, this.#timeoutMs, method, answered);
  }

  /**
   * Write an interleaved frame (RTCP receiver reports over TCP).
   *
   * @param bytes the framed bytes (`$`, channel, length, payload)
   */
  writeRaw(bytes: Uint8Array): Promise<void> {
    return writeAll(this.#conn, bytes);
  }

  /** Close the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#fail(
      new StreamError(
        "Closed",
        "Cannot wait for RTSP response: connection closed",
      ),
    );
  }

  #fail(error: unknown): void {
    const p = this.#pending;
    this.#pending = undefined;
    p?.reject(error);
  }

  async #readLoop(): Promise<void> {
    const reader = new RtspReader({ maxBodyBytes: 256 * 1024 });
    const buf = new Uint8Array(65536);
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        reader.push(buf.subarray(0, n));
        for (let m = reader.next(); m !== null; m = reader.next()) {
          if (m.type === "interleaved") {
            this.onInterleaved(m.channel, m.payload);
          } else if (m.type === "response") {
            const p = this.#pending;
            const cseq = Number(m.response.headers.get("cseq"));
            if (p !== undefined && (cseq === p.cseq || Number.isNaN(cseq))) {
              this.#pending = undefined;
              p.resolve(m.response);
            }
          } // server → client requests are not answered
        }
      }
    } catch (error) {
      if (!isDisconnect(error)) this.#fail(error);
    } finally {
      this.close();
    }
  }
}
