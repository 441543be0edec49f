/**
 * The stream path, track suffix and query of an RTSP request URI.
 *
 * @module
 */
import { RtspProtocolError } from "./message.ts";
import type { AnnouncedTrack } from "./_record.ts";

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

/**
 * Which stream, track and mode a SETUP is for: a control of the tracks
 * ANNOUNCEd on this connection (record), else `…/trackID=N` or the stream
 * URL itself for track 0 (play).
 */
export function setupTarget(
  target: Target,
  announced: { path: string; tracks: AnnouncedTrack[] } | undefined,
  existingMode: "play" | "record" | undefined,
): { path: string; index: number; mode: "play" | "record" } {
  const ctl =
    announced?.tracks.findIndex((t) =>
      t.control !== "" && (t.control === target.last ||
        target.base.endsWith(`/${t.control}`) || t.control === target.base)
    ) ?? -1;
  if (
    announced !== undefined && (existingMode ?? "record") === "record" &&
    (ctl >= 0 || target.path === announced.path)
  ) {
    return { path: announced.path, index: ctl >= 0 ? ctl : 0, mode: "record" };
  }
  const m = /^trackID=(\d{1,3})$/.exec(target.last);
  return {
    path: m ? target.parent : target.path,
    index: m ? Number(m[1]) : 0,
    mode: "play",
  };
}
