/**
 * The control API's errors and admin check: `{"error":{"code","message"}}`
 * responses with a stable code, and the `Authorization: Bearer` rule of
 * state-changing requests (shared by every `/api/v1` router).
 *
 * @module
 */
import type { ApiV1ErrorCode } from "./api_v1_types.ts";

const STATUS: Record<ApiV1ErrorCode, 400 | 401 | 403 | 404 | 409 | 503> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};
/**
 * A JSON error response of the contract's shape.
 *
 * @param code the stable code (sets the status)
 * @param message "Cannot …: …"
 * @returns the response
 *
 * @example
 * ```ts
 * import { apiV1Error } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const res = apiV1Error("not_found", "Cannot find x: no such thing");
 * assert.equal(res.status, 404);
 * assert.equal((await res.json()).error.code, "not_found");
 * ```
 */
export function apiV1Error(code: ApiV1ErrorCode, message: string): Response {
  return new Response(JSON.stringify({ error: { code, message } }), {
    status: STATUS[code],
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
    },
  });
}

/**
 * The admin check of a state-changing request: null when `request` carries
 * `Authorization: Bearer <apiToken>`, else the 401/403 error response.
 *
 * @param request the request
 * @param apiToken the configured token (null/undefined: none configured)
 * @returns null (allowed) or the refusal
 *
 * @example
 * ```ts
 * import { checkApiToken } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const ok = new Request("http://x/api/v1/clients/c-1", {
 *   method: "DELETE", headers: { authorization: "Bearer t" } });
 * assert.equal(checkApiToken(ok, "t"), null);
 * assert.equal(checkApiToken(new Request("http://x/", { method: "DELETE" }), "t")?.status, 401);
 * assert.equal(checkApiToken(ok, null)?.status, 403);
 * ```
 */
export function checkApiToken(
  request: Request,
  apiToken: string | null | undefined,
): Response | null {
  const what = `${request.method} ${new URL(request.url).pathname}`;
  if (apiToken === null || apiToken === undefined || apiToken === "") {
    return apiV1Error(
      "forbidden",
      `Cannot ${what}: no admin token is configured (start with --api-token)`,
    );
  }
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    return apiV1Error(
      "unauthorized",
      `Cannot ${what}: send Authorization: Bearer <api token>`,
    );
  }
  if (!sameSecret(match[1]!, apiToken)) {
    return apiV1Error("forbidden", `Cannot ${what}: wrong api token`);
  }
  return null;
}

/** Constant-time comparison (the length may leak, not the content). */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < y.length; i++) diff |= (x[i] ?? 0) ^ y[i]!;
  return diff === 0;
}
