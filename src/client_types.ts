/**
 * The types of the client registry (`ClientRegistry`, `src/clients.ts`):
 * what a connection registers, what the registry lists, what it hands
 * back.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/** Whether a client reads or writes a stream. *
 * @example
 * ```ts
 * import type { ClientKind } from "@arcly/stream";
 * const kind: ClientKind = "viewer";
 * ```
 */
export type ClientKind = "viewer" | "publisher";

/**
 * What a connection tells the registry about itself.
 *
 * @example
 * ```ts
 * import type { ClientRegistration } from "@arcly/stream";
 * const info: ClientRegistration = { kind: "viewer", protocol: "http-flv", stream: "live/cam" };
 * ```
 */
export interface ClientRegistration {
  /** Viewer or publisher. */
  kind: ClientKind;
  /** `rtmp`, `http-flv`, `ws-flv`, `hls`, `srt`, `rtsp`, `webrtc`, `relay`, … */
  protocol: string;
  /** The stream key, `app/name`. */
  stream: string;
  /** `host:port` of the peer, when known. */
  remoteAddr?: string | null;
}

/**
 * One client as the registry lists it (a snapshot).
 *
 * @example
 * ```ts
 * import { ClientRegistry } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clients = new ClientRegistry();
 * clients.register({ kind: "viewer", protocol: "rtmp", stream: "live/a" }, () => {});
 * const [info] = clients.list();
 * assert.equal(info!.bytesSent, 0);
 * ```
 */
export interface ClientInfo {
  /** `c-…`, unique within the registry. */
  readonly id: string;
  /** Viewer or publisher. */
  readonly kind: ClientKind;
  /** The protocol it speaks. */
  readonly protocol: string;
  /** The stream key, `app/name`. */
  readonly stream: string;
  /** `host:port` of the peer, or null. */
  readonly remoteAddr: string | null;
  /** When it registered, on the registry's clock (ms). */
  readonly startedAt: number;
  /** Bytes handed to it (viewers). */
  readonly bytesSent: number;
  /** Bytes received from it (publishers). */
  readonly bytesReceived: number;
}

/**
 * What `register` returns to the connection: its id and byte counters.
 *
 * @example
 * ```ts
 * import { ClientRegistry } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clients = new ClientRegistry();
 * const handle = clients.register({ kind: "viewer", protocol: "srt", stream: "live/a" }, () => {});
 * handle.addSent(1316);
 * assert.equal(clients.get(handle.id)?.bytesSent, 1316);
 * handle.unregister();
 * assert.equal(clients.get(handle.id), undefined);
 * ```
 */
export interface ClientHandle {
  /** The client's id (`c-…`). */
  readonly id: string;
  /** Count bytes sent to it (integer add: safe per batch). */
  addSent(n: number): void;
  /** Count bytes received from it. */
  addReceived(n: number): void;
  /** Remove it from the registry (idempotent; the connection is gone). */
  unregister(): void;
}

/**
 * Options of {@linkcode ClientRegistry}.
 *
 * @example
 * ```ts
 * import type { ClientRegistryOptions } from "@arcly/stream";
 * const options: ClientRegistryOptions = { limit: 1000, hlsWindowMs: 12_000 };
 * ```
 */
export interface ClientRegistryOptions {
  /** Time source (default `systemClock`). */
  clock?: Clock;
  /** Most clients listed at once (the connection limit; default 100,000). */
  limit?: number;
  /** An HLS session lasts this long after its last request, ms (default and minimum 10,000). */
  hlsWindowMs?: number;
}
