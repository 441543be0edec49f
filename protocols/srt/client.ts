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
import dgram from "node:dgram";
import type { MediaFrame } from "../../media/frame.ts";
import { MpegTsDemuxer } from "../../media/mpegts/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import type { MediaSource } from "../../src/contracts.ts";
import { JoinedEgress } from "../../src/egress.ts";
import type { StreamHandle } from "../../src/stream_handle.ts";
import { SrtConnection, type SrtConnectionStats } from "./connection.ts";
import {
  encodeStreamIdExt,
  findExtension,
  parseHandshake,
  parseHsExt,
  SRT_HS_EXT,
  type SrtExtension,
  SrtExtensionType,
  type SrtHandshake,
  SrtHandshakeType,
} from "./handshake.ts";
import { buildKeyMaterial, SrtCrypto } from "./key_material.ts";
import {
  handshakePacket,
  SRT_OUR_FLAGS,
  SRT_VERSION,
} from "./listener_handshake.ts";
import { parseSrtPacket, SrtControlType } from "./packet.ts";
import { sendTs } from "./_sessions.ts";
import { SrtTsFormat } from "./ts_format.ts";

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
 * for await (const payload of client.payloads()) console.log(payload.length);
 * ```
 */
export class SrtClient {
  #socket: dgram.Socket;
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
    socket: dgram.Socket,
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
      try {
        socket.close();
      } catch { /* closed */ }
      done(reason);
    });
    this.#timer = setInterval(() => this.#conn.tick(performance.now()), 10);
    socket.on("message", (buf: Uint8Array) => {
      const msg = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
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
    const socket = dgram.createSocket(
      options.hostname.includes(":") ? "udp6" : "udp4",
    );
    await new Promise<void>((r) => socket.bind(0, () => r()));
    try {
      const agreed = await handshake(socket, options);
      const start = performance.now();
      return new SrtClient(socket, (deliver, onClose) =>
        new SrtConnection({
          localSocketId: agreed.localSocketId,
          peerSocketId: agreed.peerSocketId,
          initialSeq: agreed.initialSeq,
          receiveLatencyMs: agreed.receiveLatencyMs,
          sendLatencyMs: agreed.sendLatencyMs,
          startMs: start,
          ...(agreed.crypto !== undefined ? { crypto: agreed.crypto } : {}),
          peerIdleTimeoutMs: options.peerIdleTimeoutMs ?? 5000,
          send: (bytes) => {
            try {
              socket.send(bytes, options.port, options.hostname);
            } catch { /* closed */ }
          },
          deliver,
          onClose,
        }, start), options.maxQueuedPayloads ?? 4096);
    } catch (e) {
      socket.close();
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

interface Agreed {
  localSocketId: number;
  peerSocketId: number;
  initialSeq: number;
  receiveLatencyMs: number;
  sendLatencyMs: number;
  crypto?: SrtCrypto;
}

function rejection(type: number): StreamError {
  const reason = type - 1000;
  const code =
    reason === 1401 || reason === 1403 || reason === 10 || reason === 11
      ? "Unauthorized"
      : reason === 1404
      ? "NotFound"
      : reason === 1409
      ? "AlreadyPublishing"
      : "Protocol";
  return new StreamError(
    code,
    `Cannot connect over SRT: the listener rejected the connection (${reason})`,
  );
}

/** Run the caller handshake: induction, then conclusion, retried every 250 ms. */
async function handshake(
  socket: dgram.Socket,
  o: SrtClientOptions,
): Promise<Agreed> {
  const localSocketId = 1 + Math.floor(Math.random() * 0x7ffffffe);
  const initialSeq = Math.floor(Math.random() * 0x7fffffff);
  const latency = o.latencyMs ?? 120;
  const keyLen = o.pbKeyLen ?? 16;
  const km = o.passphrase !== undefined
    ? buildKeyMaterial(o.passphrase, keyLen).message
    : undefined;
  const base: SrtHandshake = {
    version: 4,
    encryption: 0,
    extension: 2,
    initialSeq,
    mtu: 1500,
    flowWindow: 8192,
    type: SrtHandshakeType.Induction,
    socketId: localSocketId,
    cookie: 0,
    peerIp: new Uint8Array(16),
    extensions: [],
  };
  let request = handshakePacket(0, 0, base);
  let phase: "induction" | "conclusion" = "induction";
  const send = () => socket.send(request, o.port, o.hostname);
  return await new Promise<Agreed>((resolve, reject) => {
    const deadline = setTimeout(
      () =>
        finish(
          new StreamError(
            "Timeout",
            `Cannot connect over SRT to ${o.hostname}:${o.port}: no answer`,
          ),
        ),
      o.connectTimeoutMs ?? 5000,
    );
    const retry = setInterval(send, 250);
    const finish = (result: Agreed | StreamError) => {
      clearTimeout(deadline);
      clearInterval(retry);
      socket.off("message", onMessage);
      if (result instanceof StreamError) reject(result);
      else resolve(result);
    };
    const onMessage = (buf: Uint8Array) => {
      let hs: SrtHandshake;
      try {
        const p = parseSrtPacket(
          new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength),
        );
        if (!p.control || p.type !== SrtControlType.Handshake) return;
        hs = parseHandshake(p.cif);
      } catch {
        return;
      }
      if (hs.type >= 1000 && hs.type < 0xfffffffd) {
        return finish(rejection(hs.type));
      }
      if (phase === "induction" && hs.type === SrtHandshakeType.Induction) {
        phase = "conclusion";
        const extensions: SrtExtension[] = [{
          type: SrtExtensionType.HsReq,
          content: hsreq(latency),
        }];
        if (o.streamId !== undefined) {
          extensions.push({
            type: SrtExtensionType.Sid,
            content: encodeStreamIdExt(o.streamId),
          });
        }
        if (km !== undefined) {
          extensions.push({ type: SrtExtensionType.KmReq, content: km });
        }
        request = handshakePacket(0, 0, {
          ...base,
          version: 5,
          encryption: km !== undefined ? keyLen / 8 : 0,
          extension: SRT_HS_EXT.hsreq | SRT_HS_EXT.config |
            (km !== undefined ? SRT_HS_EXT.kmreq : 0),
          type: SrtHandshakeType.Conclusion,
          cookie: hs.cookie,
          extensions,
        });
        send();
        return;
      }
      if (phase !== "conclusion" || hs.type !== SrtHandshakeType.Conclusion) {
        return;
      }
      const rsp = findExtension(hs.extensions, SrtExtensionType.HsRsp);
      if (rsp === undefined || rsp.length < 12) {
        return finish(
          new StreamError(
            "Protocol",
            "Cannot connect over SRT: the listener sent no HSRSP (SRT < 1.3)",
          ),
        );
      }
      const ext = parseHsExt(rsp);
      let crypto: SrtCrypto | undefined;
      if (km !== undefined) {
        const kmrsp = findExtension(hs.extensions, SrtExtensionType.KmRsp);
        if (kmrsp === undefined || kmrsp.length <= 4) {
          return finish(
            new StreamError(
              "Unauthorized",
              "Cannot connect over SRT: the listener refused the passphrase",
            ),
          );
        }
        crypto = new SrtCrypto(o.passphrase!);
        crypto.install(km);
      }
      finish({
        localSocketId,
        peerSocketId: hs.socketId,
        initialSeq,
        receiveLatencyMs: Math.max(latency, ext.senderDelayMs),
        sendLatencyMs: Math.max(latency, ext.receiverDelayMs),
        ...(crypto !== undefined ? { crypto } : {}),
      });
    };
    socket.on("message", onMessage);
    send();
  });
}

function hsreq(latency: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint32(0, SRT_VERSION);
  v.setUint32(4, SRT_OUR_FLAGS);
  v.setUint16(8, latency);
  v.setUint16(10, latency);
  return out;
}

/**
 * Pull from an SRT listener as a `MediaSource`: the listener's TS,
 * demuxed. Use with `engine.pumpSource(key, source)`.
 *
 * @example
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { SrtSource } from "@arcly/stream/srt";
 * const engine = Engine.builder().build();
 * await engine.pumpSource("live/cam", new SrtSource({ hostname: "127.0.0.1", port: 9000 }));
 * ```
 */
