/**
 * SRT caller mode: {@linkcode SrtClient} connects to an SRT listener (ffmpeg
 * `-f mpegts srt://…?mode=listener`, srt-live-transmit, MediaMTX, another
 * origin) with the HSv5 caller handshake (induction, then a conclusion with
 * HSREQ, the stream id and KMREQ); {@linkcode SrtSource} pulls a listener's
 * TS into a stream (`engine.pumpSource(key, new SrtSource(…))`) and
 * {@linkcode srtPush} sends a stream's TS to a listener.
 *
 * Data path: one UDP socket per client; received payloads are queued (at
 * most `maxQueuedPayloads`, oldest dropped and counted) for the demuxer;
 * pushed TS comes from the kernel's egress session (built once per stream,
 * shared with every other SRT reader) and is cut into 1,316-byte payloads.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { SrtConnection, type SrtConnectionStats } from "./connection.ts";
import { parseSrtPacket } from "./packet.ts";
import { sendTs } from "./_sessions.ts";
import { callerHandshake } from "./_caller_handshake.ts";
import { openUdp, type UdpSocket } from "./_udp.ts";

/**
 * Where and how to connect.
 *
 * @example
 * ```ts
 * import { parseSrtUrl } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const o = parseSrtUrl("srt://127.0.0.1:9000?streamid=live/cam&latency=200");
 * assert.equal(o.port, 9000);
 * assert.equal(o.latencyMs, 200);
 * ```
 */
export interface SrtClientOptions {
  /** Listener host. */
  hostname: string;
  /** Listener port. */
  port: number;
  /** Stream id sent in the handshake. */
  streamId?: string;
  /** Passphrase (10–79 characters) to encrypt with. */
  passphrase?: string;
  /** Key length: 16, 24 or 32; default 16. */
  pbKeyLen?: 16 | 24 | 32;
  /** Our TSBPD latency, ms; default 120. */
  latencyMs?: number;
  /** Give up connecting after this long; default 5,000 ms. */
  connectTimeoutMs?: number;
  /** Close after this long without a packet; default 5,000 ms. */
  peerIdleTimeoutMs?: number;
  /** Received payloads held for the reader, at most; default 4,096. */
  maxQueuedPayloads?: number;
}

/**
 * Options from an `srt://host:port?streamid=…&passphrase=…&latency=ms&pbkeylen=…` URL
 * (latency in milliseconds, as srt-live-transmit reads it).
 *
 * @example
 * ```ts
 * import { parseSrtUrl } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * assert.equal(parseSrtUrl("srt://example.com:8890?streamid=read:live/cam").streamId, "read:live/cam");
 * ```
 *
 * @param url the URL
 * @returns client options
 * @throws {StreamError} `InvalidInput` for another scheme or no port
 */
export function parseSrtUrl(url: string): SrtClientOptions {
  const u = new URL(url);
  if (u.protocol !== "srt:" || u.port === "") {
    throw new StreamError(
      "InvalidInput",
      `Cannot use ${u.protocol}//…: expected srt://host:port`,
    );
  }
  const q = u.searchParams;
  const keyLen = Number(q.get("pbkeylen") ?? 16);
  return {
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port),
    ...(q.has("streamid") ? { streamId: q.get("streamid")! } : {}),
    ...(q.has("passphrase") ? { passphrase: q.get("passphrase")! } : {}),
    ...(q.has("latency") ? { latencyMs: Number(q.get("latency")) } : {}),
    ...(keyLen === 24 || keyLen === 32 ? { pbKeyLen: keyLen } : {}),
  };
}

/**
 * A connected SRT caller.
 *
 * @example Pull TS payloads
 * ```ts ignore
 * import { SrtClient } from "@arcly/stream/srt";
 * const client = await SrtClient.connect({ hostname: "127.0.0.1", port: 9000 });
 * let bytes = 0;
 * for await (const payload of client.payloads()) bytes += payload.length;
 * ```
 */
