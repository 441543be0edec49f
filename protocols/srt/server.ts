/**
 * {@linkcode SrtHandler}: the SRT listener (live mode, caller-listener HSv5)
 * as a kernel `ProtocolHandler`.
 *
 * Data path: one UDP socket (`_udp.ts`: `Deno.listenDatagram`, else
 * `node:dgram`) for every connection. A datagram
 * is copied once out of the receive buffer, parsed as views (garbage
 * counted and dropped) and routed by its
 * destination socket id (checked against the peer address) to its
 * {@linkcode SrtConnection}; handshakes with destination 0 go to the
 * stateless {@linkcode SrtHandshakeResponder} (SYN cookie: nothing is
 * allocated before a conclusion returns a valid cookie). An accepted
 * conclusion is authorized by the engine (stream id → credentials), then
 * the connection publishes (TS → demuxer → frames) or reads (frames → TS
 * built once per stream → this reader's SRT packets). One timer every 10 ms
 * runs every connection's ACK/NAK/drop/keepalive/idle work, armed only while
 * a connection or a handshake answer is held (an idle listener wakes
 * nothing).
 *
 * Limits: `maxConnections` (established + pending), bounded receive and
 * send buffers per connection, the peer idle timeout.
 *
 * @module
 */
import type {
  MetricSample,
  MetricsCollector,
  ProtocolHandler,
  StreamHost,
} from "../../src/contracts.ts";
import { HousekeepingTimer } from "../../src/clock.ts";
import { type EgressSession, JoinedEgress } from "../../src/egress.ts";
import { StreamError } from "../../media/stream_error.ts";
import { SrtConnection } from "./connection.ts";
import {
  parseHandshake,
  type SrtHandshake,
  SrtHandshakeType,
  SrtRejectReason,
} from "./handshake.ts";
import {
  type SrtConclusion,
  SrtHandshakeResponder,
} from "./listener_handshake.ts";
import { parseSrtPacket, SrtControlType } from "./packet.ts";
import { parseSrtStreamId, type SrtStreamRequest } from "./stream_id.ts";
import { SrtTsFormat } from "./ts_format.ts";
import { publisherSink, runReader } from "./_sessions.ts";
import { openUdp, type UdpSocket } from "./_udp.ts";
import type { SrtHandlerOptions, SrtHandlerStats } from "./server_options.ts";
import {
  addStats,
  rejectLabel,
  srtSamples,
  type SrtTotals,
  zeroTotals,
} from "./_metrics.ts";

export type { SrtHandlerOptions, SrtHandlerStats } from "./server_options.ts";

interface Peer {
  conn: SrtConnection;
  mode: "publish" | "read";
  addr: string;
  port: number;
  host: string;
  peerKey: string;
}

/** Sends a datagram; `to` binds one peer's address once. */
type Send = {
  (bytes: Uint8Array, port: number, host: string): void;
  to(port: number, host: string): (bytes: Uint8Array) => void;
};

interface Known {
  response: Uint8Array | undefined;
  expires: number;
}

/**
 * SRT server for an engine (any `StreamHost`).
 *
 * @example Serve on a free port
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { SrtHandler } from "@arcly/stream/srt";
 *
 * const engine = Engine.builder().build();
 * const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0 });
 * const served = engine.serve([srt]);
 * const { port } = await srt.listening;
 * // ffmpeg -re -i in.ts -c copy -f mpegts "srt://127.0.0.1:${port}?streamid=publish:live/cam"
 * await engine.shutdown();
 * await served;
 * ```
 */
export class SrtHandler implements ProtocolHandler, MetricsCollector {
  /** "srt". */
  readonly name: string = "srt";
  #o: SrtHandlerOptions;
  #listening: Promise<{ hostname: string; port: number }>;
  #resolve!: (a: { hostname: string; port: number }) => void;
  #reject!: (e: unknown) => void;
  #bySocket = new Map<number, Peer>();
  #known = new Map<string, Known>();
  /** Start the serving listener's tick unless it runs (see `serve`). */
  #arm: () => void = () => {};
  #pending = 0;
  #closedTotals: SrtTotals = zeroTotals();
  #rejects = new Map<string, number>();
  #counts = { accepted: 0, rejected: 0, garbage: 0, badCookies: 0, stray: 0 };
  #egress: JoinedEgress;

