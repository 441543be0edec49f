/**
 * {@linkcode UdpMux}: one UDP socket for every WebRTC session (ICE-muxed,
 * like MediaMTX's port 8189), so a server behind NAT or in a container needs
 * one forwarded port.
 *
 * Data path: each datagram is read once by `node:dgram` and handed, as the
 * same `Uint8Array`, to exactly one session's {@linkcode MuxedTransport}:
 *
 * - a STUN Binding request is routed by the local ufrag in its `USERNAME`
 *   (`"<our ufrag>:<their ufrag>"`), whatever address it came from; werift's
 *   ICE agent then checks its MESSAGE-INTEGRITY and answers only valid ones;
 * - everything else (STUN responses, DTLS, SRTP/SRTCP) is routed by remote
 *   address, and a remote address is bound to a session only when that
 *   session *sends* to it (a check or a response werift chose to send), so
 *   unauthenticated datagrams never steer traffic;
 * - anything else is dropped and counted (`stats.dropped`).
 *
 * Early DTLS: werift creates a session's DTLS endpoint only once its own
 * ICE agent has connected, a few event-loop turns after the browser's ICE
 * did; the browser's first ClientHello usually lands in between and was
 * lost, and Chromium resends it only after 1 s (measured: ClientHello at
 * +527 ms ignored, answered at +1,575 ms). So a transport holds the DTLS
 * datagrams that arrive before {@linkcode MuxedTransport.dtlsListening}
 * (at most 8 datagrams, 16 KiB, 2 s; then they pass as before) and hands
 * them over when werift's DTLS endpoint listens.
 *
 * Sending: at most `sendWindow` datagrams (default 128) are in flight on
 * the socket;
 * the rest wait in two FIFOs: control (STUN, DTLS, SRTCP; 4,096 datagrams)
 * goes before media (SRTP from the WHEP fan-out, `maxSendQueue`); past
 * either bound a datagram is dropped and counted in `stats.sendDropped`, as
 * a full socket buffer would. (Tried in the sixth session: 4 lanes with one
 * op in flight each, as SRT sends. Here that capped throughput — a lane
 * issues its next send only when the event loop settles the last, and the
 * fan-out's 4 ms slices leave few turns: at 300 viewers 457k of 575k media
 * datagrams were dropped by the FIFO.) Deno's socket send is an async op per datagram: thousands
 * of concurrent ones cost several times more CPU each than a small window,
 * and with `node:dgram` they stall. With `--allow-ffi` on Linux the socket
 * batches a turn's sends into one `sendmmsg` (`backend`, see
 * protocols/webrtc/_raw_socket.ts); else with `--unstable-net` it is a
 * `Deno.DatagramConn` (cheaper per send than `node:dgram`), else
 * `node:dgram`.
 *
 * Memory is bounded by the sessions: each transport holds at most
 * `maxAddressesPerSession` remote addresses, and closing a transport removes
 * its routes; the send FIFO by `maxSendQueue`.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { classifyDatagram, stunBindingUsername } from "./stun_username.ts";
import { DtlsRetransmitFilter } from "./dtls_retransmit.ts";
import {
  bindRawSocket,
  type RawSocket,
  SendFifo,
  type UdpBackend,
} from "./_raw_socket.ts";

/** The socket under the mux (see {@linkcode UdpMuxOptions.backend}).
 *
 * @example
 * ```ts
 * import type { WebRtcUdpBackend } from "@arcly/stream/webrtc";
 * const backend: WebRtcUdpBackend = "ffi";
 * ```
 */
export type WebRtcUdpBackend = UdpBackend;

/** A `[host, port]` pair, as werift passes addresses.
 *
 * @example
 * ```ts
 * import type { UdpAddress } from "@arcly/stream/webrtc";
 * const addr: UdpAddress = ["127.0.0.1", 8189];
 * ```
 */
export type UdpAddress = [string, number];

/** Options of {@linkcode UdpMux.bind}.
 *
 * @example
 * ```ts
 * import type { UdpMuxOptions } from "@arcly/stream/webrtc";
 * const options: UdpMuxOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 */
