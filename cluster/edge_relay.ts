/**
 * {@linkcode EdgeRelay}: the edge side of the cluster. Asked for a stream it
 * does not have, an edge locates the origin in the {@linkcode ClusterRelay}
 * and pulls the stream from that origin's HTTP-FLV output ONCE, however many
 * local viewers (RTMP, HTTP-FLV, WS-FLV, HLS, …) watch it; the pulled frames
 * are published into the edge's own engine, where the usual fan-out,
 * GOP cache and packaging apply.
 *
 * Data path: origin → one HTTP-FLV connection → `FlvReader` (frames view the
 * received chunks) → `publishFrame` on the edge → the edge's viewers. Per
 * pulled stream the edge holds one connection, at most one partial FLV tag,
 * and the engine's bounded ring and GOP cache.
 *
 * Lifecycle of one pull:
 * - `ensure(key)` locates the origin (`NotFound` if no origin announced the
 *   key, `Unavailable` if the directory cannot be asked) and starts the
 *   local stream at once, so viewers can subscribe and wait for the
 *   keyframe.
 * - If the origin connection fails, stalls, or ends while viewers remain,
 *   the edge locates again and re-pulls with exponential backoff (the
 *   stream may have moved to another origin). The local stream stays up
 *   across the gap, so viewers do not reconnect: the new pull starts with
 *   the origin's sequence headers and a keyframe (HLS marks a
 *   discontinuity on the timestamp jump). When the directory says for
 *   `goneAfterMs` that no origin has the stream, the local stream ends.
 * - When the last viewer left (and no HLS request `touch`ed the key) for
 *   `graceMs`, the pull is released and the local stream ended.
 *
 * @module
 */
import type {
  ClusterRelay,
  MediaFrame,
  MediaSource,
  StreamHandle,
  StreamHost,
} from "../mod.ts";
import { StreamError, StreamKey } from "../mod.ts";
import { HttpFlvPullSource } from "./http_flv_pull.ts";

/** Options for {@linkcode EdgeRelay}. */
export interface EdgeRelayOptions {
  /** The edge's engine (or any {@linkcode StreamHost}). */
  host: StreamHost;
  /** Where origins announce their streams. */
  relay: ClusterRelay;
  /** Keep a pull this long after its last viewer left, ms (default 10 000). */
  graceMs?: number;
  /** First retry delay after a failed pull, ms (default 250; doubles up to `retryMaxMs`). */
  retryMinMs?: number;
  /** Longest retry delay, ms (default 4 000). */
  retryMaxMs?: number;
  /** End the local stream once the directory has not known it for this long, ms (default 10 000). */
  goneAfterMs?: number;
  /** A pull that receives nothing for this long is restarted, ms (default 5 000). */
  stallTimeoutMs?: number;
  /** How many local viewers a stream has (default: its subscriber count minus `internalSubscribers`). */
  viewers?: (handle: StreamHandle) => number;
  /** Subscriptions per stream that are not viewers (an HLS packager, a recorder), default 0. */
  internalSubscribers?: number;
  /** The pull URL for an origin (default `${origin}/${app}/${name}.flv`). */
  urlOf?: (origin: string, key: StreamKey) => string;
  /** The source that pulls (default {@linkcode HttpFlvPullSource}); tests inject fakes. */
  sourceOf?: (url: string) => MediaSource;
  /** What happened to the pulls. */
  onEvent?: (event: EdgeEvent) => void;
}

/** What an {@linkcode EdgeRelay} reports. */
export type EdgeEvent =
  | { readonly type: "pullStarted"; readonly key: string; readonly url: string }
  | {
    readonly type: "pullFailed";
    readonly key: string;
    readonly error: string;
    readonly retryInMs: number;
  }
  | {
    readonly type: "released";
    readonly key: string;
    readonly reason: string;
  };

interface Pull {
  readonly key: StreamKey;
  readonly handle: StreamHandle;
  readonly controller: AbortController;
  cancelGrace: (() => void) | null;
  lastTouch: number;
  done: Promise<void>;
}

