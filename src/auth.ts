/**
 * The authorization contract: {@linkcode StreamAuthenticator},
 * {@linkcode Credentials}, {@linkcode AuthRequest}, {@linkcode AuthDecision},
 * and the permit-all default {@linkcode allowAll}.
 *
 * Protocols collect what the peer presented (token, query, headers, remote
 * address) into `Credentials`; the engine asks the authenticator once per
 * publish or play and, on refusal, records an audit event and throws an
 * `UnauthorizedError`. An authenticator that throws is treated as a refusal
 * (fail closed).
 *
 * @module
 */
import type { StreamKey } from "./stream_key.ts";

/**
 * What a peer presented, as seen by its protocol.
 *
 * @example RTMP publish credentials
 * ```ts
 * import type { Credentials } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const credentials: Credentials = {
 *   protocol: "rtmp",
 *   remoteAddr: "127.0.0.1:50000",
 *   query: new URLSearchParams("token=s3cret"),
 *   token: "s3cret",
 * };
 * assert.equal(credentials.query?.get("token"), "s3cret");
 * ```
 */
export interface Credentials {
  /** "rtmp", "http-flv", "hls", "ws-flv", … */
  protocol: string;
  /** "host:port" of the peer, when known. */
  remoteAddr?: string;
  /** Query parameters of the publish/play URL. */
  query?: URLSearchParams;
  /** A bearer token or stream secret. */
  token?: string;
  /** HTTP request headers. */
  headers?: Headers;
}

/**
 * The action being authorized.
 *
 * @example Name an action
 * ```ts
 * import type { AuthAction } from "@arcly/stream";
 * const action: AuthAction = "play";
 * ```
 */
export type AuthAction = "publish" | "play";

/**
 * One authorization question.
 *
 * @example Build a publish request
 * ```ts
 * import { type AuthRequest, StreamKey } from "@arcly/stream";
 * const request: AuthRequest = {
 *   action: "publish",
 *   key: StreamKey.parse("live/cam"),
 *   credentials: { protocol: "rtmp" },
 * };
 * ```
 */
export interface AuthRequest {
  /** Publish or play. */
  readonly action: AuthAction;
  /** The stream. */
  readonly key: StreamKey;
  /** What the peer presented. */
  readonly credentials: Credentials;
}

/**
 * The answer: allowed, or refused with a reason (and whether to challenge).
 *
 * @example Refuse with a challenge
 * ```ts
 * import type { AuthDecision } from "@arcly/stream";
 * const refused: AuthDecision = { allowed: false, reason: "no token", challenge: true };
 * ```
 */
export type AuthDecision =
  | { readonly allowed: true }
  | {
    readonly allowed: false;
    /** Why (recorded in the audit log). */
    readonly reason: string;
    /** True when other credentials could succeed (HTTP 401 rather than 403). */
    readonly challenge?: boolean;
  };

/**
 * Decides who may publish and play. Sync or async.
 *
 * @example A token check
 * ```ts
 * import { type StreamAuthenticator, Engine, StreamError, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const auth: StreamAuthenticator = {
 *   authorize: ({ credentials }) =>
 *     credentials.token === "s3cret"
 *       ? { allowed: true }
 *       : { allowed: false, reason: "bad token", challenge: true },
 * };
 * await using engine = Engine.builder().authenticator(auth).build();
 * await assert.rejects(
 *   engine.startPublishAuthorized(StreamKey.parse("live/cam"), { protocol: "rtmp" }),
 *   (e) => e instanceof StreamError && e.code === "Unauthorized",
 * );
 * assert.equal(engine.getStream(StreamKey.parse("live/cam")), undefined);
 * ```
 */
export interface StreamAuthenticator {
  /** Answer one request. Throwing counts as a refusal. */
  authorize(request: AuthRequest): AuthDecision | Promise<AuthDecision>;
}

/**
 * The default authenticator: permits everything.
 *
 * @example Permit a play request
 * ```ts
 * import { allowAll, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * const decision = await allowAll.authorize({
 *   action: "play", key: StreamKey.parse("live/cam"), credentials: { protocol: "hls" },
 * });
 * assert.equal(decision.allowed, true);
 * ```
 */
export const allowAll: StreamAuthenticator = {
  authorize(): AuthDecision {
    return { allowed: true };
  },
};