export interface UdpMuxOptions {
  /** Address to bind (default "0.0.0.0"). */
  hostname?: string;
  /** Port to bind (default 8189; 0 picks a free one). */
  port?: number;
  /** Remote addresses one session may use (default 8). */
  maxAddressesPerSession?: number;
  /** Datagrams waiting to be sent, at most (default 16 384). */
  maxSendQueue?: number;
  /**
   * Datagrams in flight on the socket at once (default 128). Measured with
   * Deno 2.9: a window whose bytes exceed the socket's send buffer (Linux
   * default ~208 KiB; 256 × 1,200 B does) lets sends that waited for room
   * complete out of order (4 % of packets reordered at 100 viewers); 64
   * caps throughput (send FIFO drops at 100 viewers).
   */
  sendWindow?: number;
  /**
   * The socket (default "auto"): "ffi" batches the sends of one event-loop
   * turn into one `sendmmsg` (libc through Deno FFI; Linux x86_64/aarch64
   * with `--allow-ffi`), "deno" is a `Deno.DatagramConn`
   * (`--unstable-net`), "node" is `node:dgram`. "auto" takes the first
   * available in that order; "ffi" falls back the same way when FFI is not
   * granted.
   */
  backend?: WebRtcUdpBackend;
}

/** Counters of a {@linkcode UdpMux}.
 *
 * @example
 * ```ts
 * import type { UdpMuxStats } from "@arcly/stream/webrtc";
 * const stats: UdpMuxStats = { received: 0, routed: 0, dropped: 0, sent: 0, sendDropped: 0, dtlsDuplicates: 0 };
 * ```
 */
export interface UdpMuxStats {
  /** Datagrams read from the socket. */
  received: number;
  /** Datagrams handed to a session. */
  routed: number;
  /** Datagrams that matched no session (garbage, stale, unknown ufrag). */
  dropped: number;
  /** Datagrams sent. */
  sent: number;
  /** Datagrams dropped because the send FIFO was full. */
  sendDropped: number;
  /** Early DTLS flight retransmissions dropped (see `DtlsRetransmitFilter`). */
  dtlsDuplicates: number;
  /** DTLS datagrams held until the session's DTLS endpoint listened. */
  dtlsEarly?: number;
}

/**
 * One session's view of the shared socket, shaped like werift's
 * `UdpTransport` (`onData`, `send`, `close`, `address`).
 *
 * @example
 * ```ts
 * import { UdpMux } from "@arcly/stream/webrtc";
 * import assert from "node:assert/strict";
 *
 * const mux = await UdpMux.bind({ hostname: "127.0.0.1", port: 0 });
 * const transport = mux.createTransport();
 * assert.equal(transport.port, mux.port);
 * await transport.close();
 * await mux.close();
 * ```
 */
export class MuxedTransport {
  /** Transport type, as werift expects. */
  readonly type = "udp";
  /** Set by werift: called with each datagram routed here. */
  onData: (data: Uint8Array, addr: UdpAddress) => void = () => {};
  /** True after {@linkcode MuxedTransport.close}. */
  closed = false;
  /** Called once when closed. */
  onClose: (() => void) | undefined;
  readonly #mux: UdpMux;
  readonly #addresses = new Set<string>();
  /** Drops the peer's early DTLS flight retransmissions. */
  readonly dtlsFilter: DtlsRetransmitFilter = new DtlsRetransmitFilter(1_000);
  /** DTLS datagrams held before the DTLS endpoint listens; undefined after. */
  #early: [Uint8Array, UdpAddress][] | undefined = [];
  #earlyBytes = 0;
  #earlySince = 0;

  /**
   * The session's DTLS endpoint now reads `onData`: hand it the DTLS
   * datagrams held since the ICE checks (see the module doc), in order;
   * later ones pass straight. Idempotent.
   */
  dtlsListening(): void {
    const early = this.#early;
    this.#early = undefined;
    if (!early || this.closed) return;
    for (const [data, addr] of early) {
      try {
        this.onData(data, addr);
      } catch {
        // a session's handler error stays in the session
      }
    }
  }

  /** @internal True when `data` (DTLS) was held for {@linkcode dtlsListening}. */
  _holdDtls(data: Uint8Array, addr: UdpAddress, now: number): boolean {
    const early = this.#early;
    if (!early) return false;
    if (early.length === 0) this.#earlySince = now;
    if (
      early.length >= 8 || this.#earlyBytes + data.length > 16_384 ||
      now - this.#earlySince > 2_000
    ) {
      // Past the bounds: werift's endpoint is not coming the usual way;
      // deliver (as without holding) from now on.
      this.dtlsListening();
      return false;
    }
    early.push([data, addr]);
    this.#earlyBytes += data.length;
    return true;
  }

  /** Created by {@linkcode UdpMux.createTransport}. */
  constructor(mux: UdpMux) {
    this.#mux = mux;
  }