export class SrtSource implements MediaSource {
  /** "srt-pull". */
  readonly name: string = "srt-pull";
  #options: SrtClientOptions;

  /**
   * Nothing connects until `frames()` is iterated.
   *
   * @param options the listener to pull from
   */
  constructor(options: SrtClientOptions) {
    this.#options = options;
  }

  /**
   * Connect and yield the demuxed frames until the connection or `signal` ends.
   *
   * @param signal stops the pull
   */
  async *frames(
    signal: AbortSignal,
  ): AsyncGenerator<MediaFrame, void, undefined> {
    const client = await SrtClient.connect(this.#options);
    const stop = () => client.close("pull stopped");
    signal.addEventListener("abort", stop, { once: true });
    const demuxer = new MpegTsDemuxer();
    try {
      for await (const payload of client.payloads()) {
        yield* demuxer.push(payload);
      }
      yield* demuxer.flush();
    } finally {
      signal.removeEventListener("abort", stop);
      client.close("pull ended");
    }
  }
}

/**
 * Push a stream's TS to an SRT listener until the stream, the connection or
 * `signal` ends (the TS bytes are the kernel's shared egress batches).
 *
 * @example
 * ```ts ignore
 * import { srtPush } from "@arcly/stream/srt";
 * await srtPush(engine.getStream("live/cam")!, { hostname: "127.0.0.1", port: 9000 });
 * ```
 *
 * @param stream the live stream
 * @param options the listener to push to
 * @param signal stops the push
 * @returns why it ended
 */
export async function srtPush(
  stream: StreamHandle,
  options: SrtClientOptions,
  signal?: AbortSignal,
): Promise<string> {
  const client = await SrtClient.connect(options);
  const session = pushEgress.open(stream);
  const stop = () => {
    session.close("push stopped");
    client.close("push stopped");
  };
  signal?.addEventListener("abort", stop, { once: true });
  client.closed.then(() => session.close("connection closed"));
  try {
    for await (const bytes of session) client.sendTs(bytes);
    return signal?.aborted
      ? "push stopped"
      : await Promise.race([client.closed, Promise.resolve("stream ended")]);
  } finally {
    signal?.removeEventListener("abort", stop);
    client.close("push ended");
  }
}

const pushEgress = new JoinedEgress(() => new SrtTsFormat(), {
  egressTickMs: 20,
});
