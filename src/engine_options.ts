/**
 * Engine configuration: {@linkcode EngineOptions} (plain object), the
 * fluent {@linkcode EngineOptionsBuilder} that `EngineBuilder` extends, and
 * the options of the engine's lifecycle calls ({@linkcode ShutdownOptions},
 * {@linkcode PumpOptions}). Nothing here imports the engine, so the engine,
 * its builder and its helpers share them without an import cycle.
 *
 * @module
 */
import type { AppSpec } from "./app_spec.ts";
import type { AuditSink } from "./audit.ts";
import type { Credentials, StreamAuthenticator } from "./auth.ts";
import type { Clock } from "./clock.ts";
import type { Observer } from "./events.ts";
import type { OnDemandProvider, StreamPipeline } from "./contracts.ts";

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
  /**
   * The settings every app gets when no application is declared (any app
   * name accepted), e.g. `{ publisherGraceMs: 10_000 }`; default: the
   * `AppSpec` defaults.
   */
  defaultApplication?: Omit<AppSpec, "name">;
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
  /** Per-stream pipelines started on every publish (same as `Engine.attach`). */
  pipelines?: readonly StreamPipeline[];
  /** Providers of streams started when a viewer asks for a missing key (same as `Engine.attachOnDemand`). */
  onDemand?: readonly OnDemandProvider[];
  /** Longest wait for an on-demand source's first frame (default 10 s). */
  onDemandTimeoutMs?: number;
  /** An on-demand stream without viewers for this long is ended (default 10 s). */
  onDemandGraceMs?: number;
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
 * The fluent setters of `EngineBuilder` (declared apart from the engine, so
 * the options module does not import it); `options()` returns the plain
 * {@linkcode EngineOptions}.
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
export class EngineOptionsBuilder {
  #options: EngineOptions = {};
  #apps: AppSpec[] = [];
  #observers: Observer[] = [];
  #audit: AuditSink[] = [];
  #pipelines: StreamPipeline[] = [];
  #onDemand: OnDemandProvider[] = [];

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

  /** The settings of every app when none is declared (see `EngineOptions.defaultApplication`). */
  defaultApplication(spec: Omit<AppSpec, "name">): this {
    this.#options.defaultApplication = spec;
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

  /** Add a per-stream pipeline (see `Engine.attach`). */
  pipeline(pipeline: StreamPipeline): this {
    this.#pipelines.push(pipeline);
    return this;
  }

  /** Add an on-demand source provider (see `Engine.attachOnDemand`). */
  onDemand(provider: OnDemandProvider): this {
    this.#onDemand.push(provider);
    return this;
  }

  /** The options collected so far (a copy). */
  options(): EngineOptions {
    return {
      ...this.#options,
      applications: [...this.#apps],
      observers: [...this.#observers],
      auditSinks: [...this.#audit],
      pipelines: [...this.#pipelines],
      onDemand: [...this.#onDemand],
    };
  }
}
