/**
 * Connection limits that fit the machine: the CLI's default
 * `--max-connections` is derived from the process's open-files limit (each
 * TCP connection is one file descriptor), and refused connections are logged
 * once per interval instead of once per refusal.
 *
 * Data path: the limit is read once at start (`/proc/self/limits`, which
 * Deno opens only with `--allow-all`; else `getrlimit` through FFI with
 * `--allow-ffi`, as the CLI's tasks grant; else `sh -c "ulimit -n"`); refusals reach {@linkcode RefusalLog} through the
 * engine's audit pipeline (`clientDropped` events whose reason starts with
 * "connection refused"), which keeps two counters and one timer: memory is
 * constant however many connections are refused.
 *
 * @module
 */
import type { Clock } from "../src/clock.ts";
import { openFilesLimitFfi } from "../protocols/net/mod.ts";
import type { AuditEvent, AuditSink } from "../src/audit.ts";

/** Used when the open-files limit cannot be read (the former fixed default). */
export const FALLBACK_MAX_CONNECTIONS = 1000;

/** Descriptors kept for everything that is not a client connection. */
export const MIN_RESERVED_FDS = 256;

/** Share of the limit kept for files (HLS segments, recordings), pipes, DNS… */
export const RESERVED_FD_SHARE = 0.1;

/**
 * Reads the soft "Max open files" limit from the text of `/proc/<pid>/limits`.
 *
 * @param text The file's content.
 * @returns The soft limit, `Infinity` for "unlimited", or null when absent.
 *
 * @example
 * ```ts
 * import { parseOpenFilesLimit } from "./connection_limits.ts";
 * import assert from "node:assert/strict";
 *
 * const text = "Max open files            20000                20000                files     \n";
 * assert.equal(parseOpenFilesLimit(text), 20000);
 * ```
 */
export function parseOpenFilesLimit(text: string): number | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (m === null) return null;
  return parseLimitValue(m[1]!);
}

function parseLimitValue(value: string): number | null {
  const v = value.trim();
  if (v === "unlimited") return Infinity;
  if (!/^\d+$/.test(v)) return null;
  const n = Number(v);
  return n > 0 ? n : null;
}

/**
 * The process's soft open-files limit: `/proc/self/limits` (`--allow-all`),
 * else `getrlimit(RLIMIT_NOFILE)` through FFI (`--allow-ffi`), else the output
 * of `sh -c "ulimit -n"` (`--allow-run`), else null (no permission, not
 * Linux, no shell).
 *
 * @returns The limit, or null when it cannot be read.
 */
export async function readOpenFilesLimit(): Promise<number | null> {
  try {
    const n = parseOpenFilesLimit(
      await Deno.readTextFile("/proc/self/limits"),
    );
    if (n !== null) return n;
  } catch { /* not Linux, or no read permission (Deno: --allow-all only) */ }
  const viaFfi = openFilesLimitFfi();
  if (viaFfi !== null) return viaFfi;
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", "ulimit -n"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    if (out.success) {
      return parseLimitValue(new TextDecoder().decode(out.stdout));
    }
  } catch { /* no shell or no run permission */ }
  return null;
}

/**
 * The default connection cap per listener for an open-files limit: the limit
 * minus a reserve (10 %, at least 256 descriptors) shared by the listeners,
 * so that every listener full at once still leaves descriptors for files.
 * An unreadable limit gives {@linkcode FALLBACK_MAX_CONNECTIONS}; an
 * unlimited one is treated as 1,048,576 (Linux's usual `nr_open`).
 *
 * @param openFilesLimit The soft limit (null when unknown).
 * @param listeners How many listeners share it (RTMP, RTMPS, HTTP).
 * @returns Connections per listener, at least 1.
 *
 * @example 20,000 descriptors and two listeners
 * ```ts
 * import { defaultMaxConnections } from "./connection_limits.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(defaultMaxConnections(20_000, 2), 9_000);
 * assert.equal(defaultMaxConnections(1024, 2), 384);
 * assert.equal(defaultMaxConnections(null, 2), 1000);
 * ```
 */