  /** Send a datagram to `addr` (binds `addr` to this session). */
  send = (data: Uint8Array, addr?: UdpAddress): Promise<void> => {
    if (this.closed || !addr) return Promise.resolve();
    this.#mux._bindAddress(this, addr, this.#addresses);
    this.#mux._send(data, addr);
    return Promise.resolve();
  };

  /**
   * Send an SRTP media datagram: queued behind this mux's control traffic
   * (STUN, DTLS, SRTCP) and dropped first when the send FIFO is full.
   */
  sendMedia(data: Uint8Array, addr: UdpAddress): void {
    if (this.closed) return;
    this.#mux._bindAddress(this, addr, this.#addresses);
    this.#mux._send(data, addr, true);
  }

  /** Stop receiving; the shared socket stays open. */
  close = (): Promise<void> => {
    if (!this.closed) {
      this.closed = true;
      this.#mux._release(this, this.#addresses);
      this.onClose?.();
    }
    return Promise.resolve();
  };

  /** The shared socket's local address. */
  get address(): { address: string; port: number; family: string } {
    return {
      address: this.#mux.hostname,
      port: this.#mux.port,
      family: "IPv4",
    };
  }
  /** IP family of the socket (4). */
  get addressFamily(): number {
    return 4;
  }
  /** Local host. */
  get host(): string {
    return this.#mux.hostname;
  }
  /** Local port (the shared port). */
  get port(): number {
    return this.#mux.port;
  }
}

/**
 * The shared WebRTC UDP socket and its routing tables.
 *
 * @example Bind on a free port and count a garbage datagram
 * ```ts
 * import { UdpMux } from "@arcly/stream/webrtc";
 *  * import assert from "node:assert/strict";
 *
 * const mux = await UdpMux.bind({ hostname: "127.0.0.1", port: 0 });
 * const client = dgram.createSocket("udp4");
 * client.send(new Uint8Array([0xff, 1, 2]), mux.port, "127.0.0.1");
 * for (let i = 0; i < 100 && mux.stats.dropped === 0; i++) await new Promise((r) => setTimeout(r, 10));
 * assert.equal(mux.stats.dropped, 1);
 * client.close();
 * await mux.close();
 * ```
 */
