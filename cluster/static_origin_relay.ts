/**
 * {@linkcode StaticOriginRelay}: a {@linkcode ClusterRelay} for an edge with
 * one fixed origin and no directory (the several-processes-on-one-host
 * recipe, or a small two-box setup). `locate` asks the origin's own stream
 * API (`GET {origin}/api/streams/{app}/{name}`): 200 → the origin, 404 →
 * null, anything else → `StreamError("Unavailable")`. Announcements are
 * no-ops: the origin is known by configuration.
 *
 * @module
 */
import type { ClusterRelay, StreamKey } from "../mod.ts";
import { StreamError } from "../mod.ts";

/**
 * Options for {@linkcode StaticOriginRelay}.
 *
 * @example
 * ```ts
 * import type { StaticOriginRelayOptions } from "@arcly/stream/cluster";
 * const options: StaticOriginRelayOptions = { origin: "http://127.0.0.1:8081", timeoutMs: 1_000 };
 * ```
 */
export interface StaticOriginRelayOptions {
  /** The origin's HTTP base URL, e.g. `http://127.0.0.1:8081`. */
  origin: string;
  /** Extra headers for the API request (e.g. a bearer token). */
  headers?: HeadersInit;
  /** Give up on one lookup after this long, ms (default 2 000). */
  timeoutMs?: number;
}

/**
 * Locate every stream at one fixed origin.
 *
 * @example
 * ```ts
 * import { StaticOriginRelay } from "@arcly/stream/cluster";
 * import assert from "node:assert/strict";
 * const relay = new StaticOriginRelay({ origin: "http://127.0.0.1:8081/" });
 * assert.equal(relay.origin, "http://127.0.0.1:8081");
 * ```
 */
export class StaticOriginRelay implements ClusterRelay {
  /** The origin's HTTP base URL (no trailing slash). */
  readonly origin: string;
  readonly #headers: HeadersInit | undefined;
  readonly #timeoutMs: number;

  /** Create a relay that locates every stream at `options.origin`. */
  constructor(options: StaticOriginRelayOptions) {
    this.origin = options.origin.replace(/\/+$/, "");
    this.#headers = options.headers;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
  }

  /** No-op: the origin is configured, not announced. */
  announce(_key: StreamKey, _origin: string): Promise<void> {
    return Promise.resolve();
  }

  /** No-op. */
  withdraw(_key: StreamKey): Promise<void> {
    return Promise.resolve();
  }

  /**
   * The origin when it has `key` live, else null.
   *
   * @throws {StreamError} `Unavailable` when the origin cannot be asked
   */
  async locate(key: StreamKey): Promise<string | null> {
    const url = `${this.origin}/api/streams/${encodeURIComponent(key.app)}/${
      encodeURIComponent(key.name)
    }`;
    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.timeout(this.#timeoutMs),
        ...(this.#headers ? { headers: this.#headers } : {}),
      });
    } catch (error) {
      throw new StreamError(
        "Unavailable",
        `Cannot locate ${key}: origin ${this.origin} unreachable (${
          (error as Error).message
        })`,
        { cause: error },
      );
    }
    await response.body?.cancel();
    if (response.status === 404) return null;
    if (!response.ok) {
      throw new StreamError(
        "Unavailable",
        `Cannot locate ${key}: origin ${this.origin} answered ${response.status}`,
      );
    }
    return this.origin;
  }
}
