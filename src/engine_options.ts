/**
 * Engine configuration as plain objects: {@linkcode EngineOptions} (what
 * `EngineBuilder` assembles) and the options of its lifecycle calls
 * ({@linkcode ShutdownOptions}, {@linkcode PumpOptions}). Types only, so the
 * engine, its builder and its helpers share them without an import cycle.
 *
 * @module
 */
import type { AppSpec } from "./app_spec.ts";
import type { AuditSink } from "./audit.ts";
import type { Credentials, StreamAuthenticator } from "./auth.ts";
import type { Clock } from "./clock.ts";
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
