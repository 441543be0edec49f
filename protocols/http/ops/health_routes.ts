/**
 * Health probes: `GET /healthz` (liveness: the registry's checks) and
 * `GET /readyz` (readiness: the same checks, and the engine still accepts
 * new streams). Both answer JSON `{ status, checks }`, 200 for `pass` or
 * `warn` and 503 for `fail`.
 *
 * @module
 */
import { Hono } from "hono";
import type { HealthSummary } from "../../../src/mod.ts";
import type { HttpRoutes } from "../http_routes.ts";

/** What the probes read (`Engine` satisfies it). *
 * @example A stub for tests
 * ```ts
 * import { type HealthEngine, healthRoutes } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const stub: HealthEngine = {
 *   health: { run: () => Promise.resolve({ status: "fail", checks: {} }) },
 *   accepting: true,
 * };
 * assert.equal((await healthRoutes(stub).request("/healthz")).status, 503);
 * ```
 */
export interface HealthEngine {
  /** The engine's health checks. */
  readonly health: { run(): Promise<HealthSummary> };
  /** False once shutdown started. */
  readonly accepting: boolean;
}

/**
 * Build the health sub-app.
 *
 * @param engine the engine to probe
 * @returns the routes
 *
 * @example Probe a fresh engine
 * ```ts
 * import { healthRoutes } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const res = await healthRoutes(engine).request("/readyz");
 * assert.equal(res.status, 200);
 * assert.equal((await res.json()).status, "pass");
 * ```
 */
export function healthRoutes(engine: HealthEngine): HttpRoutes {
  const app = new Hono();
  addHealthRoutes(app, engine);
  return app;
}

/**
 * Register the routes of {@linkcode healthRoutes} on an existing Hono app.
 *
 * @param app the app to add routes to
 * @param engine the engine to probe
 */
export function addHealthRoutes(app: Hono, engine: HealthEngine): void {
  app.get("/healthz", async (c) => {
    const summary = await engine.health.run();
    c.header("Cache-Control", "no-store");
    return c.json(summary, summary.status === "fail" ? 503 : 200);
  });
  app.get("/readyz", async (c) => {
    const summary = await engine.health.run();
    c.header("Cache-Control", "no-store");
    if (!engine.accepting) {
      return c.json({
        status: "fail",
        checks: summary.checks,
        detail: "shutting down",
      }, 503);
    }
    return c.json(summary, summary.status === "fail" ? 503 : 200);
  });
}
