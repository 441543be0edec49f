/**
 * One RTSP TCP (or TLS) connection of the server: reads requests and
 * interleaved frames with a bounded {@linkcode RtspReader}, answers each
 * request in order ({@linkcode RtspMethods}), routes interleaved RTP of a
 * recording session to its ingest and counts player RTCP as keep-alive.
 *
 * Data path: socket read (64 KiB buffer) → reader → request handler or
 * ingest. Writes (replies, a player's packets, sender reports) go through
 * one chain, so they never interleave mid-message. Limits: the reader's
 * bounds; the connection closes after `sessionTimeoutMs` without a complete
 * message (no request, no interleaved packet), and on any protocol error
 * after answering it.
 *
 * @module
 */
import type { StreamHost } from "../../src/contracts.ts";
import { StreamError } from "../../media/stream_error.ts";
import { closeQuietly, isDisconnect, noDelay, writeAll } from "../net/mod.ts";
import { RtspHeaders, RtspProtocolError, type RtspRequest } from "./message.ts";
import { RtspReader } from "./reader.ts";
import { RTSP_REASONS, serializeRtspResponse } from "./serialize.ts";
import { RtspMethods } from "./_server_methods.ts";
import type { ConnectionPort, ServerContext } from "./_server_context.ts";
import type { ServerSession } from "./_session.ts";

/** One client connection (see the module doc). */
export class RtspServerConnection implements ConnectionPort {
  #conn: Deno.Conn;
  #host: StreamHost;
  #ctx: ServerContext;
  #reader: RtspReader;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  #stopIdle: (() => void) | undefined;
  #methods: RtspMethods;
  readonly remoteAddr: string;
  readonly remoteHost: string;
  /** Sessions created on this connection. */
  readonly sessions = new Set<ServerSession>();

  constructor(
    conn: Deno.Conn,
    remote: Deno.NetAddr,
    host: StreamHost,
    ctx: ServerContext,
  ) {
    this.#conn = conn;
    this.#host = host;
    this.#ctx = ctx;
    this.remoteHost = remote.hostname;
    this.remoteAddr = `${remote.hostname}:${remote.port}`;
    this.#reader = new RtspReader(ctx.limits);
    this.#methods = new RtspMethods(this, host, ctx);
    noDelay(conn);
  }

  /** Write bytes after whatever is being written (never interleaved). */
  write(bytes: Uint8Array): Promise<void> {
    const next = this.#tail.then(() => {
      if (this.#closed) throw new Deno.errors.BadResource("closed");
      return writeAll(this.#conn, bytes);
    });
    this.#tail = next.catch(() => {});
    return next;
  }

  /** Close the socket and release every session (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopIdle?.();
    for (const s of this.sessions) this.#ctx.sessions.destroy(s);
    this.sessions.clear();
    closeQuietly(this.#conn);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Reset the inactivity deadline. */
  touch(): void {
    this.#stopIdle?.();
    this.#stopIdle = this.#host.clock.setTimer(
      this.#ctx.sessionTimeoutMs,
      () => {
        this.#report(
          new StreamError(
            "Timeout",
            `Cannot keep RTSP connection ${this.remoteAddr}: no request or packet for ${this.#ctx.sessionTimeoutMs} ms`,
          ),
        );
        this.close();
      },
    );
  }

  /** Read and answer until the peer leaves or breaks the protocol. */
  async run(): Promise<void> {
    const buf = new Uint8Array(65536);
    this.touch();
    try {
      while (!this.#closed) {
        let n: number | null;
        try {
          n = await this.#conn.read(buf);
        } catch (error) {
          if (!isDisconnect(error)) this.#report(error);
          break;
        }
        if (n === null) break;
        try {
          this.#reader.push(buf.subarray(0, n));
          for (
            let m = this.#reader.next();
            m !== null;
            m = this.#reader.next()
          ) {
            this.touch();
            if (m.type === "request") await this.#answer(m.request);
            else if (m.type === "interleaved") {
              this.#methods.interleaved(m.channel, m.payload);
            } // responses (to our nothing) are ignored
            if (this.#closed) break;
          }
        } catch (error) {
          if (error instanceof RtspProtocolError) {
            await this.#reply(error.status, new RtspHeaders()).catch(() => {});
            this.#report(error);
          } else if (!isDisconnect(error)) this.#report(error);
          break;
        }
      }
    } finally {
      this.close();
      await this.#tail;
    }
  }

  async #answer(request: RtspRequest): Promise<void> {
    const cseq = request.headers.get("cseq");
    const headers = new RtspHeaders();
    if (cseq !== undefined) headers.set("CSeq", cseq);
    headers.set("Server", "arcly-stream");
    if (cseq === undefined || !/^\d{1,10}$/.test(cseq)) {
      throw new RtspProtocolError(400, "Cannot answer RTSP request: no CSeq");
    }
    let status: number;
    let body: Uint8Array = new Uint8Array(0);
    let after: (() => void) | undefined;
    try {
      const result = await this.#methods.handle(request, headers);
      status = result.status;
      if (result.body !== undefined) body = result.body;
      after = result.after;
    } catch (error) {
      if (error instanceof RtspProtocolError) {
        status = error.status;
        if (status >= 500 || status === 400) this.#report(error);
      } else if (error instanceof StreamError) {
        status = statusOf(error);
      } else {
        this.#report(error);
        status = 500;
      }
    }
    await this.#reply(status, headers, body);
    after?.();
  }

  #reply(
    status: number,
    headers: RtspHeaders,
    body: Uint8Array = new Uint8Array(0),
  ): Promise<void> {
    return this.write(serializeRtspResponse({
      status,
      reason: RTSP_REASONS[status] ?? "Error",
      headers,
      body,
    }));
  }

  #report(error: unknown): void {
    this.#host.events.emit({
      type: "handlerError",
      name: this.#ctx.name,
      error,
    });
  }
}

/** The RTSP status of a kernel error. */
export function statusOf(error: StreamError): number {
  switch (error.code) {
    case "Unauthorized":
      return 401;
    case "NotFound":
      return 404;
    case "AlreadyPublishing":
    case "LimitExceeded":
    case "Closed":
      return 503;
    case "InvalidInput":
    case "Protocol":
      return 400;
    case "Unsupported":
      return 415;
    default:
      return 500;
  }
}
