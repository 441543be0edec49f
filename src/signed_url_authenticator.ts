/**
 * {@linkcode SignedUrlAuthenticator}: signed, expiring publish and play URLs.
 *
 * A URL carries `?expires=<unix seconds>&sig=<hex HMAC-SHA256>` where the
 * HMAC covers `"{action}\n{app}/{name}\n{expires}"` under a shared secret, so a
 * play signature cannot be used to publish, a signature for one key cannot
 * open another, and every signature stops working at `expires`. The
 * comparison is constant-time. {@linkcode signStreamUrl} makes such URLs (for
 * a web app's backend, or the CLI). The secret never appears in errors,
 * refusal reasons or audit events.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type {
  AuthAction,
  AuthDecision,
  AuthRequest,
  StreamAuthenticator,
} from "./auth.ts";
import type { StreamKey } from "./stream_key.ts";

/**
 * Longest lifetime a signature may claim, in seconds (one year): a guard
 * against "never expires" links minted by mistake.
 *
 * @example
 * ```ts
 * import { MAX_SIGNED_URL_LIFETIME_S } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_SIGNED_URL_LIFETIME_S, 31_536_000);
 * ```
 */
export const MAX_SIGNED_URL_LIFETIME_S = 31_536_000;

/**
 * Options for {@linkcode SignedUrlAuthenticator} and {@linkcode signStreamUrl}.
 *
 * @example
 * ```ts
 * import type { SignedUrlOptions } from "@arcly/stream";
 * const options: SignedUrlOptions = { secret: "change-me", actions: ["publish", "play"] };
 * ```
 */
export interface SignedUrlOptions {
  /** The shared HMAC secret (at least 8 characters). */
  secret: string;
  /** Which actions need a signature; others are allowed. Default both. */
  actions?: readonly AuthAction[];
  /** Wall clock in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

function signature(
  secret: string,
  action: AuthAction,
  key: StreamKey | string,
  expires: number,
): string {
  return createHmac("sha256", secret).update(
    `${action}\n${String(key)}\n${expires}`,
  ).digest("hex");
}

function checkSecret(secret: string): void {
  if (typeof secret !== "string" || secret.length < 8) {
    throw new TypeError(
      "Cannot use signed URLs: the secret must be at least 8 characters",
    );
  }
}

/**
 * Compute the query parameters that sign `key` for `action` until `expires`.
 *
 * @param key the stream key
 * @param options action, expiry (unix seconds) and secret
 * @returns a `URLSearchParams` with `expires` and `sig`
 * @example Sign a play URL valid for an hour
 * ```ts
 * import { signStreamUrl, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const expires = Math.floor(Date.now() / 1000) + 3600;
 * const query = signStreamUrl(StreamKey.parse("live/cam"), { action: "play", expires, secret: "s3cret-key" });
 * assert.equal(query.get("expires"), String(expires));
 * assert.match(query.get("sig") ?? "", /^[0-9a-f]{64}$/);
 * ```
 */
export function signStreamUrl(
  key: StreamKey,
  options: { action: AuthAction; expires: number; secret: string },
): URLSearchParams {
  checkSecret(options.secret);
  if (!Number.isInteger(options.expires) || options.expires <= 0) {
    throw new RangeError(
      `Cannot sign URL: expires must be a positive integer, received ${options.expires}`,
    );
  }
  return new URLSearchParams({
    expires: String(options.expires),
    sig: signature(options.secret, options.action, key, options.expires),
  });
}

/**
 * Allows publish/play only with a valid, unexpired signature for that exact
 * action and key (query `expires` and `sig`).
 *
 * @example Accept a signed play, refuse a tampered one
 * ```ts
 * import { SignedUrlAuthenticator, signStreamUrl, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const now = () => 1_700_000_000_000;
 * const auth = new SignedUrlAuthenticator({ secret: "s3cret-key", now });
 * const key = StreamKey.parse("live/cam");
 * const query = signStreamUrl(key, { action: "play", expires: 1_700_000_060, secret: "s3cret-key" });
 * const ok = await auth.authorize({ action: "play", key, credentials: { protocol: "hls", query } });
 * assert.equal(ok.allowed, true);
 * const publish = await auth.authorize({ action: "publish", key, credentials: { protocol: "rtmp", query } });
 * assert.equal(publish.allowed, false);
 * ```
 */
export class SignedUrlAuthenticator implements StreamAuthenticator {
  #secret: string;
  #actions: ReadonlySet<AuthAction>;
  #now: () => number;

  /**
   * Create an authenticator for one shared secret.
   *
   * @param options the secret, the actions to protect and the clock
   */
  constructor(options: SignedUrlOptions) {
    checkSecret(options.secret);
    this.#secret = options.secret;
    this.#actions = new Set(options.actions ?? ["publish", "play"]);
    this.#now = options.now ?? Date.now;
  }

  /** Check the request's `expires` and `sig` query parameters. */
  authorize(request: AuthRequest): AuthDecision {
    if (!this.#actions.has(request.action)) return { allowed: true };
    const query = request.credentials.query;
    const expiresText = query?.get("expires") ?? "";
    const sig = query?.get("sig") ?? "";
    if (!expiresText || !sig) {
      return { allowed: false, reason: "missing signature", challenge: true };
    }
    const expires = Number(expiresText);
    if (!/^\d{1,12}$/.test(expiresText) || !Number.isSafeInteger(expires)) {
      return { allowed: false, reason: "malformed expiry", challenge: true };
    }
    const nowS = Math.floor(this.#now() / 1000);
    if (expires <= nowS) {
      return { allowed: false, reason: "signature expired", challenge: true };
    }
    if (expires - nowS > MAX_SIGNED_URL_LIFETIME_S) {
      return {
        allowed: false,
        reason: "expiry too far in the future",
        challenge: true,
      };
    }
    const expected = new TextEncoder().encode(
      signature(this.#secret, request.action, request.key, expires),
    );
    const given = new TextEncoder().encode(sig.toLowerCase());
    // timingSafeEqual needs equal lengths; comparing against itself keeps the time constant.
    const same = given.length === expected.length
      ? timingSafeEqual(given, expected)
      : (timingSafeEqual(expected, expected), false);
    return same
      ? { allowed: true }
      : { allowed: false, reason: "bad signature", challenge: true };
  }
}