/**
 * Pull streams from origins on demand and release them when unwatched.
 *
 * @example On an edge engine (the CLI's `--edge --cluster redis://…` does this)
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { EdgeRelay, RedisClusterRelay } from "@arcly/stream/cluster";
 *
 * await using edge = Engine.builder().build();
 * const relay = await RedisClusterRelay.connect({ url: "redis://127.0.0.1:6379" });
 * const edgeRelay = new EdgeRelay({ host: edge, relay });
 * const handle = await edgeRelay.ensure("live/cam"); // pulls once; viewers subscribe to it
 * using viewer = handle.subscribe();
 * ```
 */
export class EdgeRelay {
  readonly #host: StreamHost;
  readonly #relay: ClusterRelay;
  readonly #graceMs: number;
  readonly #retryMin: number;
  readonly #retryMax: number;
  readonly #goneAfter: number;
  readonly #stallMs: number;
  readonly #viewers: (handle: StreamHandle) => number;
  readonly #urlOf: (origin: string, key: StreamKey) => string;
  readonly #sourceOf: (url: string) => MediaSource;
  readonly #onEvent: (event: EdgeEvent) => void;
  readonly #pulls = new Map<string, Pull>();
  readonly #starting = new Map<string, Promise<StreamHandle>>();
  readonly #offs: (() => void)[];
  #closed = false;