export function defaultMaxConnections(
  openFilesLimit: number | null,
  listeners: number,
): number {
  if (openFilesLimit === null || !(openFilesLimit > 0)) {
    return FALLBACK_MAX_CONNECTIONS;
  }
  const limit = Number.isFinite(openFilesLimit) ? openFilesLimit : 1 << 20;
  const reserve = Math.max(
    MIN_RESERVED_FDS,
    Math.ceil(limit * RESERVED_FD_SHARE),
  );
  const usable = Math.max(0, limit - reserve);
  return Math.max(1, Math.floor(usable / Math.max(1, listeners)));
}

/** Options of {@linkcode RefusalLog}. */
export interface RefusalLogOptions {
  /** The engine's clock (a ManualClock in tests). */
  clock: Clock;
  /** Where a line goes. */
  log: (line: string) => void;
  /** At most one line per this many ms (default 10,000). */
  intervalMs?: number;
}

/**
 * Logs refused connections once per interval: the first refusal at once
 * (with its protocol and reason), the ones after it in the same interval as
 * one summary line when the interval ends. As an {@linkcode AuditSink} it
 * takes the `clientDropped` events whose reason starts with
 * "connection refused".
 *
 * @example Three refusals in one interval: two lines
 * ```ts
 * import { RefusalLog } from "./connection_limits.ts";
 * import { ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const lines: string[] = [];
 * const log = new RefusalLog({ clock, log: (l) => lines.push(l), intervalMs: 1000 });
 * for (let i = 0; i < 3; i++) log.refused("rtmp", "maxConnections (10) reached");
 * assert.equal(lines.length, 1);
 * clock.advance(1000);
 * assert.equal(lines.length, 2);
 * assert.equal(log.total, 3);
 * ```
 */
export class RefusalLog implements AuditSink {
  readonly #clock: Clock;
  readonly #log: (line: string) => void;
  readonly #intervalMs: number;
  #total = 0;
  #pending = 0;
  #lastReason = "";
  #cancel: (() => void) | null = null;

  /** @param options clock, log and interval */
  constructor(options: RefusalLogOptions) {
    this.#clock = options.clock;
    this.#log = options.log;
    this.#intervalMs = options.intervalMs ?? 10_000;
  }

  /** Connections refused since start. */
  get total(): number {
    return this.#total;
  }

  /**
   * Counts one refused connection (logs it when no line went out in the
   * current interval).
   *
   * @param protocol The listener ("rtmp", "http").
   * @param reason Why ("maxConnections (9000) reached", "maxPerIp").
   */
  refused(protocol: string, reason: string): void {
    this.#total++;
    this.#lastReason = `${protocol}: ${reason}`;
    if (this.#cancel !== null) {
      this.#pending++;
      return;
    }
    this.#log(
      `connection refused (${this.#lastReason}); further refusals are summarized every ${
        this.#intervalMs / 1000
      } s`,
    );
    this.#arm();
  }

  #arm(): void {
    this.#cancel = this.#clock.setTimer(this.#intervalMs, () => {
      this.#cancel = null;
      if (this.#pending === 0) return; // quiet interval: the next refusal logs at once
      this.#log(
        `${this.#pending} more connection${
          this.#pending === 1 ? "" : "s"
        } refused in the last ${
          this.#intervalMs / 1000
        } s (latest: ${this.#lastReason}; ${this.#total} since start)`,
      );
      this.#pending = 0;
      this.#arm();
    });
  }

  /**
   * Audit sink: a `clientDropped` event whose reason starts with
   * "connection refused" counts as a refusal.
   *
   * @param event Any audit event.
   */
  record(event: AuditEvent): void {
    if (event.type !== "clientDropped") return;
    const prefix = "connection refused";
    if (!event.reason.startsWith(prefix)) return;
    this.refused(
      event.protocol,
      event.reason.slice(prefix.length).replace(/^:\s*/, "") || event.code,
    );
  }

  /** Stops the timer (pending refusals are not logged). */
  close(): void {
    this.#cancel?.();
    this.#cancel = null;
  }
}
