/**
 * The audit contract: {@linkcode AuditSink}, {@linkcode AuditEvent} and the
 * fan-out {@linkcode AuditPipeline}.
 *
 * The engine records security-relevant decisions (authorization refusals and
 * grants, publish start/end) to its sink, and protocols record every client
 * they refuse or drop (`clientDropped`). Sinks are called synchronously and
 * must not block; a sink that throws is isolated by the pipeline and reported
 * through its `onError` callback (the engine routes it to the event bus).
 *
 * @module
 */
import type { AuthAction } from "./auth.ts";

/**
 * One audit record (a discriminated union on `type`).
 *
 * @example Build a refusal record
 * ```ts
 * import type { AuditEvent } from "@arcly/stream";
 * const event: AuditEvent = {
 *   type: "authRefused", at: 0, action: "publish", key: "live/cam",
 *   protocol: "rtmp", remoteAddr: "127.0.0.1:5000", reason: "bad token",
 * };
 * ```
 */
export type AuditEvent =
  | {
    readonly type: "authRefused";
    /** Clock milliseconds. */
    readonly at: number;
    readonly action: AuthAction;
    readonly key: string;
    readonly protocol: string;
    readonly remoteAddr: string | undefined;
    readonly reason: string;
  }
  | {
    readonly type: "authGranted";
    readonly at: number;
    readonly action: AuthAction;
    readonly key: string;
    readonly protocol: string;
    readonly remoteAddr: string | undefined;
  }
  | {
    readonly type: "publishStarted";
    readonly at: number;
    readonly key: string;
  }
  | {
    readonly type: "publishEnded";
    readonly at: number;
    readonly key: string;
    readonly reason: string;
  }
  | {
    /**
     * A protocol refused a connection (limits, rate) or dropped a client
     * (protocol violation, timeout, eviction of a slow viewer).
     */
    readonly type: "clientDropped";
    readonly at: number;
    readonly protocol: string;
    readonly remoteAddr: string | undefined;
    /** The `StreamError` code of the cause (`LimitExceeded`, `Protocol`, `Timeout`, `Evicted`, …). */
    readonly code: string;
    /** What happened, without secrets (no query strings, no tokens). */
    readonly reason: string;
  };

/**
 * Receives audit records. Must not throw or block (the pipeline isolates it
 * if it does).
 *
 * @example Keep records in memory
 * ```ts
 * import type { AuditEvent, AuditSink } from "@arcly/stream";
 * const records: AuditEvent[] = [];
 * const sink: AuditSink = { record: (event) => records.push(event) };
 * ```
 */
export interface AuditSink {
  /** Take one record. */
  record(event: AuditEvent): void;
}

/**
 * An `AuditSink` that forwards to several sinks; one throwing sink neither
 * stops the others nor the caller.
 *
 * @example Two sinks, one broken
 * ```ts
 * import { type AuditEvent, AuditPipeline } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const seen: AuditEvent[] = [];
 * const errors: unknown[] = [];
 * const pipeline = new AuditPipeline(
 *   [{ record: () => { throw new Error("disk full"); } }, { record: (e) => seen.push(e) }],
 *   (error) => errors.push(error),
 * );
 * pipeline.record({ type: "publishStarted", at: 1, key: "live/cam" });
 * assert.equal(seen.length, 1);
 * assert.equal(errors.length, 1);
 * ```
 */
export class AuditPipeline implements AuditSink {
  #sinks: AuditSink[];
  #onError: ((error: unknown, sink: AuditSink) => void) | undefined;

  /**
   * Create it.
   *
   * @param sinks the sinks, called in order
   * @param onError told about a sink that threw
   */
  constructor(
    sinks: readonly AuditSink[] = [],
    onError?: (error: unknown, sink: AuditSink) => void,
  ) {
    this.#sinks = [...sinks];
    this.#onError = onError;
  }

  /** Append a sink. */
  add(sink: AuditSink): void {
    this.#sinks.push(sink);
  }

  /** Number of sinks. */
  get size(): number {
    return this.#sinks.length;
  }

  /** Forward `event` to every sink, isolating failures. */
  record(event: AuditEvent): void {
    for (const sink of this.#sinks) {
      try {
        sink.record(event);
      } catch (error) {
        try {
          this.#onError?.(error, sink);
        } catch {
          // The error reporter itself failed; auditing must never break the caller.
        }
      }
    }
  }
}
