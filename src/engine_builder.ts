/**
 * Engine configuration: {@linkcode EngineBuilder}, the fluent way to
 * configure an `Engine`; {@linkcode EngineOptions}, the plain-object
 * equivalent; and the options of its lifecycle calls
 * ({@linkcode ShutdownOptions}, {@linkcode PumpOptions}).
 *
 * @module
 */
import type { AppSpec } from "./app_spec.ts";
import type { AuditSink } from "./audit.ts";
import type { Credentials, StreamAuthenticator } from "./auth.ts";
import type { Clock } from "./clock.ts";
import { Engine } from "./engine.ts";
import type { Observer } from "./events.ts";

/**
 * Engine configuration. Every field is optional; defaults are safe
 * (permit-all auth, no observers, system clock).
 *
 * @example Configure with a plain object
 * ```ts
 * import { Engine, type EngineOptions, ManualClock } from "@arcly/stream";
 * const options: EngineOptions = { clock: new ManualClock(), idleTimeoutMs: 5_000 };
 * await using engine = new Engine(options);
 * ```
 */
export interface EngineOptions {
  /** Time source (default `systemClock`). */
  clock?: Clock;
  /** Most live streams at once, all apps together (default 1,000). */
  maxPublishers?: number;
  /** Applications; when none is given, any app name is accepted with defaults. */
  applications?: readonly AppSpec[];
  /** Who may publish and play (default `allowAll`). */
  authenticator?: StreamAuthenticator;
  /** Receivers of every event. */
  observers?: readonly Observer[];
  /** Audit sinks (combined into an `AuditPipeline`). */
  auditSinks?: readonly AuditSink[];
  /** A stream without frames for this long is ended by the reaper (default 10 s). */
  idleTimeoutMs?: number;
  /** Longest wait for subscribers to drain on shutdown (default 5 s). */
  shutdownDeadlineMs?: number;
  /** Period of the engine's housekeeping tick (default 1 s). */
  tickIntervalMs?: number;
}

/**
 * Options of {@linkcode Engine.shutdown}.
 *
 * @example Shorten the drain
 * ```ts
 * import type { ShutdownOptions } from "@arcly/stream";
 * const options: ShutdownOptions = { deadlineMs: 1_000 };
 * ```
 */
export interface ShutdownOptions {
  /**
   * Longest wait for subscribers to drain (default: the engine's
   * `shutdownDeadlineMs`); 0 evicts at once, without a timer.
   */
  deadlineMs?: number;
}

/**
 * Options of {@linkcode Engine.pumpSource}.
 *
 * @example Pump with credentials
 * ```ts
 * import type { PumpOptions } from "@arcly/stream";
 * const options: PumpOptions = { credentials: { protocol: "file" } };
 * ```
 */
export interface PumpOptions {
  /** Stop pumping when aborted. */
  signal?: AbortSignal;
  /** Authorize the publish with these credentials (default: no authorization). */
  credentials?: Credentials;
}

/**
 * Fluent configuration of an {@linkcode Engine}.
 *
 * @example Configure and build
 * ```ts
 * import { Engine, ManualClock, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * await using engine = Engine.builder()
 *   .clock(clock)
 *   .maxPublishers(10)
 *   .application({ name: "live", gopCacheFrames: 300, maxSubscribers: 100 })
 *   .idleTimeout(2_000)
 *   .build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * clock.advance(3_000); // no frames: the reaper ends it
 * assert.equal(stream.ended, true);
 * ```
 */
export class EngineBuilder {
  #options: EngineOptions = {};
  #apps: AppSpec[] = [];
  #observers: Observer[] = [];
  #audit: AuditSink[] = [];

  /**
   * Use `clock` for time and timers. The engine reads it through a
   * `MonotonicClock` (unless it is `systemClock` or a `ManualClock`), so a
   * wall clock stepped back by NTP pauses time instead of reversing it.
   */
  clock(clock: Clock): this {
    this.#options.clock = clock;
    return this;
  }

  /** Limit the number of live streams. */
  maxPublishers(count: number): this {
    this.#options.maxPublishers = count;
    return this;
  }

  /** Declare an application (call once per app). */
  application(spec: AppSpec): this {
    this.#apps.push(spec);
    return this;
  }

  /** Set the authenticator. */
  authenticator(authenticator: StreamAuthenticator): this {
    this.#options.authenticator = authenticator;
    return this;
  }

  /** Add an observer of every event. */
  observer(observer: Observer): this {
    this.#observers.push(observer);
    return this;
  }

  /** Add an audit sink. */
  audit(sink: AuditSink): this {
    this.#audit.push(sink);
    return this;
  }

  /** Milliseconds without frames before the reaper ends a stream. */
  idleTimeout(ms: number): this {
    this.#options.idleTimeoutMs = ms;
    return this;
  }

  /** Longest graceful-shutdown drain, in milliseconds. */
  shutdownDeadline(ms: number): this {
    this.#options.shutdownDeadlineMs = ms;
    return this;
  }

  /** Period of the housekeeping tick, in milliseconds. */
  tickInterval(ms: number): this {
    this.#options.tickIntervalMs = ms;
    return this;
  }

  /**
   * Create the engine.
   *
   * @throws {StreamError} `InvalidInput` on an invalid limit or duplicate app
   */
  build(): Engine {
    return new Engine({
      ...this.#options,
      applications: [...this.#apps],
      observers: [...this.#observers],
      auditSinks: [...this.#audit],
    });
  }
}