  /**
   * Configure the listener (nothing is bound until `serve()`).
   *
   * @param options address, passphrase, latency, limits
   * @throws {StreamError} `InvalidInput` for a passphrase outside 10–79 characters or a bad `egressTickMs`
   */
  constructor(options: SrtHandlerOptions = {}) {
    this.#o = options;
    this.#egress = new JoinedEgress(() => new SrtTsFormat(), {
      egressTickMs: options.egressTickMs ?? 20,
    });
    const p = options.passphrase;
    if (p !== undefined && (p.length < 10 || p.length > 79)) {
      throw new StreamError(
        "InvalidInput",
        "Cannot use SRT passphrase: it must have 10 to 79 characters",
      );
    }
    this.#listening = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#listening.catch(() => {});
  }

  /** Resolves with the bound address once `serve()` is listening. */
  get listening(): Promise<{ hostname: string; port: number }> {
    return this.#listening;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#bySocket.size;
  }

  /** Counters. */
  get stats(): SrtHandlerStats {
    const t = this.#totals();
    return {
      connections: this.#bySocket.size,
      pending: this.#pending,
      ...this.#counts,
      packetsReceived: t.receivedPackets,
      packetsLost: t.receivedLost,
      packetsDropped: t.receivedDropped + t.sentDropped,
      packetsRetransmitted: t.sentRetransmitted,
      packetsSent: t.sentPackets,
    };
  }

  #totals(): SrtTotals {
    const t = { ...this.#closedTotals };
    for (const p of this.#bySocket.values()) addStats(t, p.conn.stats);
    return t;
  }

  /**
   * The listener's counters as metric samples, read at scrape time (a
   * `MetricsCollector` for the Prometheus observer): `arcly_srt_sessions`
   * by mode, packets and bytes received/sent, retransmitted, lost (NAKed),
   * NAKs each way, too-late drops each way, undecrypted, garbage, bad
   * cookies, stray datagrams, accepted and rejected (labelled by reject code:
   * a bounded set) handshakes.
   *
   * @returns the samples (fresh objects; monotonic counters include closed connections)
   * @example
   * ```ts
   * import { SrtHandler } from "@arcly/stream/srt";
   * import assert from "node:assert/strict";
   * const sample = new SrtHandler().collectMetrics()
   *   .find((s) => s.name === "arcly_srt_retransmitted_packets_total");
   * assert.equal(sample?.value, 0);
   * ```
   */
  collectMetrics(): readonly MetricSample[] {
    let publishers = 0;
    for (const p of this.#bySocket.values()) {
      if (p.mode === "publish") publishers++;
    }
    return srtSamples(this.#totals(), {
      publishers,
      readers: this.#bySocket.size - publishers,
      pending: this.#pending,
      accepted: this.#counts.accepted,
      garbage: this.#counts.garbage,
      badCookies: this.#counts.badCookies,
      stray: this.#counts.stray,
    }, this.#rejects);
  }

  /**
   * Listen until `signal` aborts, then shut every connection down.
   *
   * @param engine the kernel
   * @param signal stops the server
   */
  async serve(engine: StreamHost, signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const hostname = o.hostname ?? "0.0.0.0";
    const now = () => engine.clock.now();
    const responder = new SrtHandshakeResponder({
      latencyMs: o.latencyMs ?? 120,
      ...(o.passphrase !== undefined
        ? { passphrase: o.passphrase, pbKeyLen: o.pbKeyLen ?? 16 }
        : {}),
    });
    const onMessage = (msg: Uint8Array, host: string, port: number) => {
      let packet;
      try {
        packet = parseSrtPacket(msg);
      } catch {
        this.#counts.garbage++;
        return;
      }
      const addr = `${host}:${port}`;
      if (packet.control && packet.type === SrtControlType.Handshake) {
        let hs: SrtHandshake;
        try {
          hs = parseHandshake(packet.cif);
        } catch {
          this.#counts.garbage++;
          return;
        }
        this.#onHandshake(
          engine,
          responder,
          hs,
          addr,
          port,
          host,
          send,
          signal,
        );
        return;
      }
      const peer = this.#bySocket.get(packet.destinationSocketId);
      if (peer === undefined || peer.addr !== addr) {
        this.#counts.stray++;
        return;
      }
      peer.conn.handle(packet, now());
    };
    let socket: UdpSocket;
    try {
      socket = await openUdp(hostname, o.port ?? 8890, onMessage);
    } catch (e) {
      this.#reject(e);
      throw e;
    }
    const send: Send = Object.assign(
      (bytes: Uint8Array, port: number, host: string) =>
        socket.send(bytes, port, host),
      { to: (port: number, host: string) => socket.sender(port, host) },
    );
    this.#resolve({ ...socket.address });
    // The 10 ms tick runs only while a connection or a handshake answer is
    // held: an idle listener arms no timer (no 100 wake-ups a second).
    const ticker = new HousekeepingTimer(engine.clock, 10, () => {
      const t = now();
      for (const p of this.#bySocket.values()) p.conn.tick(t);
      for (const [k, v] of this.#known) {
        if (v.response !== undefined && v.expires < t) this.#known.delete(k);
      }
      return this.#bySocket.size + this.#known.size > 0;
    });
    this.#arm = () => {
      if (!signal.aborted) ticker.arm();
    };
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    ticker.stop();
    for (const p of [...this.#bySocket.values()]) {
      p.conn.close("server shutting down", true, now());
    }
    await socket.close();
  }

  #onHandshake(
    engine: StreamHost,
    responder: SrtHandshakeResponder,
    hs: SrtHandshake,
    addr: string,
    port: number,
    host: string,
    send: Send,
    signal: AbortSignal,
  ): void {
    const t = engine.clock.now();
    const ts = Math.round(t * 1000) >>> 0;
    if (hs.type === SrtHandshakeType.Induction) {
      send(responder.induction(hs, addr, Date.now(), ts), port, host);
      return;
    }
    if (hs.type !== SrtHandshakeType.Conclusion) return;
    if (!responder.validCookie(addr, hs.cookie, Date.now())) {
      this.#counts.badCookies++;
      return;
    }
    const peerKey = `${addr}|${hs.socketId}`;
    const known = this.#known.get(peerKey);
    if (known !== undefined) {
      if (known.response !== undefined) send(known.response, port, host);
      return; // still authorizing
    }
    const refuse = (reason: number, why: string) => {
      this.#counts.rejected++;
      const label = rejectLabel(reason);
      this.#rejects.set(label, (this.#rejects.get(label) ?? 0) + 1);
      const bytes = responder.reject(hs, reason, ts);
      this.#known.set(peerKey, { response: bytes, expires: t + 5000 });
      this.#arm();
      send(bytes, port, host);
      engine.audit.record({
        type: "clientDropped",
        at: t,
        protocol: this.name,
        remoteAddr: addr,
        code: reason === SrtRejectReason.Backlog ? "LimitExceeded" : "Protocol",
        reason: `SRT rejected (${reason}): ${why}`,
      });
    };
    if (
      this.#bySocket.size + this.#pending >= (this.#o.maxConnections ?? 1000) ||
      signal.aborted
    ) {
      refuse(SrtRejectReason.Backlog, "connection limit reached");
      return;
    }
    const result = responder.conclude(hs);
    if ("reject" in result) {
      refuse(result.reject, result.why);
      return;
    }
    let request: SrtStreamRequest;
    try {
      request = parseSrtStreamId(result.streamId);
    } catch (e) {
      refuse(SrtRejectReason.BadRequest, (e as Error).message);
      return;
    }
    const entry: Known = { response: undefined, expires: Infinity };
    this.#known.set(peerKey, entry);
    this.#arm();
    this.#pending++;
    this.#open(
      engine,
      result,
      request,
      { addr, port, host, peerKey },
      entry,
      send,
      signal,
    )
      .catch((e) => {
        this.#known.delete(peerKey);
        refuse(rejectReasonOf(e), (e as Error).message);
      })
      .finally(() => this.#pending--);
  }

  async #open(
    engine: StreamHost,
    agreed: SrtConclusion,
    request: SrtStreamRequest,
    where: { addr: string; port: number; host: string; peerKey: string },
    entry: Known,
    send: Send,
    signal: AbortSignal,
  ): Promise<void> {
    const credentials = {
      protocol: this.name,
      remoteAddr: where.addr,
      query: request.query,
      ...(request.token !== undefined ? { token: request.token } : {}),
    };
    const handle = request.mode === "publish"
      ? await engine.startPublishAuthorized(request.key, credentials)
      : await engine.authorizePlay(request.key, credentials);
    if (signal.aborted) {
      if (request.mode === "publish") handle.end("server shutting down");
      throw new StreamError(
        "Closed",
        "Cannot accept SRT connection: server shutting down",
      );
    }
    // LimitExceeded past maxSubscribers: refused before the answer
    const session: EgressSession<Uint8Array> | undefined =
      request.mode === "read"
        ? this.#egress.open(handle, credentials)
        : undefined;
    let localSocketId = 0;
    while (localSocketId === 0 || this.#bySocket.has(localSocketId)) {
      localSocketId = (Math.random() * 0x7fffffff) >>> 0;
    }
    const t = engine.clock.now();
    const response = agreed.accept(localSocketId, Math.round(t * 1000) >>> 0);
    entry.response = response;
    let sink: ReturnType<typeof publisherSink> | undefined;
    const conn: SrtConnection = new SrtConnection({
      localSocketId,
      peerSocketId: agreed.peerSocketId,
      initialSeq: agreed.initialSeq,
      receiveLatencyMs: agreed.receiveLatencyMs,
      sendLatencyMs: agreed.sendLatencyMs,
      startMs: t,
      rexmitFlag: agreed.rexmitFlag,
      ...(agreed.crypto !== undefined ? { crypto: agreed.crypto } : {}),
      peerIdleTimeoutMs: this.#o.peerIdleTimeoutMs ?? 5000,
      receiveCapacity: this.#o.receiveBufferPackets ?? 8192,
      sendCapacity: this.#o.sendBufferPackets ?? 8192,
      send: send.to(where.port, where.host),
      deliver: (payload) => sink?.deliver(payload),
      onClose: (reason) => {
        this.#bySocket.delete(localSocketId);
        entry.expires = engine.clock.now() + 5000; // answer late conclusion copies a while
        addStats(this.#closedTotals, conn.stats);
        sink?.end(`SRT publisher: ${reason}`);
        session?.close("reader left");
      },
    }, t);
    this.#bySocket.set(localSocketId, { conn, mode: request.mode, ...where });
    this.#counts.accepted++;
    send(response, where.port, where.host);
    if (request.mode === "publish") {
      sink = publisherSink(
        handle,
        (reason) => conn.close(reason, true, engine.clock.now()),
      );
      handle.closed.then(() =>
        conn.close("stream ended", true, engine.clock.now())
      );
      return;
    }
    runReader(session!, conn, () => engine.clock.now())
      .then((reason) => conn.close(reason, true, engine.clock.now()));
  }
}

function rejectReasonOf(e: unknown): number {
  if (!(e instanceof StreamError)) return SrtRejectReason.InternalError;
  switch (e.code) {
    case "Unauthorized":
      return (e as StreamError & { challenge?: boolean }).challenge === false
        ? SrtRejectReason.Forbidden
        : SrtRejectReason.Unauthorized;
    case "NotFound":
      return SrtRejectReason.NotFound;
    case "AlreadyPublishing":
      return SrtRejectReason.Conflict;
    case "InvalidInput":
      return SrtRejectReason.BadRequest;
    case "LimitExceeded":
    case "Closed":
      return SrtRejectReason.Unavailable;
    default:
      return SrtRejectReason.InternalError;
  }
}
