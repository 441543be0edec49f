/**
 * SRT stream ids → what the caller wants: publish or read which stream, with
 * which credentials. Accepted forms:
 *
 * - MediaMTX: `publish:{app}/{name}[:user:pass]`, `read:{app}/{name}[:user:pass]`
 * - SRT access control: `#!::r={app}/{name},m=publish|request[,u=user][,t=token]`
 * - either one with a query: `publish:live/cam?token=…`
 * - a bare `{app}/{name}[?…]` reads.
 *
 * Data path: a string in, a small record out; no state.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import { StreamKey } from "../../src/stream_key.ts";

/**
 * What a stream id asks for.
 *
 * @example
 * ```ts
 * import { parseSrtStreamId } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const id = parseSrtStreamId("publish:live/cam:alice:s3cret");
 * assert.equal(id.mode, "publish");
 * assert.equal(id.key, "live/cam");
 * assert.equal(id.user, "alice");
 * assert.equal(id.token, "s3cret");
 * ```
 */
export interface SrtStreamRequest {
  /** Publish into the stream, or read it. */
  mode: "publish" | "read";
  /** The stream key, "app/name" (validated). */
  key: string;
  /** User name, when given. */
  user?: string;
  /** Token or password, when given. */
  token?: string;
  /** Query parameters (`token`, `user`, `pass`, anything after `?`). */
  query: URLSearchParams;
}

function bad(why: string): never {
  throw new StreamError("InvalidInput", `Cannot parse SRT stream id: ${why}`);
}

function finish(
  mode: "publish" | "read",
  path: string,
  query: URLSearchParams,
  user: string | undefined,
  token: string | undefined,
): SrtStreamRequest {
  const key = StreamKey.parse(path.replace(/^\/+/, "")).toString();
  if (user !== undefined) query.set("user", user);
  if (token === undefined) {
    token = query.get("token") ?? query.get("t") ?? query.get("pass") ??
      undefined;
  } else if (!query.has("token")) query.set("token", token);
  return {
    mode,
    key,
    query,
    ...(user !== undefined ? { user } : {}),
    ...(token !== undefined ? { token } : {}),
  };
}

/**
 * Parse a stream id.
 *
 * @example The access-control form
 * ```ts
 * import { parseSrtStreamId } from "@arcly/stream/srt";
 * import assert from "node:assert/strict";
 * const id = parseSrtStreamId("#!::r=live/cam,m=request,t=abc");
 * assert.equal(id.mode, "read");
 * assert.equal(id.token, "abc");
 * ```
 *
 * @param streamId the SID extension's text
 * @returns the request
 * @throws {StreamError} `InvalidInput` for an unknown form or a bad stream key
 */
export function parseSrtStreamId(streamId: string): SrtStreamRequest {
  if (streamId.length === 0) bad("empty");
  if (streamId.startsWith("#!::")) {
    let resource: string | undefined;
    let mode: "publish" | "read" = "read";
    let user: string | undefined;
    let token: string | undefined;
    const query = new URLSearchParams();
    for (const pair of streamId.slice(4).split(",")) {
      const eq = pair.indexOf("=");
      if (eq <= 0) bad(`"${pair}" is not key=value`);
      const k = pair.slice(0, eq);
      const v = pair.slice(eq + 1);
      if (k === "r") resource = v;
      else if (k === "m") {
        if (v === "publish") mode = "publish";
        else if (v === "request") mode = "read";
        else bad(`mode "${v}" (publish or request)`);
      } else if (k === "u") user = v;
      else if (k === "t") token = v;
      else query.set(k, v);
    }
    if (resource === undefined) bad("no r= resource");
    const q = resource.indexOf("?");
    if (q >= 0) {
      for (const [k, v] of new URLSearchParams(resource.slice(q + 1))) {
        query.set(k, v);
      }
      resource = resource.slice(0, q);
    }
    return finish(mode, resource, query, user, token);
  }
  let rest = streamId;
  let query = new URLSearchParams();
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = new URLSearchParams(rest.slice(q + 1));
    rest = rest.slice(0, q);
  }
  let mode: "publish" | "read" = "read";
  if (rest.startsWith("publish:")) {
    mode = "publish";
    rest = rest.slice(8);
  } else if (rest.startsWith("read:")) rest = rest.slice(5);
  const parts = rest.split(":");
  if (parts.length !== 1 && parts.length !== 3) {
    bad(
      "expected publish:{app}/{name}[:user:pass] or read:{app}/{name}[:user:pass]",
    );
  }
  return finish(mode, parts[0]!, query, parts[1], parts[2]);
}
