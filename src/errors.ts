/**
 * Kernel errors that carry data a caller branches on, all subclasses of
 * `StreamError` (so `error.code` stays the one thing to switch on):
 * {@linkcode LaggedError}, {@linkcode EvictedError} and
 * {@linkcode UnauthorizedError}.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";

/**
 * Thrown by a plain subscription that fell behind the ring (code `Lagged`).
 *
 * @example Read the missed count
 * ```ts
 * import { LaggedError, StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const error = new LaggedError(12, "Cannot read live/cam: 12 frames were overwritten");
 * assert.ok(error instanceof StreamError);
 * assert.equal(error.code, "Lagged");
 * assert.equal(error.missed, 12);
 * ```
 */
export class LaggedError extends StreamError {
  /** How many frames the subscriber lost. */
  readonly missed: number;

  /**
   * Create it.
   *
   * @param missed frames lost
   * @param message "Cannot <action>: <state>"
   */
  constructor(missed: number, message: string) {
    super("Lagged", message);
    this.name = "LaggedError";
    this.missed = missed;
  }
}

/**
 * Why a subscription was removed by the kernel.
 *
 * @example Name a reason
 * ```ts
 * import type { EvictionReason } from "@arcly/stream";
 * const reason: EvictionReason = "slow";
 * ```
 */
export type EvictionReason =
  /** Resynchronised more than `maxResyncs` times within `resyncWindowMs`. */
  | "slow"
  /** Stopped reading while lagging for longer than `stallTimeoutMs`. */
  | "stalled"
  /** Still attached when the shutdown deadline passed. */
  | "shutdown"
  /** Disconnected by the operator (`ClientRegistry.kick`, the control API). */
  | "kicked";

/**
 * The terminal error of an evicted subscription (code `Evicted`).
 *
 * @example Branch on the reason
 * ```ts
 * import { EvictedError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const error = new EvictedError("stalled", "Cannot read live/cam: evicted, stalled");
 * assert.equal(error.code, "Evicted");
 * assert.equal(error.reason, "stalled");
 * ```
 */
export class EvictedError extends StreamError {
  /** Why the kernel removed the subscription. */
  readonly reason: EvictionReason;

  /**
   * Create it.
   *
   * @param reason why
   * @param message "Cannot <action>: <state>"
   */
  constructor(reason: EvictionReason, message: string) {
    super("Evicted", message);
    this.name = "EvictedError";
    this.reason = reason;
  }
}

/**
 * An authenticator refusal (code `Unauthorized`). `challenge` tells the
 * protocol whether asking for credentials could help (HTTP 401 vs 403).
 *
 * @example Map to an HTTP status
 * ```ts
 * import { UnauthorizedError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const error = new UnauthorizedError("bad token", true, "Cannot play live/cam: bad token");
 * assert.equal(error.code, "Unauthorized");
 * assert.equal(error.challenge ? 401 : 403, 401);
 * ```
 */
export class UnauthorizedError extends StreamError {
  /** The authenticator's reason (safe to log, not meant for end users). */
  readonly reason: string;
  /** True when presenting (other) credentials could succeed. */
  readonly challenge: boolean;

  /**
   * Create it.
   *
   * @param reason the authenticator's reason
   * @param challenge whether to ask for credentials
   * @param message "Cannot <action>: <state>"
   * @param cause the authenticator's own error, if it threw
   */
  constructor(
    reason: string,
    challenge: boolean,
    message: string,
    cause?: unknown,
  ) {
    super(
      "Unauthorized",
      message,
      cause === undefined ? undefined : { cause },
    );
    this.name = "UnauthorizedError";
    this.reason = reason;
    this.challenge = challenge;
  }
}
