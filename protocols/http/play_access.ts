/**
 * The play-authorization seam shared by the HLS, HTTP-FLV and WS-FLV routes,
 * and the mapping of {@linkcode StreamError} codes to HTTP statuses.
 *
 * A route builds one {@linkcode PlayAccess} per request (the stream key, the
 * protocol, the token from `?token=` or `Authorization: Bearer`, the remote
 * address) and hands it to a {@linkcode PlayAuthorizer}; `createHttpApp()`
 * supplies one that calls the engine's `authorizePlay()`, so the engine's
 * `StreamAuthenticator` decides for every protocol alike.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";

/** The egress protocols a play request can come through. *
 * @example Branch on the protocol
 * ```ts
 * import type { PlayProtocol } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const protocol: PlayProtocol = "ws-flv";
 * assert.ok(protocol.endsWith("flv"));
 * ```
 */
export type PlayProtocol = "hls" | "http-flv" | "ws-flv";

/** One play request, as the routes describe it to the authorizer. *
 * @example Describe an HLS request
 * ```ts
 * import type { PlayAccess } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const access: PlayAccess = { key: "live/cam", protocol: "hls", token: undefined,
 *   request: new Request("http://localhost/live/cam/index.m3u8"), remoteAddr: "127.0.0.1" };
 * assert.equal(access.key, "live/cam");
 * ```
 */
export interface PlayAccess {
  /** The stream key, `app/name`. */
  readonly key: string;
  /** The protocol of the request. */
  readonly protocol: PlayProtocol;
  /** The token from `?token=` or `Authorization: Bearer …`, if any. */
  readonly token: string | undefined;
  /** The HTTP request (headers, query). */
  readonly request: Request;
  /** The peer's address, when the server knows it. */
  readonly remoteAddr: string | undefined;
}

/**
 * Decides whether a play request may proceed: resolves to allow, rejects
 * with a {@linkcode StreamError} (`Unauthorized`, `NotFound`, …) to refuse.
 *
 * @example Allow only one token
 * ```ts
 * import { type PlayAuthorizer } from "@arcly/stream/http";
 * import { StreamError } from "@arcly/stream";
 *
 * const authorize: PlayAuthorizer = async (access) => {
 *   if (access.token !== "s3cret") {
 *     throw new StreamError("Unauthorized", `Cannot play ${access.key}: bad token`);
 *   }
 * };
 * await authorize({ key: "live/cam", protocol: "hls", token: "s3cret",
 *   request: new Request("http://localhost/"), remoteAddr: undefined });
 * ```
 */
export type PlayAuthorizer = (access: PlayAccess) => Promise<void>;

/**
 * Read the play token of a request: `?token=` first, then
 * `Authorization: Bearer <token>`.
 *
 * @param request the HTTP request
 * @returns the token, or undefined
 *
 * @example Query first, then bearer header
 * ```ts
 * import { playTokenOf } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(playTokenOf(new Request("http://h/live/a.flv?token=t1")), "t1");
 * const bearer = new Request("http://h/live/a.flv", { headers: { authorization: "Bearer t2" } });
 * assert.equal(playTokenOf(bearer), "t2");
 * ```
 */
export function playTokenOf(request: Request): string | undefined {
  const fromQuery = new URL(request.url).searchParams.get("token");
  if (fromQuery !== null && fromQuery !== "") return fromQuery;
  const header = request.headers.get("authorization");
  if (header !== null && /^bearer\s+/i.test(header)) {
    const token = header.replace(/^bearer\s+/i, "").trim();
    if (token !== "") return token;
  }
  return undefined;
}

/**
 * The HTTP status for an error thrown while serving a request: the
 * `StreamError` code decides (`Unauthorized` 403, or 401 when it carries
 * `challenge: true`, `NotFound` 404,
 * `InvalidInput` 400, `LimitExceeded` 503, `Timeout` 503, …); anything else
 * is 500.
 *
 * @param error what was thrown
 * @returns the status code
 *
 * @example Map kernel errors to statuses
 * ```ts
 * import { httpStatusOf } from "@arcly/stream/http";
 * import { StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.equal(httpStatusOf(new StreamError("Unauthorized", "Cannot play a/b: refused")), 403);
 * assert.equal(httpStatusOf(new StreamError("NotFound", "Cannot play a/b: not live")), 404);
 * assert.equal(httpStatusOf(new Error("boom")), 500);
 * ```
 */
export function httpStatusOf(
  error: unknown,
): 400 | 401 | 403 | 404 | 409 | 410 | 500 | 503 {
  if (!(error instanceof StreamError)) return 500;
  switch (error.code) {
    case "Unauthorized":
      // An authenticator that says other credentials could work (the
      // kernel's UnauthorizedError.challenge) asks for them: 401.
      return "challenge" in error && error.challenge === true ? 401 : 403;
    case "NotFound":
      return 404;
    case "InvalidInput":
    case "Protocol":
      return 400;
    case "AlreadyPublishing":
      return 409;
    case "Closed":
    case "Evicted":
      return 410;
    case "LimitExceeded":
    case "Timeout":
    case "Lagged":
    case "Unavailable":
      return 503;
    default:
      return 500;
  }
}
