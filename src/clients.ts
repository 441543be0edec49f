/**
 * {@linkcode ClientRegistry}: who is connected — every viewer and publisher
 * of an engine, for the control API (`GET /api/v1/clients`, `DELETE
 * /api/v1/clients/{id}`), per-protocol viewer counts and metrics.
 *
 * Data path: no media passes through here. A publisher is registered by
 * the engine in `startPublishAuthorized` (unregistered when its stream
 * closes); a viewer by the egress seam (`LiveEgress.open(stream, viewer)`,
 * unregistered when its subscription ends), which adds the bytes of each
 * batch it hands out with `addSent` (an integer add, no allocation); an HLS
 * viewer, who holds no connection, is a session touched on each request
 * ({@linkcode ClientRegistry.touchHls}) and dropped after a quiet window.
 * Internal consumers (packagers, recorders, transcoders, relays) never
 * register, so they are never counted as viewers.
 *
 * Memory: one small record per client (a few numbers and strings already
 * held by the connection) plus one counter per (stream, protocol); at most
 * {@linkcode ClientRegistry.limit} records (the connection limit): past it a
 * registration returns a detached handle that is not listed.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ClientRecord } from "./_client_record.ts";
import type {
  ClientHandle,
  ClientInfo,
  ClientRegistration,
  ClientRegistryOptions,
} from "./client_types.ts";

export type {
  ClientHandle,
  ClientInfo,
  ClientKind,
  ClientRegistration,
  ClientRegistryOptions,
} from "./client_types.ts";

/** Default {@linkcode ClientRegistryOptions.limit}. */
const DEFAULT_LIMIT = 100_000;
/** Shortest HLS session window, ms (the contract's minimum). */
const MIN_HLS_WINDOW_MS = 10_000;

/**
 * The bounded registry of an engine's clients (`engine.clients`).
 *
 * @example Register, count, kick
 * ```ts
 * import { ClientRegistry } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clients = new ClientRegistry({ limit: 10 });
 * let closed = "";
 * const viewer = clients.register(
 *   { kind: "viewer", protocol: "http-flv", stream: "live/cam", remoteAddr: "10.0.0.2:5000" },
 *   (reason) => { closed = reason; },
 * );
 * assert.deepEqual(clients.countsByProtocol("live/cam"), { "http-flv": 1 });
 * assert.equal(clients.kick(viewer.id, "bye"), true);
 * assert.equal(closed, "bye");
 * assert.equal(clients.list().length, 0);
 * ```
 */
export class ClientRegistry {
  readonly #clock: Clock;
  readonly #clients = new Map<string, ClientRecord>();
  /** stream → protocol → viewers. */
  readonly #viewers = new Map<string, Map<string, number>>();
  /** `stream\nsession` → HLS session. */
  readonly #hls = new Map<string, ClientRecord>();
  /** stream → its publisher (the latest registered). */
  readonly #publishers = new Map<string, ClientRecord>();
  /** Kicked HLS sessions → refused until (ms): they hold no connection to end. */
  readonly #kickedHls = new Map<string, number>();
  #limit: number;
  #hlsWindowMs: number;
  #nextId = 1;
  #refused = 0;
  #sentBefore = 0;
  #receivedBefore = 0;
  #lastSweep = 0;

