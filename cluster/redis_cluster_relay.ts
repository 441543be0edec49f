/**
 * {@linkcode RedisClusterRelay}: the cluster's stream directory on Redis. An
 * origin announces each stream it serves (`app/name → origin URL`) as one key
 * with a TTL and refreshes it on a heartbeat; it withdraws the key on
 * unpublish (only if the key still names this origin: a newer origin that
 * took the stream over is never erased). Edges `locate` a stream with one GET.
 *
 * Failure model. Redis is a directory, not the media path: when it is
 * unreachable, streams that are already flowing keep flowing (nothing on the
 * frame path touches Redis), announcements fail and are retried on the next
 * heartbeat, and `locate` fails at once with a `StreamError` of code
 * `Unavailable` (no offline queue, so no buffer grows while Redis is away).
 * When Redis returns, the next heartbeat re-announces every live stream and
 * lookups work again. Memory: one entry per locally announced stream.
 *
 * Keys: `{prefix}{app}/{name}` (default prefix `arcly:stream:`), value: the
 * origin URL as given (an HTTP base such as `http://10.0.0.1:8080`, from the
 * CLI's `--advertise`).
 *
 * @module
 */
import { createClient } from "@redis/client";
import {
  type Clock,
  type ClusterRelay,
  StreamError,
  StreamKey,
  systemClock,
} from "../mod.ts";

/**
 * Options for {@linkcode RedisClusterRelay}.
 *
 * @example A short TTL for fast failover
 * ```ts
 * import type { RedisClusterRelayOptions } from "@arcly/stream/cluster";
 * const options: RedisClusterRelayOptions = { url: "redis://127.0.0.1:6379", ttlMs: 6_000, heartbeatMs: 2_000 };
 * ```
 */
export interface RedisClusterRelayOptions {
  /** `redis://HOST:PORT[/DB]` (credentials in the URL if needed). */
  url: string;
  /** Key prefix (default `arcly:stream:`). */
  prefix?: string;
  /** Lifetime of an announcement without a heartbeat, ms (default 15 000). */
  ttlMs?: number;
  /** Heartbeat period, ms (default a third of `ttlMs`). */
  heartbeatMs?: number;
  /** A command that gets no answer within this is failed, ms (default 2 000). */
  commandTimeoutMs?: number;
  /** Clock for the heartbeat timer (default the system clock). */
  clock?: Clock;
  /** Told about failures and recoveries (announce, heartbeat, connection). */
  onEvent?: (event: ClusterRelayEvent) => void;
}

/**
 * What a {@linkcode RedisClusterRelay} reports.
 *
 * @example Log outages
 * ```ts
 * import type { ClusterRelayEvent } from "@arcly/stream/cluster";
 * const onEvent = (e: ClusterRelayEvent): string => e.type === "disconnected" ? e.error : e.type;
 * ```
 */
export type ClusterRelayEvent =
  | { readonly type: "connected" }
  | { readonly type: "disconnected"; readonly error: string }
  | {
    readonly type: "announceFailed";
    readonly key: string;
    readonly error: string;
  }
  | { readonly type: "reannounced"; readonly streams: number };

/** The part of a node-redis client the relay uses (kept narrow so the client's generics stay out of our types). */
interface Client {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  get(key: string): Promise<unknown>;
  eval(
    script: string,
    options: { keys: string[]; arguments: string[] },
  ): Promise<unknown>;
  quit(): Promise<unknown>;
  destroy(): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "ready", listener: () => void): unknown;
}

const WITHDRAW_SCRIPT =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/**
 * A {@linkcode ClusterRelay} on Redis (npm `@redis/client`).
 *
 * @example Announce, locate, withdraw (needs a Redis server)
 * ```ts ignore
 * import { RedisClusterRelay } from "@arcly/stream/cluster";
 * import { StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using relay = await RedisClusterRelay.connect({ url: "redis://127.0.0.1:6379" });
 * const key = StreamKey.parse("live/cam");
 * await relay.announce(key, "http://10.0.0.1:8080");
 * assert.equal(await relay.locate(key), "http://10.0.0.1:8080");
 * await relay.withdraw(key);
 * assert.equal(await relay.locate(key), null);
 * ```
 */
