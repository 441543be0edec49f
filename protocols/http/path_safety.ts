/**
 * Path safety for HTTP egress: turn a request path into a storage key that
 * cannot leave the storage root.
 *
 * Data path: the raw `pathname` of the request URL is split on `/` *before*
 * percent-decoding, then every segment is decoded exactly once and checked
 * on its own. So `..`, `%2e%2e`, `..%2f..`, `%5c`, `%00`, absolute paths and
 * empty segments are all refused, whatever the encoding, and a decoded `/`
 * can never create a new path level. The result is also bounded in length
 * and depth, so a hostile URL costs O(its length) and allocates one string
 * per segment.
 *
 * Storage backends validate keys again (`validateStorageKey()` in
 * `media/storage`); this module is the HTTP layer's own first line, so that a
 * refused path is a clean 400 and never reaches a backend.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { validateStorageKey } from "../../media/storage/mod.ts";

/**
 * The longest storage key accepted from a URL, in UTF-16 code units. Stream
 * keys are short (`app/name/seg123.4.m4s`); anything longer is hostile or a
 * mistake, and refusing it early bounds the work per request.
 *
 * @example Longer keys are refused
 * ```ts
 * import { isSafePath, MAX_URL_KEY_LENGTH } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isSafePath("/" + "a".repeat(MAX_URL_KEY_LENGTH + 1)), false);
 * ```
 */
export const MAX_URL_KEY_LENGTH = 1024;

/**
 * The deepest key accepted from a URL. HLS output lives at
 * `{app}/{name}/{file}` (three levels); recordings may add a few folders.
 *
 * @example Deeper keys are refused
 * ```ts
 * import { isSafePath, MAX_URL_KEY_DEPTH } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isSafePath("/a".repeat(MAX_URL_KEY_DEPTH + 1)), false);
 * ```
 */
export const MAX_URL_KEY_DEPTH = 16;

// Control characters (C0, DEL, C1), backslash and the colon of a Windows drive.
// deno-lint-ignore no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\\:]/;

/**
 * Decode one URL path segment and check it is a safe storage key segment.
 * Returns the decoded segment, or null when it is unsafe (empty, `.`, `..`,
 * containing `/`, `\`, `:`, a control character or NUL, or badly encoded).
 *
 * @param raw one segment of a URL pathname, still percent-encoded
 * @returns the decoded segment, or null when it is unsafe
 *
 * @example Refuse encoded traversal
 * ```ts
 * import { decodeSafeSegment } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.equal(decodeSafeSegment("seg1.ts"), "seg1.ts");
 * assert.equal(decodeSafeSegment("%2e%2E"), null);
 * assert.equal(decodeSafeSegment("..%2fetc"), null);
 * assert.equal(decodeSafeSegment("a%00b"), null);
 * ```
 */
export function decodeSafeSegment(raw: string): string | null {
  if (raw.length === 0) return null;
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    return null; // malformed percent-encoding
  }
  if (segment === "." || segment === ".." || segment.length === 0) return null;
  if (segment.includes("/") || FORBIDDEN_CHARS.test(segment)) return null;
  return segment;
}

/**
 * Turn a URL pathname (still percent-encoded, as in `new URL(url).pathname`)
 * into a relative storage key, or throw.
 *
 * @param pathname the encoded path, with or without its leading `/`
 * @returns the relative key, segments joined with `/`
 * @throws {StreamError} code `InvalidInput` when any segment is unsafe or the
 * path is too long or too deep
 *
 * @example Map a playlist URL to its storage key
 * ```ts
 * import { storageKeyFromPath } from "@arcly/stream/http";
 * import { StreamError } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * assert.equal(storageKeyFromPath("/live/cam/index.m3u8"), "live/cam/index.m3u8");
 * assert.throws(() => storageKeyFromPath("/live/%2e%2e/%2e%2e/etc/passwd"), StreamError);
 * assert.throws(() => storageKeyFromPath("//etc/passwd"), StreamError);
 * ```
 */
export function storageKeyFromPath(pathname: string): string {
  if (pathname.length > MAX_URL_KEY_LENGTH * 3) {
    throw unsafe("path is too long");
  }
  const body = pathname.startsWith("/") ? pathname.slice(1) : pathname;
  const raw = body.split("/");
  if (raw.length > MAX_URL_KEY_DEPTH) throw unsafe("path is too deep");
  const out: string[] = [];
  for (const part of raw) {
    const segment = decodeSafeSegment(part);
    if (segment === null) throw unsafe("a path segment is empty or unsafe");
    out.push(segment);
  }
  const key = out.join("/");
  if (key.length > MAX_URL_KEY_LENGTH) throw unsafe("path is too long");
  // Path safety and storage must agree on what a key is (e.g. a segment over
  // the 255-byte file-name limit): refuse here, as a 4xx, what storage would
  // refuse later.
  try {
    validateStorageKey(key);
  } catch {
    throw unsafe("the path is not a valid storage key");
  }
  return key;
}

/**
 * True when `pathname` maps to a safe storage key (see
 * {@linkcode storageKeyFromPath}).
 *
 * @param pathname the encoded URL path
 * @returns whether it is safe
 *
 * @example Check a path
 * ```ts
 * import { isSafePath } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.ok(isSafePath("/live/cam/seg3.ts"));
 * assert.ok(!isSafePath("/live/cam/..%5c..%5cwin.ini"));
 * ```
 */
export function isSafePath(pathname: string): boolean {
  try {
    storageKeyFromPath(pathname);
    return true;
  } catch {
    return false;
  }
}

function unsafe(state: string): StreamError {
  return new StreamError("InvalidInput", `Cannot map URL to storage: ${state}`);
}