  /**
   * Create it.
   *
   * @param options clock, limit, HLS session window
   * @throws {StreamError} `InvalidInput` for a limit that is not a positive integer
   */
  constructor(options: ClientRegistryOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#limit = checkLimit(options.limit ?? DEFAULT_LIMIT);
    this.#hlsWindowMs = Math.max(
      MIN_HLS_WINDOW_MS,
      options.hlsWindowMs ?? MIN_HLS_WINDOW_MS,
    );
  }

  /** Most clients listed at once (set it to the connection limit). */
  get limit(): number {
    return this.#limit;
  }

  /** Set the cap (clients above it stay until they leave; new ones are not listed). */
  set limit(value: number) {
    this.#limit = checkLimit(value);
  }

  /** An HLS session's quiet window, ms (at least 10,000; e.g. three target durations). */
  get hlsWindowMs(): number {
    return this.#hlsWindowMs;
  }

  /** Set the HLS session window (raised to 10,000 ms at least). */
  set hlsWindowMs(value: number) {
    this.#hlsWindowMs = Math.max(MIN_HLS_WINDOW_MS, value);
  }

  /** Clients listed now (HLS sessions included). */
  get size(): number {
    this.#sweep(this.#clock.now());
    return this.#clients.size;
  }

  /** Registrations not listed because the registry was full. */
  get refused(): number {
    return this.#refused;
  }

  /**
   * Register a connection. `close` must end it (the control API's kick).
   *
   * @param info kind, protocol, stream, peer address
   * @param close ends the connection (called at most once, by `kick`)
   * @returns the client's handle (detached, not listed, when the registry is full)
   */
  register(
    info: ClientRegistration,
    close: (reason: string) => void,
  ): ClientHandle {
    return this.#add(info, close);
  }

  /**
   * Register the publisher of a stream whose byte count the stream keeps.
   *
   * @param info the registration (kind `publisher`)
   * @param close ends the publish
   * @param received bytes received so far (read when listing)
   * @returns the handle
   */
  registerPublisher(
    info: ClientRegistration,
    close: (reason: string) => void,
    received: () => number,
  ): ClientHandle {
    const record = this.#add(info, close);
    record.received = received;
    return record;
  }

  /**
   * An HLS request (playlist, segment or part) of `stream` by `session`
   * (an `_HLS_session`-style id, or address + user agent): the session is
   * listed until `hlsWindowMs` pass without a request.
   *
   * @param stream the stream key
   * @param session the session id
   * @param remoteAddr the peer, when known
   * @param bytes bytes sent with this request (0 when not known yet)
   * @returns the session's handle (add the response size with `addSent`)
   */
  touchHls(
    stream: string,
    session: string,
    remoteAddr: string | null = null,
    bytes = 0,
  ): ClientHandle {
    const now = this.#clock.now();
    if (now - this.#lastSweep >= 1_000) this.#sweep(now);
    const id = `${stream}\n${session}`;
    let record = this.#hls.get(id);
    if (record === undefined) {
      record = this.#add(
        { kind: "viewer", protocol: "hls", stream, remoteAddr },
        () => {},
      );
      if (this.#clients.get(record.id) !== record) return record; // full
      record.hlsKey = id;
      this.#hls.set(id, record);
    }
    record.lastSeen = now;
    record.bytesSent += bytes;
    return record;
  }

  /**
   * Whether an HLS session was kicked less than `hlsWindowMs` ago (its
   * requests are then refused: a kicked HLS player holds no connection).
   *
   * @param stream the stream key
   * @param session the session id (as given to `touchHls`)
   * @returns true while refused
   */
  hlsRefused(stream: string, session: string): boolean {
    if (this.#kickedHls.size === 0) return false;
    const key = `${stream}\n${session}`;
    const until = this.#kickedHls.get(key);
    if (until === undefined) return false;
    if (this.#clock.now() < until) return true;
    this.#kickedHls.delete(key);
    return false;
  }

  /**
   * Every client now (snapshots, oldest first).
   *
   * @returns the clients
   */
  list(): ClientInfo[] {
    this.#sweep(this.#clock.now());
    const out: ClientInfo[] = [];
    for (const record of this.#clients.values()) out.push(record.snapshot());
    return out;
  }

  /**
   * One client.
   *
   * @param id its id
   * @returns a snapshot, or undefined
   */
  get(id: string): ClientInfo | undefined {
    this.#sweep(this.#clock.now());
    return this.#clients.get(id)?.snapshot();
  }

  /**
   * End a client's connection (the control API's `DELETE`).
   *
   * @param id its id
   * @param reason why (given to its close callback)
   * @returns false when no such client
   */
  kick(id: string, reason = "disconnected by the operator"): boolean {
    const record = this.#clients.get(id);
    if (record === undefined) return false;
    if (record.hlsKey !== null) {
      // No connection to end: refuse the session's requests for a window.
      if (this.#kickedHls.size >= this.#limit) {
        const oldest = this.#kickedHls.keys().next().value;
        if (oldest !== undefined) this.#kickedHls.delete(oldest);
      }
      this.#kickedHls.set(
        record.hlsKey,
        this.#clock.now() + this.#hlsWindowMs,
      );
    }
    const close = record.close;
    record.unregister();
    close?.(reason);
    return true;
  }

  /**
   * The publisher of `stream`, if one is registered.
   *
   * @param stream the stream key
   * @returns a snapshot, or undefined
   */
  publisherOf(stream: string): ClientInfo | undefined {
    return this.#publishers.get(stream)?.snapshot();
  }

  /**
   * Viewers of `stream` per protocol (HLS sessions included).
   *
   * @param stream the stream key
   * @returns protocol → count (only protocols with viewers)
   */
  countsByProtocol(stream: string): Record<string, number> {
    this.#sweep(this.#clock.now());
    const out: Record<string, number> = {};
    const counts = this.#viewers.get(stream);
    if (counts !== undefined) {
      for (const [protocol, n] of counts) out[protocol] = n;
    }
    return out;
  }

  /**
   * Viewers over every stream, per protocol.
   *
   * @returns protocol → count
   */
  viewersByProtocol(): Record<string, number> {
    this.#sweep(this.#clock.now());
    const out: Record<string, number> = {};
    for (const counts of this.#viewers.values()) {
      for (const [protocol, n] of counts) {
        out[protocol] = (out[protocol] ?? 0) + n;
      }
    }
    return out;
  }

  /**
   * Count bytes sent to viewers that are not one client's (HLS responses),
   * for {@linkcode ClientRegistry.totals}.
   *
   * @param n bytes
   */
  countSent(n: number): void {
    this.#sentBefore += n;
  }

  /**
   * Bytes sent to and received from clients since the registry started
   * (those gone included): what bandwidth rates are computed from.
   *
   * @returns cumulative bytes each way
   */
  totals(): { sent: number; received: number } {
    let sent = this.#sentBefore;
    let received = this.#receivedBefore;
    for (const record of this.#clients.values()) {
      sent += record.bytesSent;
      received += Math.max(record.bytesReceived, record.received?.() ?? 0);
    }
    return { sent, received };
  }

  /**
   * Called by a record's `unregister()`.
   *
   * @param record the handle `register` returned
   */
  remove(record: ClientHandle): void {
    const r = record as ClientRecord;
    if (this.#clients.get(r.id) !== r) return;
    this.#clients.delete(r.id);
    this.#sentBefore += r.bytesSent;
    this.#receivedBefore += Math.max(r.bytesReceived, r.received?.() ?? 0);
    if (r.hlsKey !== null) this.#hls.delete(r.hlsKey);
    if (r.kind !== "viewer") {
      if (this.#publishers.get(r.stream) === r) {
        this.#publishers.delete(r.stream);
      }
      return;
    }
    const counts = this.#viewers.get(r.stream);
    const n = (counts?.get(r.protocol) ?? 0) - 1;
    if (counts === undefined) return;
    if (n > 0) counts.set(r.protocol, n);
    else {
      counts.delete(r.protocol);
      if (counts.size === 0) this.#viewers.delete(r.stream);
    }
  }

  #add(
    info: ClientRegistration,
    close: (reason: string) => void,
  ): ClientRecord {
    const id = `c-${(this.#nextId++).toString(36)}`;
    const now = this.#clock.now();
    if (this.#clients.size >= this.#limit) {
      this.#refused++;
      return new ClientRecord(id, info, now, null, null); // detached
    }
    const record = new ClientRecord(id, info, now, close, this);
    this.#clients.set(id, record);
    if (info.kind === "publisher") this.#publishers.set(info.stream, record);
    if (info.kind === "viewer") {
      let counts = this.#viewers.get(info.stream);
      if (counts === undefined) {
        counts = new Map();
        this.#viewers.set(info.stream, counts);
      }
      counts.set(info.protocol, (counts.get(info.protocol) ?? 0) + 1);
    }
    return record;
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    if (this.#hls.size === 0) return;
    for (const record of [...this.#hls.values()]) {
      if (now - record.lastSeen >= this.#hlsWindowMs) record.unregister();
    }
  }
}

function checkLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new StreamError(
      "InvalidInput",
      `Cannot limit clients: ${value} is not a positive integer`,
    );
  }
  return value;
}