export class UdpMux {
  readonly #socket: RawSocket;
  readonly #byUfrag = new Map<string, MuxedTransport>();
  readonly #byAddress = new Map<string, MuxedTransport>();
  readonly #maxAddresses: number;
  readonly #hostname: string;
  #port = 0;
  /** Counters. */
  readonly stats: UdpMuxStats = {
    received: 0,
    routed: 0,
    dropped: 0,
    sent: 0,
    sendDropped: 0,
    dtlsDuplicates: 0,
    dtlsEarly: 0,
  };
  /** STUN, DTLS, SRTCP: sent before any queued media, never behind it. */
  readonly #control = new SendFifo(4_096);
  readonly #media: SendFifo;
  #inFlight = 0;
  readonly #window: number;
  readonly #sent = () => {
    this.#inFlight--;
    this.#pump();
  };

  /** Fill the window from the FIFOs, control first, each in order. */
  #pump(): void {
    while (this.#inFlight < this.#window) {
      const fifo = this.#control.empty ? this.#media : this.#control;
      const data = fifo.shift();
      if (!data) return;
      this.#transmit(data, fifo.shiftedAddr!);
    }
  }

  private constructor(
    socket: RawSocket,
    hostname: string,
    max: number,
    maxQueue: number,
    window: number,
  ) {
    this.#window = window;
    this.#socket = socket;
    this.#hostname = hostname;
    this.#maxAddresses = max;
    this.#media = new SendFifo(maxQueue);
    socket.onMessage = (data, host, port) => this.#receive(data, host, port);
  }

  /** Bind the shared socket. Throws `StreamError` `InvalidInput` on bad options. */
  static async bind(options: UdpMuxOptions = {}): Promise<UdpMux> {
    const hostname = options.hostname ?? "0.0.0.0";
    const port = options.port ?? 8189;
    const max = options.maxAddressesPerSession ?? 8;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new StreamError(
        "InvalidInput",
        `Cannot bind WebRTC UDP: port ${port} is not 0..65535`,
      );
    }
    const socket = await bindRawSocket(hostname, port, options.backend);
    const mux = new UdpMux(
      socket,
      hostname,
      max,
      options.maxSendQueue ?? 16_384,
      Math.max(1, options.sendWindow ?? 128),
    );
    mux.#port = socket.port;
    return mux;
  }

  /** Bound address. */
  get hostname(): string {
    return this.#hostname;
  }
  /** Bound port. */
  get port(): number {
    return this.#port;
  }
  /**
   * Socket send calls of the "ffi" backend (`sendmmsg`; datagrams per call
   * ≈ `stats.sent / sendCalls`); undefined on the others (one per datagram).
   */
  get sendCalls(): number | undefined {
    return this.#socket.sendCalls?.();
  }
  /** The socket backend in use ("ffi", "deno" or "node"). */
  get backend(): "ffi" | "deno" | "node" {
    return this.#socket.backend;
  }
  /** Live transports (sessions) registered by ufrag. */
  get sessionCount(): number {
    return this.#byUfrag.size;
  }
  /** Remote addresses bound to sessions. */
  get addressCount(): number {
    return this.#byAddress.size;
  }

  /** A new transport for one session; route to it with {@linkcode UdpMux.register}. */
  createTransport(): MuxedTransport {
    return new MuxedTransport(this);
  }

  /** True when `ufrag` is registered to a live session. */
  hasUfrag(ufrag: string): boolean {
    return this.#byUfrag.has(ufrag);
  }

  /** Route STUN Binding requests for local ufrag `ufrag` to `transport`. */
  register(ufrag: string, transport: MuxedTransport): void {
    if (transport.closed) return;
    if (this.#byUfrag.has(ufrag)) {
      throw new StreamError(
        "InvalidInput",
        `Cannot register ICE ufrag ${ufrag}: already in use`,
      );
    }
    this.#byUfrag.set(ufrag, transport);
    const previous = transport.onClose;
    transport.onClose = () => {
      if (this.#byUfrag.get(ufrag) === transport) this.#byUfrag.delete(ufrag);
      previous?.();
    };
  }

  /** Close the socket (sessions should be closed first). */
  close(): Promise<void> {
    this.#control.clear();
    this.#media.clear();
    return this.#socket.close();
  }

  #receive(data: Uint8Array, host: string, port: number): void {
    this.stats.received++;
    const addrKey = `${host}:${port}`;
    let target: MuxedTransport | undefined;
    if (
      classifyDatagram(data) === "stun" && data.length >= 20 && data[1] === 1 &&
      data[0] === 0
    ) {
      try {
        const username = stunBindingUsername(data);
        const local = username?.split(":")[0];
        target = local === undefined ? undefined : this.#byUfrag.get(local);
      } catch {
        target = undefined;
      }
    } else {
      target = this.#byAddress.get(addrKey);
    }
    if (!target || target.closed) {
      this.stats.dropped++;
      return;
    }
    if (data[0]! >= 20 && data[0]! <= 63) {
      const now = performance.now();
      if (!target.dtlsFilter.accept(data, now)) {
        this.stats.dtlsDuplicates++;
        return;
      }
      if (target._holdDtls(data, [host, port], now)) {
        this.stats.dtlsEarly = (this.stats.dtlsEarly ?? 0) + 1;
        this.stats.routed++;
        return;
      }
    }
    this.stats.routed++;
    try {
      target.onData(data, [host, port]);
    } catch {
      // a session's handler error never reaches the socket loop
    }
  }

  /** @internal Bind `addr` to `transport` (it sent there). */
  _bindAddress(
    transport: MuxedTransport,
    addr: UdpAddress,
    owned: Set<string>,
  ): void {
    const key = `${addr[0]}:${addr[1]}`;
    if (owned.has(key)) return;
    if (owned.size >= this.#maxAddresses) return;
    const other = this.#byAddress.get(key);
    if (other && other !== transport && !other.closed) return;
    owned.add(key);
    this.#byAddress.set(key, transport);
  }

  /** @internal `media`: SRTP from the WHEP fan-out (queued after control). */
  _send(data: Uint8Array, addr: UdpAddress, media = false): void {
    this.stats.sent++;
    const fifo = media ? this.#media : this.#control;
    // Straight to the socket only when nothing of its kind waits (or a
    // datagram would overtake older ones of the same peer: reordering).
    if (
      this.#inFlight < this.#window && fifo.empty &&
      (!media || this.#control.empty)
    ) {
      this.#transmit(data, addr);
    } else if (!fifo.push(data, addr)) {
      this.stats.sendDropped++;
    } else {
      this.#pump();
    }
  }

  #transmit(data: Uint8Array, addr: UdpAddress): void {
    this.#inFlight++;
    this.#socket.send(data, addr, this.#sent);
  }

  /** @internal Remove the routes of a closed transport. */
  _release(transport: MuxedTransport, owned: Set<string>): void {
    for (const key of owned) {
      if (this.#byAddress.get(key) === transport) this.#byAddress.delete(key);
    }
    owned.clear();
  }
}
