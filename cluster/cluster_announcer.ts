/**
 * {@linkcode ClusterAnnouncer}: the origin side of the cluster. It listens to
 * an engine's `published`/`unpublished` events and announces or withdraws
 * each stream in a {@linkcode ClusterRelay} under this origin's advertised
 * URL. Nothing here is on the frame path: a slow or absent directory never
 * delays a frame. Failures are reported through `onError` and retried by the
 * relay's own heartbeat.
 *
 * @module
 */
import type { ClusterRelay, EventBus } from "../mod.ts";
import { StreamKey } from "../mod.ts";

/**
 * Options for {@linkcode ClusterAnnouncer}.
 *
 * @example Announce only the `live` application
 * ```ts
 * import type { ClusterAnnouncerOptions } from "@arcly/stream/cluster";
 * const filter: ClusterAnnouncerOptions["filter"] = (key) => key.app === "live";
 * ```
 */
export interface ClusterAnnouncerOptions {
  /** The engine's events (`engine.events`). */
  events: EventBus;
  /** The directory. */
  relay: ClusterRelay;
  /** The URL others reach this origin at (HTTP base, e.g. `http://10.0.0.1:8080`). */
  advertise: string;
  /** Which streams to announce (default: all). Edges announce nothing they pull. */
  filter?: (key: StreamKey) => boolean;
  /** Told when an announce or withdraw failed. */
  onError?: (key: string, error: unknown) => void;
}

/**
 * Announce every published stream of an engine in a cluster directory.
 *
 * @example With an in-memory directory
 * ```ts
 * import { Engine, type ClusterRelay, type StreamKey } from "@arcly/stream";
 * import { ClusterAnnouncer } from "@arcly/stream/cluster";
 * import assert from "node:assert/strict";
 *
 * const where = new Map<string, string>();
 * const relay: ClusterRelay = {
 *   announce: (k: StreamKey, o: string) => { where.set(k.toString(), o); return Promise.resolve(); },
 *   withdraw: (k: StreamKey) => { where.delete(k.toString()); return Promise.resolve(); },
 *   locate: (k: StreamKey) => Promise.resolve(where.get(k.toString()) ?? null),
 * };
 * await using engine = Engine.builder().build();
 * using _announcer = new ClusterAnnouncer({ events: engine.events, relay, advertise: "http://o:8080" });
 * engine.startPublish("live/cam");
 * assert.equal(where.get("live/cam"), "http://o:8080");
 * engine.endPublish("live/cam");
 * assert.equal(where.size, 0);
 * ```
 */
export class ClusterAnnouncer implements Disposable {
  readonly #offs: (() => void)[];
  readonly #pending = new Set<Promise<void>>();

  /** Start listening; `close()` stops (it does not withdraw: the relay's close does). */
  constructor(options: ClusterAnnouncerOptions) {
    const { relay, advertise } = options;
    const filter = options.filter ?? (() => true);
    const onError = options.onError ?? (() => {});
    const track = (key: string, p: Promise<void>): void => {
      const done = p.catch((error) => onError(key, error)).finally(() =>
        this.#pending.delete(done)
      );
      this.#pending.add(done);
    };
    this.#offs = [
      options.events.on("published", (event) => {
        const key = StreamKey.parse(event.key);
        if (filter(key)) track(event.key, relay.announce(key, advertise));
      }),
      options.events.on("unpublished", (event) => {
        const key = StreamKey.parse(event.key);
        if (filter(key)) track(event.key, relay.withdraw(key));
      }),
    ];
  }

  /** Resolves when every announce/withdraw started so far has settled. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Stop listening to the engine. */
  close(): void {
    for (const off of this.#offs) off();
  }

  /** Same as {@linkcode ClusterAnnouncer.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
