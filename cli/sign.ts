/**
 * `cli.ts sign`: mint a signed, expiring publish or play URL for the origin's
 * `--sign-secret`, so an operator needs no code to hand out a link.
 *
 * ```sh
 * deno task start sign live/cam --secret S --action play --ttl 3600 \
 *   --base http://localhost:8080/live/cam.flv
 * ```
 *
 * Pure apart from the clock it is given: unit-tested with a fixed time.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { signStreamUrl, StreamKey } from "../mod.ts";
import { UsageError } from "./options.ts";

/** Usage text of the `sign` subcommand. */
export const SIGN_USAGE: string =
  `Usage: cli.ts sign APP/NAME --secret S [--action play|publish] [--ttl SECONDS] [--base URL]

Prints a URL (or, without --base, the query) carrying ?expires=&sig= that the
origin started with --sign-secret S accepts until the expiry.
  --secret S        the origin's --sign-secret (or env ARCLY_SIGN_SECRET)
  --action A        play (default) or publish
  --ttl SECONDS     lifetime                          (default 3600)
  --base URL        a play or publish URL to append the signature to
`;

/** What `sign` was asked for. */
export interface SignRequest {
  /** The stream the URL opens. */
  key: StreamKey;
  /** The action it allows. */
  action: "play" | "publish";
  /** Lifetime in seconds. */
  ttlSeconds: number;
  /** The HMAC secret. */
  secret: string;
  /** URL the query is appended to, or null for the bare query. */
  base: string | null;
}

/**
 * Parse the `sign` subcommand's arguments.
 *
 * @throws {UsageError} on a missing key or secret, or a bad value
 * @example
 * ```ts
 * import { parseSignArgs } from "./sign.ts";
 * import assert from "node:assert/strict";
 * const r = parseSignArgs(["live/cam", "--secret", "s3cret-key"]);
 * assert.equal(r.action, "play");
 * assert.equal(r.ttlSeconds, 3600);
 * ```
 */
export function parseSignArgs(
  args: string[],
  envSecret: () => string | undefined = () => undefined,
): SignRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        secret: { type: "string" },
        action: { type: "string" },
        ttl: { type: "string" },
        base: { type: "string" },
      },
    });
  } catch (error) {
    throw new UsageError(
      `Cannot parse sign flags: ${(error as Error).message}`,
    );
  }
  const [keyText, ...extra] = parsed.positionals;
  if (keyText === undefined || extra.length > 0) {
    throw new UsageError("Cannot sign: give exactly one APP/NAME");
  }
  let key: StreamKey;
  try {
    key = StreamKey.parse(keyText);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const secret = parsed.values.secret ?? envSecret();
  if (!secret) {
    throw new UsageError(
      "Cannot sign: --secret (or ARCLY_SIGN_SECRET) is required",
    );
  }
  const action = parsed.values.action ?? "play";
  if (action !== "play" && action !== "publish") {
    throw new UsageError(
      `Cannot use --action ${action}: expected play or publish`,
    );
  }
  const ttl = Number(parsed.values.ttl ?? "3600");
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new UsageError(
      `Cannot use --ttl ${parsed.values.ttl}: expected a positive integer`,
    );
  }
  const base = parsed.values.base ?? null;
  if (base !== null && !URL.canParse(base)) {
    throw new UsageError(`Cannot use --base ${base}: not a URL`);
  }
  return { key, action, ttlSeconds: ttl, secret, base };
}

/**
 * The signed URL (or query) for `request`, valid until `nowMs` + the TTL.
 *
 * @example
 * ```ts
 * import { parseSignArgs, signedUrlFor } from "./sign.ts";
 * import assert from "node:assert/strict";
 * const r = parseSignArgs(["live/cam", "--secret", "s3cret-key", "--base", "http://h:8080/live/cam.flv"]);
 * assert.match(signedUrlFor(r, 0), /^http:\/\/h:8080\/live\/cam\.flv\?expires=3600&sig=[0-9a-f]{64}$/);
 * ```
 */
export function signedUrlFor(request: SignRequest, nowMs: number): string {
  const expires = Math.floor(nowMs / 1000) + request.ttlSeconds;
  const query = signStreamUrl(request.key, {
    action: request.action,
    expires,
    secret: request.secret,
  });
  if (request.base === null) return `?${query}`;
  const url = new URL(request.base);
  for (const [name, value] of query) url.searchParams.set(name, value);
  return url.toString();
}