export class SrtClient {
  #socket: UdpSocket;
  #conn: SrtConnection;
  #queue: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval>;
  #closedReason: string | undefined;
  #closed: Promise<string>;
  #maxQueued: number;
  /** Payloads dropped because the reader fell behind. */
  droppedPayloads = 0;

  private constructor(
    socket: UdpSocket,
    route: (handler: (bytes: Uint8Array) => void) => void,
    make: (
      deliver: (p: Uint8Array) => void,
      onClose: (r: string) => void,
    ) => SrtConnection,
    maxQueued: number,
  ) {
    this.#socket = socket;
    this.#maxQueued = maxQueued;
    let done!: (r: string) => void;
    this.#closed = new Promise((r) => (done = r));
    this.#conn = make((p) => {
      if (this.#queue.length >= this.#maxQueued) {
        this.#queue.shift();
        this.droppedPayloads++;
      }
      this.#queue.push(p);
      this.#wake?.();
    }, (reason) => {
      this.#closedReason = reason;
      clearInterval(this.#timer);
      this.#wake?.();
      socket.close().finally(() => done(reason));
    });
    this.#timer = setInterval(() => this.#conn.tick(performance.now()), 10);
    route((msg) => {
      try {
        this.#conn.handle(parseSrtPacket(msg), performance.now());
      } catch { /* garbage */ }
    });
  }

  /**
   * Connect (caller handshake).
   *
   * @param options where, stream id, passphrase, latency
   * @returns the connected client
   * @throws {StreamError} `Timeout`, or the listener's rejection (`Unauthorized`, `NotFound`, `AlreadyPublishing`, `Protocol`)
   */
  static async connect(options: SrtClientOptions): Promise<SrtClient> {
    let handler: ((bytes: Uint8Array) => void) | undefined;
    const socket = await openUdp(
      options.hostname.includes(":") ? "::" : "0.0.0.0",
      0,
      (bytes) => handler?.(bytes),
    );
    const route = (h: ((bytes: Uint8Array) => void) | undefined) => {
      handler = h;
    };
    try {
      const agreed = await callerHandshake({
        send: (bytes) => socket.send(bytes, options.port, options.hostname),
        listen: route,
      }, options);
      const start = performance.now();
      return new SrtClient(
        socket,
        route,
        (deliver, onClose) =>
          new SrtConnection({
            localSocketId: agreed.localSocketId,
            peerSocketId: agreed.peerSocketId,
            initialSeq: agreed.initialSeq,
            receiveLatencyMs: agreed.receiveLatencyMs,
            sendLatencyMs: agreed.sendLatencyMs,
            startMs: start,
            ...(agreed.crypto !== undefined ? { crypto: agreed.crypto } : {}),
            peerIdleTimeoutMs: options.peerIdleTimeoutMs ?? 5000,
            send: socket.sender(options.port, options.hostname),
            deliver,
            onClose,
          }, start),
        options.maxQueuedPayloads ?? 4096,
      );
    } catch (e) {
      await socket.close();
      throw e;
    }
  }

  /** Counters of the connection. */
  get stats(): SrtConnectionStats {
    return this.#conn.stats;
  }

  /** Resolves with the reason once the connection ended. */
  get closed(): Promise<string> {
    return this.#closed;
  }

  /**
   * Send TS bytes (cut into 1,316-byte payloads).
   *
   * @param bytes whole 188-byte packets
   */
  sendTs(bytes: Uint8Array): void {
    sendTs(this.#conn, bytes, performance.now());
  }

  /**
   * The received payloads, in order, until the connection ends.
   *
   * @returns an async iterable of payloads
   */
  async *payloads(): AsyncGenerator<Uint8Array, void, undefined> {
    while (true) {
      const p = this.#queue.shift();
      if (p !== undefined) {
        yield p;
        continue;
      }
      if (this.#closedReason !== undefined) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = undefined;
    }
  }

  /**
   * Shut the connection down (idempotent).
   *
   * @param reason why
   */
  close(reason = "closed by caller"): void {
    this.#conn.close(reason, true, performance.now());
  }
}
