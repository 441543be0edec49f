/**
 * The engine's typed event bus: {@linkcode EngineEvents},
 * {@linkcode EngineEvent}, {@linkcode Observer} and {@linkcode EventBus}.
 *
 * Events are rare (per publish, per subscriber, per lag), never per frame.
 * `emit()` calls listeners synchronously; a listener that throws is isolated
 * and re-emitted as `observerError` (once: a throwing `observerError` listener
 * is not re-reported, which bounds the recursion), so an observer can never
 * break publishing. Each engine has its own bus; there is no global state.
 *
 * @module
 */
import type { StreamError } from "../media/stream_error.ts";
import type { EvictionReason } from "./errors.ts";

/**
 * Event name → payload. Payloads carry `key` as the `"app/name"` string.
 *
 * @example Listen to one event
 * ```ts
 * import { EventBus } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const bus = new EventBus();
 * const keys: string[] = [];
 * bus.on("published", (event) => keys.push(event.key));
 * bus.emit({ type: "published", key: "live/cam" });
 * assert.deepEqual(keys, ["live/cam"]);
 * ```
 */
export interface EngineEvents {
  /** A publisher started. */
  published: { readonly type: "published"; readonly key: string };
  /** A stream ended (publisher left, reaped, replaced or shutdown). */
  unpublished: {
    readonly type: "unpublished";
    readonly key: string;
    readonly reason: string;
  };
  /** A subscription attached. */
  subscriberJoined: {
    readonly type: "subscriberJoined";
    readonly key: string;
    readonly subscriberId: number;
    readonly resilient: boolean;
    readonly subscribers: number;
  };
  /** A subscription detached (closed, drained, errored or evicted). */
  subscriberLeft: {
    readonly type: "subscriberLeft";
    readonly key: string;
    readonly subscriberId: number;
    readonly reason: string;
    readonly subscribers: number;
  };
  /** The kernel removed a subscription. */
  subscriberEvicted: {
    readonly type: "subscriberEvicted";
    readonly key: string;
    readonly subscriberId: number;
    readonly reason: EvictionReason;
    readonly lag: number;
  };
  /** A resilient subscription skipped frames to a keyframe. */
  lagResync: {
    readonly type: "lagResync";
    readonly key: string;
    readonly subscriberId: number;
    readonly skipped: number;
  };
  /** Engine tick: some subscribers are more than half their lag limit behind (once per tick, never per frame). */
  subscribersLagging: {
    readonly type: "subscribersLagging";
    readonly key: string;
    readonly lagging: number;
    readonly subscribers: number;
  };
  /** A plain subscription fell behind and failed with `Lagged`. */
  subscriberLagged: {
    readonly type: "subscriberLagged";
    readonly key: string;
    readonly subscriberId: number;
    readonly missed: number;
  };
  /** A configuration frame could not be parsed (the frame is still forwarded). */
  decodeError: {
    readonly type: "decodeError";
    readonly key: string;
    readonly error: StreamError;
  };
  /** A protocol handler or media source failed. */
  handlerError: {
    readonly type: "handlerError";
    readonly name: string;
    readonly error: unknown;
  };
  /** Shutdown progress. */
  shutdown: {
    readonly type: "shutdown";
    readonly phase: "started" | "drained" | "deadline";
    readonly streams: number;
    readonly subscribers: number;
  };
  /** A listener or audit sink threw. */
  observerError: {
    readonly type: "observerError";
    readonly event: string;
    readonly error: unknown;
  };
}

/**
 * Any engine event, discriminated by `type`.
 *
 * @example Switch on the type
 * ```ts
 * import type { EngineEvent } from "@arcly/stream";
 * function describe(event: EngineEvent): string {
 *   return event.type === "lagResync" ? `skipped ${event.skipped}` : event.type;
 * }
 * ```
 */
export type EngineEvent = EngineEvents[keyof EngineEvents];

/**
 * Receives every event (registered with `Engine.builder().observer(…)`).
 *
 * @example Count evictions
 * ```ts
 * import type { Observer } from "@arcly/stream";
 * let evictions = 0;
 * const observer: Observer = {
 *   onEvent(event) {
 *     if (event.type === "subscriberEvicted") evictions++;
 *   },
 * };
 * ```
 */
export interface Observer {
  /** Called synchronously for each event; must not block. */
  onEvent(event: EngineEvent): void;
}

type Listener = (event: never) => void;

/**
 * A typed, fault-isolating event emitter.
 *
 * @example A throwing listener does not break the emitter
 * ```ts
 * import { EventBus } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const bus = new EventBus();
 * const errors: string[] = [];
 * bus.on("published", () => { throw new Error("boom"); });
 * bus.on("observerError", (e) => errors.push(e.event));
 * bus.emit({ type: "published", key: "live/cam" });
 * assert.deepEqual(errors, ["published"]);
 * ```
 */
export class EventBus {
  #byType = new Map<string, Set<Listener>>();
  #observers = new Set<Observer>();
  #queue: EngineEvent[] = [];
  #dispatching = false;

  /**
   * Listen to one event type.
   *
   * @returns a function that removes the listener
   */
  on<K extends keyof EngineEvents>(
    type: K,
    listener: (event: EngineEvents[K]) => void,
  ): () => void {
    let set = this.#byType.get(type);
    if (set === undefined) {
      set = new Set();
      this.#byType.set(type, set);
    }
    set.add(listener as Listener);
    return () => {
      set.delete(listener as Listener);
    };
  }

  /**
   * Resolve with the next event of `type` (tests, shutdown coordination).
   *
   * @param signal rejects with its reason when aborted
   */
  once<K extends keyof EngineEvents>(
    type: K,
    signal?: AbortSignal,
  ): Promise<EngineEvents[K]> {
    return new Promise((resolve, reject) => {
      const off = this.on(type, (event) => {
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(event);
      });
      const onAbort = (): void => {
        off();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Receive every event.
   *
   * @returns a function that removes the observer
   */
  observe(observer: Observer): () => void {
    this.#observers.add(observer);
    return () => {
      this.#observers.delete(observer);
    };
  }

  /** Number of listeners and observers (for leak checks). */
  get listenerCount(): number {
    let n = this.#observers.size;
    for (const set of this.#byType.values()) n += set.size;
    return n;
  }

  /**
   * Deliver `event` to its listeners and to every observer, isolating
   * failures. An event emitted while another is being delivered (a listener
   * that subscribes, publishes or fails) is queued and delivered right after
   * it, so every listener and observer sees events in causal order.
   */
  emit(event: EngineEvent): void {
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        this.#deliver(this.#queue[i]!);
      }
    } finally {
      this.#queue.length = 0;
      this.#dispatching = false;
    }
  }

  #deliver(event: EngineEvent): void {
    const set = this.#byType.get(event.type);
    if (set !== undefined) {
      for (const listener of set) {
        try {
          (listener as (event: EngineEvent) => void)(event);
        } catch (error) {
          this.#reportFailure(event, error);
        }
      }
    }
    for (const observer of this.#observers) {
      try {
        observer.onEvent(event);
      } catch (error) {
        this.#reportFailure(event, error);
      }
    }
  }

  #reportFailure(event: EngineEvent, error: unknown): void {
    // Recursion guard: a failing observerError listener is not re-reported.
    if (event.type === "observerError") return;
    this.emit({ type: "observerError", event: event.type, error });
  }
}
