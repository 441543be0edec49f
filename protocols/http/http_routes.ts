/**
 * {@linkcode HttpRoutes}: the public face of every route factory here. It is
 * structural (a `fetch` handler plus Hono's `request()` test helper) so the
 * public API does not expose Hono's generic types; a host Hono app mounts it
 * with `host.mount("/prefix", routes.fetch)` and `Deno.serve(routes.fetch)`
 * serves it directly.
 *
 * @module
 */

/**
 * A set of HTTP routes: a fetch handler, and `request()` to call it without a
 * socket (tests, examples).
 *
 * @example Call routes without a socket
 * ```ts
 * import { type HttpRoutes, dashboardRoutes } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const routes: HttpRoutes = dashboardRoutes();
 * assert.equal((await routes.request("/")).status, 200);
 * ```
 */
export interface HttpRoutes {
  /**
   * Answer one request. `env` is what `Deno.serve` passes as its second
   * argument (used for the peer address).
   */
  fetch(request: Request, env?: unknown): Response | Promise<Response>;
  /** Answer a request built from a path or URL, without a socket. */
  request(
    input: string | URL | Request,
    init?: RequestInit,
  ): Response | Promise<Response>;
}
