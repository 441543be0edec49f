/**
 * {@linkcode EdgeRelay}: the edge side of the cluster, an
 * {@linkcode OnDemandProvider}. Asked (through `authorizePlay`, the play path
 * of every protocol) for a stream the edge does not have, it locates the
 * origin in the {@linkcode ClusterRelay} and offers a source that pulls the
 * stream from that origin's HTTP-FLV output. The engine publishes that source
 * ONCE under the key, however many local viewers (RTMP, HTTP-FLV, WS-FLV,
 * HLS, WHEP, …) watch it, and ends it `onDemandGraceMs` after the last viewer
 * left (its own pipelines, such as the HLS packager, do not count).
 *
 * Data path: origin → one HTTP-FLV connection → `FlvReader` (frames view the
 * received chunks) → `publishFrame` on the edge → the edge's viewers. Per
 * pulled stream the edge holds one connection, at most one partial FLV tag,
 * and the engine's bounded ring and GOP cache.
 *
 * A pull is resilient: if the origin connection fails, stalls or ends, the
 * source locates the stream again (it may have moved to another origin) and
 * re-pulls with exponential backoff, without ending the local stream, so
 * viewers stay connected; the new pull starts with the origin's sequence
 * headers and a keyframe (HLS marks a discontinuity at the timestamp jump).
 * Once the directory has not known the stream for `goneAfterMs`, the source
 * ends and so does the local stream.
 *
 * @module
 */
import type {
  Clock,
  ClusterRelay,
  MediaFrame,
  MediaSource,
  OnDemandProvider,
} from "../mod.ts";
import { type StreamKey, systemClock } from "../mod.ts";
import { HttpFlvPullSource } from "./http_flv_pull.ts";

/**
 * Options for {@linkcode EdgeRelay}.
 *
 * @example Pull from origins' HTTPS port
 * ```ts
 * import type { EdgeRelayOptions } from "@arcly/stream/cluster";
 * const urlOf: EdgeRelayOptions["urlOf"] = (origin, key) => `${origin}/${key.app}/${key.name}.flv`;
 * ```
 */
export interface EdgeRelayOptions {
  /** Where origins announce their streams. */
  relay: ClusterRelay;
  /** Clock for retries and stalls (default the system clock; pass the engine's). */
  clock?: Clock;
  /** First retry delay after a failed pull, ms (default 250; doubles up to `retryMaxMs`). */
  retryMinMs?: number;
  /** Longest retry delay, ms (default 4 000). */
  retryMaxMs?: number;
  /** End the pull once the directory has not known the stream for this long, ms (default 10 000). */
  goneAfterMs?: number;
  /** A pull that receives nothing for this long is restarted, ms (default 5 000). */
  stallTimeoutMs?: number;
  /** Which keys to serve (default: every key; the directory decides). */
  accepts?: (key: StreamKey) => boolean;
  /** The pull URL for an origin (default `${origin}/${app}/${name}.flv`). */
  urlOf?: (origin: string, key: StreamKey) => string;
  /** The source that pulls one URL (default {@linkcode HttpFlvPullSource}); tests inject fakes. */
  sourceOf?: (url: string) => MediaSource;
  /** What happened to the pulls. */
  onEvent?: (event: EdgeEvent) => void;
}

/**
 * What an {@linkcode EdgeRelay} reports.
 *
 * @example Log pulls
 * ```ts
 * import type { EdgeEvent } from "@arcly/stream/cluster";
 * const line = (e: EdgeEvent): string => `${e.type} ${e.key}`;
 * ```
 */
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

/**
 * Pull streams from their origins on demand.
 *
 * @example On an edge engine (the CLI's `--edge --cluster redis://…` does this)
 * ```ts ignore
 * import { Engine } from "@arcly/stream";
 * import { EdgeRelay, RedisClusterRelay } from "@arcly/stream/cluster";
 *
 * await using edge = Engine.builder().build();
 * const relay = RedisClusterRelay.open({ url: "redis://127.0.0.1:6379" });
 * edge.attachOnDemand(new EdgeRelay({ relay, clock: edge.clock }));
 * // Any protocol's play of live/cam now pulls it once from its origin.
 * const handle = await edge.authorizePlay("live/cam", { protocol: "test" });
 * ```
 */
