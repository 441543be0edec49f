/**
 * {@linkcode TokenAuthenticator} (static publish/play tokens, compared in
 * constant time) and {@linkcode allOf} (every authenticator must allow).
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { AuthDecision, AuthRequest, StreamAuthenticator } from "./auth.ts";

/**
 * Options for {@linkcode TokenAuthenticator}; an action without a token is open.
 *
 * @example
 * ```ts
 * import type { TokenAuthenticatorOptions } from "@arcly/stream";
 * const options: TokenAuthenticatorOptions = { publishToken: "only-obs-knows" };
 * ```
 */
export interface TokenAuthenticatorOptions {
  /** Token required to publish (`?token=` or `credentials.token`). */
  publishToken?: string;
  /** Token required to play. */
  playToken?: string;
}

function sameSecret(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * Requires a fixed token per action, read from `credentials.token` or the
 * `token` query parameter.
 *
 * @example
 * ```ts
 * import { StreamKey, TokenAuthenticator } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * const auth = new TokenAuthenticator({ publishToken: "s3cret" });
 * const key = StreamKey.parse("live/cam");
 * const query = new URLSearchParams("token=s3cret");
 * assert.equal(auth.authorize({ action: "publish", key, credentials: { protocol: "rtmp", query } }).allowed, true);
 * assert.equal(auth.authorize({ action: "publish", key, credentials: { protocol: "rtmp" } }).allowed, false);
 * assert.equal(auth.authorize({ action: "play", key, credentials: { protocol: "hls" } }).allowed, true);
 * ```
 */
export class TokenAuthenticator implements StreamAuthenticator {
  #publish: string | undefined;
  #play: string | undefined;

  /**
   * Create an authenticator with fixed tokens.
   *
   * @param options the tokens
   */
  constructor(options: TokenAuthenticatorOptions) {
    this.#publish = options.publishToken;
    this.#play = options.playToken;
  }

  /** Compare the presented token with the configured one. */
  authorize(request: AuthRequest): AuthDecision {
    const expected = request.action === "publish" ? this.#publish : this.#play;
    if (expected === undefined) return { allowed: true };
    const given = request.credentials.token ??
      request.credentials.query?.get("token") ?? "";
    if (!given) {
      return { allowed: false, reason: "missing token", challenge: true };
    }
    return sameSecret(given, expected)
      ? { allowed: true }
      : { allowed: false, reason: "bad token", challenge: true };
  }
}

/**
 * Combine authenticators: allowed only when every one allows (checked in order,
 * stopping at the first refusal).
 *
 * @example
 * ```ts
 * import { allOf, allowAll, StreamKey, TokenAuthenticator } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * const auth = allOf([allowAll, new TokenAuthenticator({ playToken: "t" })]);
 * const decision = await auth.authorize({
 *   action: "play", key: StreamKey.parse("live/cam"), credentials: { protocol: "hls" },
 * });
 * assert.equal(decision.allowed, false);
 * ```
 */
export function allOf(
  authenticators: readonly StreamAuthenticator[],
): StreamAuthenticator {
  const list = [...authenticators];
  return {
    async authorize(request: AuthRequest): Promise<AuthDecision> {
      for (const auth of list) {
        const decision = await auth.authorize(request);
        if (!decision.allowed) return decision;
      }
      return { allowed: true };
    },
  };
}
