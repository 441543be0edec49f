// On-demand sources (the pipeline seam's pull side, see pipeline.ts): when
// a viewer asks for a key the engine does not have, the providers are asked
// in order; the first source offered is published under the key, the
// viewer waits (up to `timeoutMs`, on the engine's clock) for its first
// frame, and concurrent viewers of the same key share one start. The
// engine's housekeeping tick ends such a stream once no viewer (subscribers
// beyond its pipelines' own, or an HLS player's `markWatched`) watched it
// for `graceMs`, which aborts the source. Memory: one record per on-demand stream.
import { StreamError } from "../media/stream_error.ts";
import type { Credentials } from "./auth.ts";
import type { Clock } from "./clock.ts";
import type { MediaSource, StreamHost } from "./contracts.ts";
import type { EventBus } from "./events.ts";
import type { OnDemandProvider } from "./contracts.ts";
import type { StreamHandle } from "./stream_handle.ts";
import type { StreamKey } from "./stream_key.ts";
import { pumpFrames, withinDeadline } from "./_lifecycle.ts";

interface Live {
  stream: StreamHandle;
  idleSince: number | undefined;
}

export interface OnDemandConfig {
  host: StreamHost;
  clock: Clock;
  events: EventBus;
  timeoutMs: number;
  graceMs: number;
  /** Subscribers of `stream` that are the engine's own pipelines, not viewers. */
  internalSubscribers(stream: StreamHandle): number;
}

export class OnDemandSources {
  readonly #config: OnDemandConfig;
  readonly #providers: OnDemandProvider[] = [];
  readonly #starting = new Map<string, Promise<StreamHandle | undefined>>();
  readonly #live = new Map<string, Live>();

  constructor(config: OnDemandConfig) {
    this.#config = config;
  }

  attach(provider: OnDemandProvider): () => void {
    this.#providers.push(provider);
    return () => {
      const at = this.#providers.indexOf(provider);
      if (at >= 0) this.#providers.splice(at, 1);
    };
  }

  /** The stream a provider started for `key`, or undefined when none serves it. */
  open(
    key: StreamKey,
    credentials: Credentials,
  ): Promise<StreamHandle | undefined> {
    if (this.#providers.length === 0) return Promise.resolve(undefined);
    const text = key.toString();
    let starting = this.#starting.get(text);
    if (starting === undefined) {
      starting = this.#open(key, credentials).finally(() =>
        this.#starting.delete(text)
      );
      this.#starting.set(text, starting);
    }
    return starting;
  }

  /** Housekeeping: end on-demand streams nobody watched for the grace period. */
  tick(now: number): void {
    const { graceMs, internalSubscribers } = this.#config;
    for (const live of this.#live.values()) {
      const viewers = live.stream.subscriberCount -
        internalSubscribers(live.stream);
      if (viewers > 0) {
        live.idleSince = undefined;
        continue;
      }
      live.idleSince ??= now;
      // HLS players hold no subscription: their playlist requests mark it.
      const idleFrom = Math.max(live.idleSince, live.stream.lastWatchedAt);
      if (now - idleFrom >= graceMs) {
        // At once: the publisher grace period is for a publisher that may
        // come back; this one is our own pull, and nobody is watching.
        this.#endNow(live.stream, `on-demand: no viewer for ${graceMs} ms`);
      }
    }
  }

  #endNow(stream: StreamHandle, reason: string): void {
    if (this.#config.host.getStream(stream.key) === stream) {
      this.#config.host.endPublish(stream.key, reason);
    } else {
      stream.end(reason);
    }
  }

  async #open(
    key: StreamKey,
    credentials: Credentials,
  ): Promise<StreamHandle | undefined> {
    for (const provider of [...this.#providers]) {
      const source = await provider.sourceFor(key, credentials);
      if (source !== null) return await this.#start(key, source);
    }
    return undefined;
  }

  async #start(key: StreamKey, source: MediaSource): Promise<StreamHandle> {
    const { host, clock, events, timeoutMs } = this.#config;
    const existing = host.getStream(key);
    if (existing !== undefined) return existing; // published meanwhile
    const stream = host.startPublish(key);
    const text = key.toString();
    const abort = new AbortController();
    this.#live.set(text, { stream, idleSince: undefined });
    stream.closed.then(() => {
      if (this.#live.get(text)?.stream === stream) this.#live.delete(text);
      abort.abort();
    });
    const probe = stream.subscribe();
    pumpFrames(stream, source, abort.signal).catch((error: unknown) =>
      events.emit({ type: "handlerError", name: source.name, error })
    );
    let first = false;
    try {
      await withinDeadline(
        clock,
        timeoutMs,
        probe.ready().then(() => {
          first = !probe.isClosed || probe.takeAll().length > 0;
        }),
      );
    } finally {
      probe.close("on-demand probe");
    }
    if (!first) {
      const code = stream.ended ? "NotFound" : "Timeout";
      this.#endNow(stream, `on-demand source ${source.name} sent no frame`);
      throw new StreamError(
        code,
        `Cannot play ${key}: on-demand source ${source.name} sent no frame within ${timeoutMs} ms`,
      );
    }
    return stream;
  }
}