export class EdgeRelay implements OnDemandProvider {
  /** `"edge"`. */
  readonly name: string = "edge";
  readonly #relay: ClusterRelay;
  readonly #clock: Clock;
  readonly #retryMin: number;
  readonly #retryMax: number;
  readonly #goneAfter: number;
  readonly #stallMs: number;
  readonly #accepts: (key: StreamKey) => boolean;
  readonly #urlOf: (origin: string, key: StreamKey) => string;
  readonly #sourceOf: (url: string) => MediaSource;
  readonly #onEvent: (event: EdgeEvent) => void;
  readonly #active = new Set<string>();

  /** Create an edge relay over `options.relay` (attach it with `Engine.attachOnDemand`). */
  constructor(options: EdgeRelayOptions) {
    this.#relay = options.relay;
    this.#clock = options.clock ?? systemClock;
    this.#retryMin = options.retryMinMs ?? 250;
    this.#retryMax = options.retryMaxMs ?? 4_000;
    this.#goneAfter = options.goneAfterMs ?? 10_000;
    this.#stallMs = options.stallTimeoutMs ?? 5_000;
    this.#accepts = options.accepts ?? (() => true);
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
          clock: this.#clock,
        }));
    this.#onEvent = options.onEvent ?? (() => {});
  }

  /** Streams being pulled now. */
  get pulls(): number {
    return this.#active.size;
  }

  /**
   * A resilient pull of `key` from its origin, or null when no origin
   * announced it (the viewer gets `NotFound`).
   *
   * @throws {StreamError} `Unavailable` when the directory cannot be asked
   */
  async sourceFor(key: StreamKey): Promise<MediaSource | null> {
    if (!this.#accepts(key)) return null;
    const origin = await this.#relay.locate(key);
    if (origin === null) return null;
    return {
      name: `edge pull ${key}`,
      frames: (signal: AbortSignal) => this.#pull(key, origin, signal),
    };
  }

  async *#pull(
    key: StreamKey,
    firstOrigin: string,
    signal: AbortSignal,
  ): AsyncGenerator<MediaFrame> {
    const name = key.toString();
    this.#active.add(name);
    let origin: string | null = firstOrigin;
    let delay = this.#retryMin;
    let missingSince: number | null = null;
    let reason = "released";
    try {
      while (!signal.aborted) {
        if (origin !== null) {
          missingSince = null;
          const url = this.#urlOf(origin, key);
          this.#onEvent({ type: "pullStarted", key: name, url });
          let failure = "the origin ended the stream";
          try {
            for await (const frame of this.#sourceOf(url).frames(signal)) {
              delay = this.#retryMin; // frames flow: the next failure retries fast
              yield frame;
            }
          } catch (error) {
            failure = (error as Error).message;
          }
          if (signal.aborted) break;
          this.#onEvent({
            type: "pullFailed",
            key: name,
            error: failure,
            retryInMs: delay,
          });
        }
        await this.#sleep(delay, signal);
        delay = Math.min(delay * 2, this.#retryMax);
        if (signal.aborted) break;
        try {
          origin = await this.#relay.locate(key);
        } catch {
          origin = null; // the directory is away: keep the stream, ask again later
          continue;
        }
        if (origin === null) {
          missingSince ??= this.#clock.now();
          if (this.#clock.now() - missingSince >= this.#goneAfter) {
            reason = "gone from the cluster";
            break;
          }
        }
      }
    } finally {
      this.#active.delete(name);
      this.#onEvent({ type: "released", key: name, reason });
    }
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const cancel = this.#clock.setTimer(ms, done);
      function done(): void {
        cancel();
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