export class RedisClusterRelay implements ClusterRelay, AsyncDisposable {
  readonly #client: Client;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #onEvent: (event: ClusterRelayEvent) => void;
  /** What this process announced: key → origin. Re-sent on every heartbeat. */
  readonly #announced = new Map<string, string>();
  #cancelHeartbeat: (() => void) | null = null;
  #closed = false;
  #healthy = false;

  private constructor(client: Client, options: RedisClusterRelayOptions) {
    this.#client = client;
    this.#prefix = options.prefix ?? "arcly:stream:";
    this.#ttlMs = positive(options.ttlMs ?? 15_000, "ttlMs");
    this.#heartbeatMs = positive(
      options.heartbeatMs ?? Math.max(100, Math.floor(this.#ttlMs / 3)),
      "heartbeatMs",
    );
    if (this.#heartbeatMs >= this.#ttlMs) {
      throw new RangeError(
        "Cannot create RedisClusterRelay: heartbeatMs must be below ttlMs",
      );
    }
    this.#timeoutMs = positive(
      options.commandTimeoutMs ?? 2_000,
      "commandTimeoutMs",
    );
    this.#clock = options.clock ?? systemClock;
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /**
   * Connect to Redis. Resolves once connected, or rejects with
   * `StreamError("Unavailable")` if Redis cannot be reached within the
   * command timeout (the caller may retry; the client then gives up).
   */
  static async connect(
    options: RedisClusterRelayOptions,
  ): Promise<RedisClusterRelay> {
    const relay = RedisClusterRelay.open(options);
    try {
      await withTimeout(
        relay.#connecting,
        relay.#timeoutMs,
        "connect to Redis",
        relay.#clock,
      );
    } catch (error) {
      relay.#closed = true;
      relay.#cancelHeartbeat?.();
      try {
        relay.#client.destroy();
      } catch { /* never opened */ }
      throw unavailable("connect to Redis", error);
    }
    return relay;
  }

  /**
   * Start connecting in the background and return at once: an origin or edge
   * starts even while Redis is away (announcements are sent by the heartbeat
   * once it is reachable; lookups fail with `Unavailable` until then).
   *
   * @example
   * ```ts ignore
   * import { RedisClusterRelay } from "@arcly/stream/cluster";
   * const relay = RedisClusterRelay.open({ url: "redis://127.0.0.1:6379" });
   * ```
   */
  static open(options: RedisClusterRelayOptions): RedisClusterRelay {
    const timeout = options.commandTimeoutMs ?? 2_000;
    const client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: timeout,
        // Bounded backoff, forever: the directory comes back when Redis does.
        reconnectStrategy: (retries: number) =>
          Math.min(100 * 2 ** retries, 2_000),
      },
    }) as unknown as Client;
    const relay = new RedisClusterRelay(client, options);
    client.on("error", (error: Error) => relay.#down(error));
    client.on("ready", () => relay.#up());
    relay.#connecting = client.connect();
    relay.#connecting.catch(() => {}); // reported through "error" events
    relay.#scheduleHeartbeat();
    return relay;
  }

  #connecting: Promise<unknown> = Promise.resolve();

  /** True while the connection to Redis is up. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Streams this process has announced and not withdrawn. */
  get announced(): number {
    return this.#announced.size;
  }

  /**
   * Announce that `origin` serves `key` (kept while heartbeats run). If Redis
   * is down the announcement is remembered and sent by the next heartbeat;
   * the returned promise then rejects with `Unavailable`.
   */
  async announce(key: StreamKey, origin: string): Promise<void> {
    this.#announced.set(key.toString(), origin);
    await this.#run(
      "announce",
      () =>
        this.#client.set(this.#prefix + key.toString(), origin, {
          PX: this.#ttlMs,
        }),
    );
  }

  /** Withdraw the announcement of `key` if it still names this process's origin. */
  async withdraw(key: StreamKey): Promise<void> {
    const origin = this.#announced.get(key.toString());
    this.#announced.delete(key.toString());
    if (origin === undefined) return;
    await this.#run("withdraw", () =>
      this.#client.eval(WITHDRAW_SCRIPT, {
        keys: [this.#prefix + key.toString()],
        arguments: [origin],
      }));
  }

  /**
   * The origin serving `key`, or null when no origin announced it.
   *
   * @throws {StreamError} `Unavailable` when Redis cannot be asked now
   */
  async locate(key: StreamKey): Promise<string | null> {
    const value = await this.#run(
      "locate",
      () => this.#client.get(this.#prefix + key.toString()),
    );
    return typeof value === "string" ? value : null;
  }

  /** Stop heartbeats, withdraw everything announced (best effort), disconnect. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelHeartbeat?.();
    for (const key of [...this.#announced.keys()]) {
      await this.withdraw(StreamKey.parse(key)).catch(() => {});
    }
    try {
      await withTimeout(
        this.#client.quit(),
        this.#timeoutMs,
        "quit",
        this.#clock,
      );
    } catch {
      try {
        this.#client.destroy();
      } catch { /* already closed */ }
    }
  }

  /** Same as {@linkcode RedisClusterRelay.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new StreamError("Closed", `Cannot ${what}: the relay is closed`);
    }
    if (!this.#client.isReady) {
      throw new StreamError(
        "Unavailable",
        `Cannot ${what}: Redis is unreachable`,
      );
    }
    try {
      return await withTimeout(command(), this.#timeoutMs, what, this.#clock);
    } catch (error) {
      throw unavailable(what, error);
    }
  }

  #scheduleHeartbeat(): void {
    if (this.#closed) return;
    this.#cancelHeartbeat = this.#clock.setTimer(this.#heartbeatMs, () => {
      void this.#heartbeat().finally(() => this.#scheduleHeartbeat());
    });
  }

  async #heartbeat(): Promise<void> {
    if (!this.#client.isReady || this.#announced.size === 0) return;
    let sent = 0;
    for (const [key, origin] of [...this.#announced]) {
      try {
        await this.#run(
          "heartbeat",
          () =>
            this.#client.set(this.#prefix + key, origin, { PX: this.#ttlMs }),
        );
        sent++;
      } catch (error) {
        this.#onEvent({
          type: "announceFailed",
          key,
          error: (error as Error).message,
        });
        return;
      }
    }
    if (!this.#healthy) return;
    if (sent > 0 && this.#needsReannounce) {
      this.#needsReannounce = false;
      this.#onEvent({ type: "reannounced", streams: sent });
    }
  }

  #needsReannounce = false;

  #up(): void {
    const wasDown = !this.#healthy;
    this.#healthy = true;
    if (wasDown) {
      this.#onEvent({ type: "connected" });
      if (this.#announced.size > 0) {
        this.#needsReannounce = true;
        void this.#heartbeat();
      }
    }
  }

  #down(error: Error): void {
    if (this.#healthy) {
      this.#healthy = false;
      this.#onEvent({ type: "disconnected", error: error.message });
    }
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(
      `Cannot create RedisClusterRelay: ${name} must be a positive number, received ${value}`,
    );
  }
  return value;
}

function unavailable(what: string, error: unknown): StreamError {
  if (error instanceof StreamError) return error;
  return new StreamError(
    "Unavailable",
    `Cannot ${what}: Redis is unreachable (${
      (error as Error)?.message ?? error
    })`,
    { cause: error },
  );
}

function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  clock: Clock,
): Promise<T> {
  let cancel = (): void => {};
  const timeout = new Promise<never>((_, reject) => {
    cancel = clock.setTimer(
      ms,
      () =>
        reject(
          new StreamError(
            "Unavailable",
            `Cannot ${what}: no answer in ${ms} ms`,
          ),
        ),
    );
  });
  return Promise.race([promise, timeout]).finally(() => cancel());
}
