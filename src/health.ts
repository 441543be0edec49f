/**
 * The health contract: {@linkcode HealthCheck}, {@linkcode HealthReport} and
 * the per-engine {@linkcode HealthRegistry} that runs them (for `/healthz`).
 *
 * Checks run concurrently, each bounded by a timeout so a hung dependency
 * reports `fail` instead of hanging the probe.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";

/**
 * Health status, worst last.
 *
 * @example Name a status
 * ```ts
 * import type { HealthStatus } from "@arcly/stream";
 * const status: HealthStatus = "warn";
 * ```
 */
export type HealthStatus = "pass" | "warn" | "fail";

/**
 * One check's result.
 *
 * @example Report a pass
 * ```ts
 * import type { HealthReport } from "@arcly/stream";
 * const report: HealthReport = { status: "pass", detail: "3 streams" };
 * ```
 */
export interface HealthReport {
  /** The status. */
  readonly status: HealthStatus;
  /** Human-readable detail. */
  readonly detail?: string;
}

/**
 * A named health probe.
 *
 * @example A storage probe
 * ```ts
 * import type { HealthCheck } from "@arcly/stream";
 * const check: HealthCheck = { name: "storage", check: () => ({ status: "pass" }) };
 * ```
 */
export interface HealthCheck {
  /** Unique name shown in the summary. */
  readonly name: string;
  /** Probe once. Throwing counts as `fail`. */
  check(): HealthReport | Promise<HealthReport>;
}

/**
 * Every check's report and the worst status.
 *
 * @example An empty summary
 * ```ts
 * import type { HealthSummary } from "@arcly/stream";
 * const summary: HealthSummary = { status: "pass", checks: {} };
 * ```
 */
export interface HealthSummary {
  /** The worst status among the checks (`pass` when there are none). */
  readonly status: HealthStatus;
  /** Report per check name. */
  readonly checks: Readonly<Record<string, HealthReport>>;
}

/**
 * How long one check may take before it is reported as `fail`. A probe
 * endpoint must answer well within a load balancer's typical 5 s timeout.
 *
 * @example Check the probe budget
 * ```ts
 * import { HEALTH_CHECK_TIMEOUT_MS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.ok(HEALTH_CHECK_TIMEOUT_MS <= 5_000);
 * ```
 */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

const RANK: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };

/**
 * The set of health checks of one engine.
 *
 * @example Register and run
 * ```ts
 * import { HealthRegistry } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const health = new HealthRegistry();
 * health.register({ name: "db", check: () => ({ status: "warn", detail: "slow" }) });
 * const summary = await health.run();
 * assert.equal(summary.status, "warn");
 * assert.equal(summary.checks.db?.detail, "slow");
 * ```
 */
export class HealthRegistry {
  #checks = new Map<string, HealthCheck>();
  #clock: Clock;

  /**
   * Create it.
   * @param clock timer source for the per-check timeout
   */
  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /**
   * Add a check (replacing one with the same name).
   *
   * @returns a function that removes it
   */
  register(check: HealthCheck): () => void {
    this.#checks.set(check.name, check);
    return () => {
      if (this.#checks.get(check.name) === check) {
        this.#checks.delete(check.name);
      }
    };
  }

  /** Names of the registered checks. */
  names(): string[] {
    return [...this.#checks.keys()];
  }

  /** Run every check concurrently, each bounded by {@linkcode HEALTH_CHECK_TIMEOUT_MS}. */
  async run(): Promise<HealthSummary> {
    const entries = await Promise.all(
      [...this.#checks.values()].map(async (check) =>
        [check.name, await this.#runOne(check)] as const
      ),
    );
    let status: HealthStatus = "pass";
    const checks: Record<string, HealthReport> = {};
    for (const [name, report] of entries) {
      checks[name] = report;
      if (RANK[report.status] > RANK[status]) status = report.status;
    }
    return { status, checks };
  }

  async #runOne(check: HealthCheck): Promise<HealthReport> {
    let cancel: (() => void) | undefined;
    const timeout = new Promise<HealthReport>((resolve) => {
      cancel = this.#clock.setTimer(HEALTH_CHECK_TIMEOUT_MS, () =>
        resolve({
          status: "fail",
          detail: `timed out after ${HEALTH_CHECK_TIMEOUT_MS} ms`,
        }));
    });
    try {
      return await Promise.race([
        Promise.resolve().then(() => check.check()),
        timeout,
      ]);
    } catch (error) {
      return {
        status: "fail",
        detail: error instanceof Error ? error.message : String(error),
      };
    } finally {
      cancel?.();
    }
  }
}
