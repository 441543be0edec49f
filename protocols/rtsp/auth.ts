/**
 * RTSP authentication (RFC 2326 §D, RFC 7826 §19, RFC 2617 Basic and Digest
 * MD5): parse `Authorization`, build `WWW-Authenticate` challenges, verify a
 * Digest response, and answer a challenge as a client (camera pull).
 *
 * Nonces are stateless: `<expiry ms in hex>.<HMAC-SHA256(secret, expiry)>`,
 * so the server keeps nothing per challenge and an expired or forged nonce is
 * refused (answered with a fresh `stale=true` challenge).
 *
 * @module
 */
import { createHash, createHmac, randomBytes } from "node:crypto";

/**
 * Credentials presented in an `Authorization` header.
 *
 * @example
 * ```ts
 * import type { RtspAuthorization } from "@arcly/stream/rtsp";
 * const a: RtspAuthorization = { scheme: "basic", username: "u", password: "p" };
 * ```
 */
export type RtspAuthorization =
  | { scheme: "basic"; username: string; password: string }
  | { scheme: "digest"; username: string; params: Record<string, string> };

const MAX_AUTH = 2048;

/**
 * Parse comma-separated `key=value` / `key="quoted"` parameters.
 *
 * @param text the parameter list (after the scheme)
 * @returns the parameters, keys lower-cased
 * @example
 * ```ts
 * import { parseAuthParams } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAuthParams('realm="a, b", nonce=x'), { realm: "a, b", nonce: "x" });
 * ```
 */
export function parseAuthParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re =
    /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let m: RegExpExecArray | null;
  let n = 0;
  while ((m = re.exec(text)) !== null && n++ < 32) {
    if (m[0] === "") break;
    out[m[1]!.toLowerCase()] = m[2] !== undefined
      ? m[2].replace(/\\(.)/g, "$1")
      : m[3] ?? "";
  }
  return out;
}

/**
 * Parse an `Authorization` header (Basic or Digest); undefined for anything
 * else or malformed.
 *
 * @param value the header value
 * @returns the credentials
 * @example
 * ```ts
 * import { parseAuthorization } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAuthorization("Basic " + btoa("cam:s3cret")),
 *   { scheme: "basic", username: "cam", password: "s3cret" });
 * ```
 */
export function parseAuthorization(
  value: string | undefined,
): RtspAuthorization | undefined {
  if (value === undefined || value.length > MAX_AUTH) return undefined;
  const sp = value.indexOf(" ");
  if (sp < 0) return undefined;
  const scheme = value.slice(0, sp).toLowerCase();
  const rest = value.slice(sp + 1).trim();
  if (scheme === "basic") {
    let text: string;
    try {
      text = new TextDecoder().decode(
        Uint8Array.from(atob(rest), (c) => c.charCodeAt(0)),
      );
    } catch {
      return undefined;
    }
    const colon = text.indexOf(":");
    if (colon < 0) return undefined;
    return {
      scheme: "basic",
      username: text.slice(0, colon),
      password: text.slice(colon + 1),
    };
  }
  if (scheme === "digest") {
    const params = parseAuthParams(rest);
    if (params.username === undefined) return undefined;
    return { scheme: "digest", username: params.username, params };
  }
  return undefined;
}

function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

/**
 * The Digest (RFC 2617, MD5) response for one request.
 *
 * @param options credentials, challenge and request
 * @returns the 32-hex-digit response
 * @example
 * ```ts
 * import { digestResponse } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const r = digestResponse({ username: "u", password: "p", realm: "r", nonce: "n",
 *   method: "DESCRIBE", uri: "rtsp://h/a" });
 * assert.match(r, /^[0-9a-f]{32}$/);
 * ```
 */