  /** @param options the edge engine, the directory and the timings */
  constructor(options: EdgeRelayOptions) {
    this.#host = options.host;
    this.#relay = options.relay;
    this.#graceMs = options.graceMs ?? 10_000;
    this.#retryMin = options.retryMinMs ?? 250;
    this.#retryMax = options.retryMaxMs ?? 4_000;
    this.#goneAfter = options.goneAfterMs ?? 10_000;
    this.#stallMs = options.stallTimeoutMs ?? 5_000;
    const internal = options.internalSubscribers ?? 0;
    this.#viewers = options.viewers ??
      ((h) => Math.max(0, h.subscriberCount - internal));
    this.#urlOf = options.urlOf ??
      ((origin, key) =>
        `${origin.replace(/\/+$/, "")}/${encodeURIComponent(key.app)}/${
          encodeURIComponent(key.name)
        }.flv`);
    this.#sourceOf = options.sourceOf ??
      ((url) =>
        new HttpFlvPullSource({
          url,
          stallTimeoutMs: this.#stallMs,
          clock: this.#host.clock,
        }));
    this.#onEvent = options.onEvent ?? (() => {});
    const check = (event: { key: string }): void => {
      const pull = this.#pulls.get(event.key);
      if (pull !== undefined) this.#checkIdle(pull);
    };
    this.#offs = [
      this.#host.events.on("subscriberLeft", check),
      this.#host.events.on("subscriberJoined", check),
      this.#host.events.on("unpublished", (event) => {
        const pull = this.#pulls.get(event.key);
        if (pull !== undefined && pull.handle.ended) this.#stop(pull, "ended");
      }),
    ];
  }

  /** Streams being pulled now. */
  get pulls(): number {
    return this.#pulls.size;
  }

  /** True when `key` is pulled by this relay. */
  has(key: StreamKey | string): boolean {
    return this.#pulls.has(String(key));
  }

  /**
   * The local stream of `key`, pulling it from its origin if needed (one pull
   * per key, however many callers).
   *
   * @throws {StreamError} `NotFound` when no origin announced `key`,
   *   `Unavailable` when the directory cannot be asked, `Closed` after close
   */
  ensure(key: StreamKey | string): Promise<StreamHandle> {
    const k = typeof key === "string" ? StreamKey.parse(key) : key;
    const name = k.toString();
    const pull = this.#pulls.get(name);
    if (pull !== undefined) {
      pull.lastTouch = this.#host.clock.now();
      this.#checkIdle(pull);
      return Promise.resolve(pull.handle);
    }
    const existing = this.#host.getStream(k);
    if (existing !== undefined) return Promise.resolve(existing);
    let starting = this.#starting.get(name);
    if (starting === undefined) {
      starting = this.#start(k).finally(() => this.#starting.delete(name));
      this.#starting.set(name, starting);
    }
    return starting;
  }

  /** Note viewer activity that holds no subscription (an HLS playlist request). */
  touch(key: StreamKey | string): void {
    const pull = this.#pulls.get(String(key));
    if (pull === undefined) return;
    pull.lastTouch = this.#host.clock.now();
    this.#checkIdle(pull);
  }

  /** Release every pull and stop listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#offs) off();
    const pulls = [...this.#pulls.values()];
    for (const pull of pulls) this.#stop(pull, "closed");
    await Promise.all(pulls.map((p) => p.done));
  }

  async #start(key: StreamKey): Promise<StreamHandle> {
    if (this.#closed) {
      throw new StreamError("Closed", `Cannot pull ${key}: the edge is closed`);
    }
    const origin = await this.#relay.locate(key);
    if (origin === null) {
      throw new StreamError(
        "NotFound",
        `Cannot play ${key}: no origin serves it`,
      );
    }
    const handle = this.#host.startPublish(key);
    const pull: Pull = {
      key,
      handle,
      controller: new AbortController(),
      cancelGrace: null,
      lastTouch: this.#host.clock.now(),
      done: Promise.resolve(),
    };
    this.#pulls.set(key.toString(), pull);
    pull.done = this.#run(pull, origin);
    this.#checkIdle(pull);
    return handle;
  }

  async #run(pull: Pull, firstOrigin: string): Promise<void> {
    const { key, handle, controller } = pull;
    const signal = AbortSignal.any([controller.signal, this.#host.signal]);
    let origin: string | null = firstOrigin;
    let delay = this.#retryMin;
    let missingSince: number | null = null;
    while (!signal.aborted && !handle.ended) {
      if (origin !== null) {
        missingSince = null;
        const url = this.#urlOf(origin, key);
        this.#onEvent({ type: "pullStarted", key: key.toString(), url });
        let frames = 0;
        let failure = "origin ended the stream";
        try {
          for await (const frame of this.#frames(url, signal)) {
            if (handle.ended) break;
            handle.publishFrame(frame);
            if (++frames === 1) delay = this.#retryMin;
          }
        } catch (error) {
          failure = (error as Error).message;
        }
        if (signal.aborted || handle.ended) break;
        this.#onEvent({
          type: "pullFailed",
          key: key.toString(),
          error: failure,
          retryInMs: delay,
        });
      }
      await sleep(this.#host, delay, signal);
      delay = Math.min(delay * 2, this.#retryMax);
      if (signal.aborted) break;
      try {
        origin = await this.#relay.locate(key);
      } catch {
        origin = null; // directory away: keep the stream, try again later
        continue;
      }
      if (origin === null) {
        missingSince ??= this.#host.clock.now();
        if (this.#host.clock.now() - missingSince >= this.#goneAfter) {
          this.#stop(pull, "gone from the cluster");
          break;
        }
      }
    }
  }

  #frames(url: string, signal: AbortSignal): AsyncIterable<MediaFrame> {
    const source = this.#sourceOf(url);
    const frames = source.frames(signal);
    return Symbol.asyncIterator in frames
      ? frames as AsyncIterable<MediaFrame>
      : toAsync(frames as Iterable<MediaFrame>);
  }

  #checkIdle(pull: Pull): void {
    if (!this.#pulls.has(pull.key.toString())) return;
    pull.cancelGrace?.();
    pull.cancelGrace = null;
    if (this.#viewers(pull.handle) > 0) return;
    const idleFor = this.#host.clock.now() - pull.lastTouch;
    const wait = Math.max(0, this.#graceMs - idleFor);
    pull.cancelGrace = this.#host.clock.setTimer(wait, () => {
      pull.cancelGrace = null;
      if (this.#viewers(pull.handle) > 0) return;
      if (this.#host.clock.now() - pull.lastTouch < this.#graceMs) {
        this.#checkIdle(pull);
        return;
      }
      this.#stop(pull, "no viewers");
    });
  }

  #stop(pull: Pull, reason: string): void {
    if (this.#pulls.get(pull.key.toString()) !== pull) return;
    this.#pulls.delete(pull.key.toString());
    pull.cancelGrace?.();
    pull.controller.abort();
    if (!pull.handle.ended) this.#host.endPublish(pull.key, `edge: ${reason}`);
    this.#onEvent({ type: "released", key: pull.key.toString(), reason });
  }
}

function sleep(
  host: StreamHost,
  ms: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const cancel = host.clock.setTimer(ms, done);
    function done(): void {
      cancel();
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
