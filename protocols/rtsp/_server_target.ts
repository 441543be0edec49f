/**
 * The stream path, track suffix and query of an RTSP request URI.
 *
 * @module
 */
import { RtspProtocolError } from "./message.ts";

/** A request URI, split. */
export interface Target {
  path: string;
  last: string;
  parent: string;
  query: URLSearchParams;
  base: string;
}

/** Split a request URI (absolute rtsp:// URL). */
export function targetOf(uri: string): Target {
  let url: URL;
  let path: string;
  try {
    url = new URL(uri);
    path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  } catch {
    throw new RtspProtocolError(400, "Cannot parse request URI");
  }
  if (path.length > 512) {
    throw new RtspProtocolError(
      414,
      "Cannot parse request URI: too long",
    );
  }
  const slash = path.lastIndexOf("/");
  const base = `${url.protocol}//${url.host}/${path}`;
  const last = slash < 0 ? path : path.slice(slash + 1);
  const parent = slash < 0 ? "" : path.slice(0, slash);
  path = path.replace(/\/+/g, "/");
  return { path, last, parent, query: url.searchParams, base };
}