export function digestResponse(options: {
  username: string;
  password: string;
  realm: string;
  nonce: string;
  method: string;
  uri: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = md5(`${options.username}:${options.realm}:${options.password}`);
  const ha2 = md5(`${options.method}:${options.uri}`);
  if (options.qop === "auth") {
    return md5(
      `${ha1}:${options.nonce}:${options.nc ?? ""}:${
        options.cnonce ?? ""
      }:auth:${ha2}`,
    );
  }
  return md5(`${ha1}:${options.nonce}:${ha2}`);
}

/**
 * Issues and checks stateless, expiring Digest nonces (see the module doc).
 *
 * @example
 * ```ts
 * import { NonceIssuer } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * let now = 1000;
 * const issuer = new NonceIssuer({ ttlMs: 60_000, now: () => now });
 * const nonce = issuer.issue();
 * assert.equal(issuer.check(nonce), "ok");
 * now += 61_000;
 * assert.equal(issuer.check(nonce), "stale");
 * assert.equal(issuer.check("forged.00"), "invalid");
 * ```
 */
export class NonceIssuer {
  #secret: Uint8Array;
  #ttlMs: number;
  #now: () => number;

  /**
   * Create an issuer with a random secret.
   *
   * @param options lifetime and time source
   */
  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#secret = randomBytes(32);
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  #mac(expiry: string): string {
    return createHmac("sha256", this.#secret).update(expiry).digest("hex")
      .slice(0, 32);
  }

  /**
   * Issue a nonce.
   *
   * @returns a fresh nonce
   */
  issue(): string {
    const expiry = Math.floor(this.#now() + this.#ttlMs).toString(16);
    return `${expiry}.${this.#mac(expiry)}`;
  }

  /**
   * Check a nonce.
   *
   * @param nonce a nonce the client echoed
   * @returns ok, stale (expired but ours), or invalid
   */
  check(nonce: string): "ok" | "stale" | "invalid" {
    const m = /^([0-9a-f]{1,13})\.([0-9a-f]{32})$/.exec(nonce);
    if (m === null || this.#mac(m[1]!) !== m[2]) return "invalid";
    return parseInt(m[1]!, 16) < this.#now() ? "stale" : "ok";
  }
}

/**
 * Check a Digest `Authorization` against the expected password.
 *
 * @param auth the parsed Digest credentials
 * @param password the user's password
 * @param method the request method
 * @returns whether the response matches
 * @example
 * ```ts
 * import { digestResponse, verifyDigest } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const params = { username: "u", realm: "r", nonce: "n", uri: "rtsp://h/a",
 *   response: digestResponse({ username: "u", password: "p", realm: "r", nonce: "n",
 *     method: "PLAY", uri: "rtsp://h/a" }) };
 * assert.ok(verifyDigest({ scheme: "digest", username: "u", params }, "p", "PLAY"));
 * assert.ok(!verifyDigest({ scheme: "digest", username: "u", params }, "x", "PLAY"));
 * ```
 */
export function verifyDigest(
  auth: Extract<RtspAuthorization, { scheme: "digest" }>,
  password: string,
  method: string,
): boolean {
  const p = auth.params;
  if (
    p.realm === undefined || p.nonce === undefined || p.uri === undefined ||
    p.response === undefined
  ) return false;
  const expected = digestResponse({
    username: auth.username,
    password,
    realm: p.realm,
    nonce: p.nonce,
    method,
    uri: p.uri,
    ...(p.qop !== undefined ? { qop: p.qop } : {}),
    ...(p.nc !== undefined ? { nc: p.nc } : {}),
    ...(p.cnonce !== undefined ? { cnonce: p.cnonce } : {}),
  });
  return expected === p.response.toLowerCase();
}

/**
 * Answer a server's challenge as a client: the `Authorization` value for
 * one request, Digest preferred over Basic.
 *
 * @param challenges the `WWW-Authenticate` values of a 401
 * @param options credentials and request
 * @returns the header value, or undefined when no scheme is supported
 * @example
 * ```ts
 * import { answerChallenge } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const v = answerChallenge(['Basic realm="cam"'],
 *   { username: "u", password: "p", method: "DESCRIBE", uri: "rtsp://h/a" });
 * assert.equal(v, "Basic " + btoa("u:p"));
 * ```
 */
export function answerChallenge(
  challenges: readonly string[],
  options: { username: string; password: string; method: string; uri: string },
): string | undefined {
  let basic = false;
  for (const c of challenges) {
    const sp = c.indexOf(" ");
    const scheme = (sp < 0 ? c : c.slice(0, sp)).toLowerCase();
    if (scheme === "digest") {
      const p = parseAuthParams(c.slice(sp + 1));
      if (p.realm === undefined || p.nonce === undefined) continue;
      if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== "MD5") {
        continue;
      }
      const qop = p.qop?.split(",").map((s) => s.trim()).includes("auth")
        ? "auth"
        : undefined;
      const cnonce = qop ? randomBytes(8).toString("hex") : undefined;
      const response = digestResponse({
        ...options,
        realm: p.realm,
        nonce: p.nonce,
        ...(qop ? { qop, nc: "00000001", cnonce: cnonce! } : {}),
      });
      let v = `Digest username="${options.username}", realm="${p.realm}", ` +
        `nonce="${p.nonce}", uri="${options.uri}", response="${response}"`;
      if (p.opaque !== undefined) v += `, opaque="${p.opaque}"`;
      if (qop) v += `, qop=auth, nc=00000001, cnonce="${cnonce}"`;
      return v;
    }
    if (scheme === "basic") basic = true;
  }
  if (!basic) return undefined;
  const bytes = new TextEncoder().encode(
    `${options.username}:${options.password}`,
  );
  return `Basic ${btoa(String.fromCharCode(...bytes))}`;
}
