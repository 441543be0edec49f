/**
 * HLS and LL-HLS egress routes: `GET /{app}/{name}/index.m3u8` (and
 * `master.m3u8`, a multivariant playlist with CODECS and RESOLUTION, for a
 * live packager) and the segments, parts and init segment beside it. With
 * an ABR ladder (`abrPlaylist()`), `index.m3u8` and `master.m3u8` are the
 * multivariant playlist and `source.m3u8` the source's media playlist.
 *
 * Data path: the live playlist comes from the stream's packager in memory
 * (so a blocking reload answers the moment a part is published); when no
 * packager is live for the key (a stream that ended, a recording), the
 * playlist is read from storage. Segments and parts always come from
 * storage, whole or by byte range (RFC 9110 §14), with an immutable
 * `Cache-Control`. A missing segment the packager reports as having left
 * the window is 410 Gone; unknown names are 404.
 *
 * Blocking playlist reload (RFC 8216bis §6.2.5.2) holds a request until the
 * requested part exists, at most `blockingReloadTimeoutMs` (default three
 * target durations), then answers 503; out-of-range directives answer 400.
 * A request for the part named by `EXT-X-PRELOAD-HINT` that does not exist
 * yet is held the same way. Each held request costs one pending promise and
 * one timer; nothing else is buffered per request.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { HttpRoutes } from "./http_routes.ts";
import {
  blockingDecision,
  parseBlockingRequest,
  playlistPosition,
} from "./hls_blocking.ts";
import {
  BLOCKING_PLAYLIST_CACHE_CONTROL,
  cacheControlOf,
  mediaTypeOf,
  PLAYLIST_CACHE_CONTROL,
} from "./http_media_types.ts";
import { storageKeyFromPath } from "./path_safety.ts";
import {
  httpStatusOf,
  type PlayAccess,
  type PlayAuthorizer,
  playTokenOf,
} from "./play_access.ts";
import { remoteAddrOf } from "./_remote_addr.ts";

/**
 * The part of a live HLS packager the routes read (`HlsSegmenter` from
 * `@arcly/stream/hls` satisfies it).
 *
 * @example A fixed VOD playlist
 * ```ts
 * import type { LiveHlsPlaylist } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const vod: LiveHlsPlaylist = {
 *   playlist: () => "#EXTM3U\n#EXT-X-ENDLIST\n",
 *   waitFor: () => Promise.resolve(true),
 *   segmentState: () => "unknown",
 * };
 * assert.match(vod.playlist(), /ENDLIST/);
 * ```
 */
export interface LiveHlsPlaylist {
  /** The current media playlist text. */
  playlist(): string;
  /** Resolve true once segment `msn` (part `part`) is in the playlist; false on abort. */
  waitFor(
    msn: number,
    part: number | undefined,
    signal: AbortSignal,
  ): Promise<boolean>;
  /** Whether a file name is in the live window, has left it, or was never written. */
  segmentState(name: string): "live" | "gone" | "unknown";
  /** The playlist with older segments replaced by `EXT-X-SKIP` (delta update), when supported. */
  renderPlaylist?(options: { skip?: boolean }): string;
  /** A multivariant playlist (CODECS, RESOLUTION) pointing at `uri`, when supported. */
  masterPlaylist?(uri?: string): string;
  /**
   * The ABR multivariant playlist served at `index.m3u8` and `master.m3u8`
   * (the media playlist then at `source.m3u8`), or undefined when the
   * stream has no ladder (`AbrPlaylists.wrap` of `@arcly/stream/transcode`).
   */
  abrPlaylist?(): Promise<string | undefined> | string | undefined;
}

/** Finds the live packager of a stream key (`app/name`). *
 * @example Look packagers up in a map
 * ```ts
 * import type { HlsPlaylistSource, LiveHlsPlaylist } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const live = new Map<string, LiveHlsPlaylist>();
 * const source: HlsPlaylistSource = { segmenter: (key) => live.get(key) };
 * assert.equal(source.segmenter("live/cam"), undefined);
 * ```
 */
export interface HlsPlaylistSource {
  /** The live packager of `key`, or undefined when none. */
  segmenter(key: string): LiveHlsPlaylist | undefined;
}

/** The read side of a storage backend (`StorageBackend` satisfies it). *
 * @example Any StorageBackend reads
 * ```ts
 * import type { HlsStorageReader } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const reader: HlsStorageReader = new MemoryStorage();
 * assert.equal(await reader.get("live/cam/index.m3u8"), null);
 * ```
 */
export interface HlsStorageReader {
  /** The whole object, or null when missing. */
  get(key: string): Promise<Uint8Array | null>;
  /** Bytes `[start, endExclusive)`, or null when missing. */
  getRange(
    key: string,
    start: number,
    endExclusive: number,
  ): Promise<Uint8Array | null>;
  /** Size and modification time, or null when missing. */
  stat(
    key: string,
  ): Promise<{ readonly size: number; readonly mtimeMs: number } | null>;
}

/** Options of {@linkcode hlsRoutes}. *
 * @example Short blocking holds
 * ```ts
 * import { type HlsRoutesOptions, hlsRoutes } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const options: HlsRoutesOptions = { storage: new MemoryStorage(), blockingReloadTimeoutMs: 3_000 };
 * assert.equal((await hlsRoutes(options).request("/live/cam/seg1.ts")).status, 404);
 * ```
 */
export interface HlsRoutesOptions {
  /** Where playlists, segments and parts are read from. */
  storage?: HlsStorageReader;
  /** Live packagers, for in-memory playlists, blocking reload and 410s. */
  source?: HlsPlaylistSource;
  /** Play authorization; allow-all when absent. */
  authorize?: PlayAuthorizer;
  /** Longest hold of a blocking request, ms; default three target durations. */
  blockingReloadTimeoutMs?: number;
  /** Called with the body size of every playlist, segment and part served (metrics). */
  onBytesOut?: (protocol: "hls", bytes: number) => void;
  /**
   * A playlist was asked for a stream with no live packager here: try to
   * start it (the engine's on-demand sources: an edge pull, a camera pull)
   * and resolve true once it is live. Default: never.
   */
  openLive?: (access: PlayAccess) => Promise<boolean>;
  /**
   * A live playlist was served: an HLS viewer, who holds no subscription,
   * watched `key` now (keeps an on-demand stream alive).
   */
  watched?: (key: string) => void;
  /**
   * An authorized request (playlist, segment, part) of `access.key`: the
   * client registry counts HLS viewers as sessions from these.
   */
  onRequest?: (access: PlayAccess) => void;
}

/** Fallback hold when a playlist has no target duration yet. */
const DEFAULT_BLOCKING_TIMEOUT_MS = 6_000;

const MEDIA_NAME = /^seg(\d{1,15})(?:\.(\d{1,6}))?\.(?:ts|m4s|m4a|mp4|aac)$/;

/**
 * Build the HLS sub-app. Mount it at the root of the egress app.
 *
 * @param options storage, live packagers, authorization, timeouts
 * @returns the Hono sub-app
 *
 * @example Serve a stored playlist
 * ```ts
 * import { hlsRoutes } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * await storage.put("live/cam/index.m3u8", new TextEncoder().encode("#EXTM3U\n#EXT-X-ENDLIST\n"));
 * const app = hlsRoutes({ storage });
 * const res = await app.request("/live/cam/index.m3u8");
 * assert.equal(res.status, 200);
 * assert.equal(res.headers.get("content-type"), "application/vnd.apple.mpegurl");
 * ```
 */
export function hlsRoutes(options: HlsRoutesOptions = {}): HttpRoutes {
  const app = new Hono();
  addHlsRoutes(app, options);
  return app;
}

/**
 * Register the routes of {@linkcode hlsRoutes} on an existing Hono app (how
 * `createHttpApp()` composes them).
 *
 * @param app the app to add routes to
 * @param options as for {@linkcode hlsRoutes}
 */
export function addHlsRoutes(app: Hono, options: HlsRoutesOptions): void {
  app.get("/:app/:name/:file", async (c) => {
    let key: string;
    try {
      key = storageKeyFromPath(new URL(c.req.url).pathname);
    } catch (error) {
      return c.text("Bad path", httpStatusOf(error));
    }
    const [appName, name, file] = key.split("/") as [string, string, string];
    const streamKey = `${appName}/${name}`;
    const token = playTokenOf(c.req.raw);
    const access: PlayAccess = {
      key: streamKey,
      protocol: "hls",
      token,
      request: c.req.raw,
      remoteAddr: remoteAddrOf(c),
    };
    if (options.authorize !== undefined) {
      try {
        await options.authorize(access);
      } catch (error) {
        return c.text("Forbidden", httpStatusOf(error));
      }
    }
    options.onRequest?.(access);
    let live = options.source?.segmenter(streamKey);
    const isPlaylist = file === "index.m3u8" || file === "master.m3u8" ||
      file === "source.m3u8";
    if (live === undefined && isPlaylist && options.openLive !== undefined) {
      // Not live here: an on-demand source may start it (edge, camera).
      if (await options.openLive(access)) {
        live = options.source?.segmenter(streamKey);
        if (live !== undefined && !live.playlist().includes("#EXTINF")) {
          await waitBounded(live, 0, undefined, DEFAULT_BLOCKING_TIMEOUT_MS);
        }
      }
    }
    if (live !== undefined && isPlaylist) options.watched?.(streamKey);
    // ABR: index.m3u8 is the multivariant playlist, the source's media
    // playlist is source.m3u8 (index.m3u8 with `variant=` or LL-HLS
    // directives still answers the media playlist).
    const query = new URL(c.req.url).searchParams;
    const abr = (file === "master.m3u8" ||
        (file === "index.m3u8" && !query.has("variant") &&
          !query.has("_HLS_msn") && !query.has("_HLS_skip")))
      ? await live?.abrPlaylist?.()
      : undefined;
    const master = abr ??
      (file === "master.m3u8"
        ? live?.masterPlaylist?.("index.m3u8")
        : undefined);
    if (master !== undefined) {
      let text = master;
      if (token !== undefined) text = withTokenInUris(text, token);
      options.onBytesOut?.("hls", text.length);
      return c.body(text, 200, {
        "Content-Type": mediaTypeOf(file),
        "Cache-Control": PLAYLIST_CACHE_CONTROL,
      });
    }
    if ((file === "index.m3u8" || file === "source.m3u8") && live) {
      return await livePlaylist(c, live, token, options);
    }
    if (file === "source.m3u8") {
      const stored = `${streamKey}/index.m3u8`; // ended: its media playlist
      return await storedFile(c, stored, "index.m3u8", live, token, options);
    }
    return await storedFile(c, key, file, live, token, options);
  });
}

async function livePlaylist(
  c: Context,
  live: LiveHlsPlaylist,
  token: string | undefined,
  options: HlsRoutesOptions,
): Promise<Response> {
  const request = parseBlockingRequest(new URL(c.req.url).searchParams);
  if (typeof request === "string") return c.text(request, 400);
  const position = playlistPosition(live.playlist());
  const decision = blockingDecision(request, position);
  if (decision !== "now" && decision !== "wait") return c.text(decision, 400);
  if (decision === "wait") {
    const timeoutMs = options.blockingReloadTimeoutMs ??
      (position.targetDuration > 0
        ? position.targetDuration * 3_000
        : DEFAULT_BLOCKING_TIMEOUT_MS);
    const ok = await waitBounded(
      live,
      request.msn!,
      request.part,
      timeoutMs,
    );
    if (!ok) {
      return c.text("Part not available in time", 503, {
        "Retry-After": "1",
        "Cache-Control": "no-store",
      });
    }
  }
  let text = request.skip && live.renderPlaylist !== undefined
    ? live.renderPlaylist({ skip: true })
    : live.playlist();
  if (token !== undefined) text = withTokenInUris(text, token);
  options.onBytesOut?.("hls", text.length);
  return c.body(text, 200, {
    "Content-Type": mediaTypeOf(".m3u8"),
    // A `_HLS_msn` answer is the playlist at that position: cacheable briefly
    // (request collapsing in a cache); a plain reload always revalidates.
    "Cache-Control": request.msn !== undefined
      ? BLOCKING_PLAYLIST_CACHE_CONTROL
      : PLAYLIST_CACHE_CONTROL,
  });
}

async function storedFile(
  c: Context,
  key: string,
  file: string,
  live: LiveHlsPlaylist | undefined,
  token: string | undefined,
  options: HlsRoutesOptions,
): Promise<Response> {
  const storage = options.storage;
  if (storage === undefined) return c.text("Not found", 404);
  let stat = await storage.stat(key);
  if (
    stat === null && live !== undefined && live.segmentState(file) === "unknown"
  ) {
    // A preload-hinted part (or the next segment) may be requested early:
    // hold it like a blocking reload when it is the next thing to come.
    const match = MEDIA_NAME.exec(file);
    if (match !== null) {
      const msn = Number(match[1]);
      const part = match[2] === undefined ? undefined : Number(match[2]);
      const decision = blockingDecision(
        { msn, part, skip: false },
        playlistPosition(live.playlist()),
      );
      if (decision === "wait") {
        const timeoutMs = options.blockingReloadTimeoutMs ??
          DEFAULT_BLOCKING_TIMEOUT_MS;
        if (await waitBounded(live, msn, part, timeoutMs)) {
          stat = await storage.stat(key);
        }
      }
    }
  }
  if (stat === null) {
    if (live?.segmentState(file) === "gone") return c.text("Gone", 410);
    return c.text("Not found", 404);
  }
  const headers: Record<string, string> = {
    "Content-Type": mediaTypeOf(file),
    "Cache-Control": cacheControlOf(file),
    "Accept-Ranges": "bytes",
  };
  if (file.endsWith(".m3u8")) {
    const bytes = await storage.get(key);
    if (bytes === null) return c.text("Not found", 404);
    let text = new TextDecoder().decode(bytes);
    if (token !== undefined) text = withTokenInUris(text, token);
    options.onBytesOut?.("hls", text.length);
    return c.body(text, 200, headers);
  }
  const range = parseRange(c.req.header("range"), stat.size);
  if (range === "unsatisfiable") {
    return c.body(null, 416, {
      ...headers,
      "Content-Range": `bytes */${stat.size}`,
    });
  }
  if (range !== null) {
    const bytes = await storage.getRange(key, range.start, range.end + 1);
    if (bytes === null) return c.text("Not found", 404);
    headers["Content-Range"] = `bytes ${range.start}-${range.end}/${stat.size}`;
    options.onBytesOut?.("hls", bytes.length);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 206, headers);
  }
  const bytes = await storage.get(key);
  if (bytes === null) return c.text("Not found", 404);
  options.onBytesOut?.("hls", bytes.length);
  return c.body(bytes as Uint8Array<ArrayBuffer>, 200, headers);
}

/**
 * Wait for a part, at most `timeoutMs`. The hold is bounded by the timeout
 * alone: the request's own abort signal is not watched, because Deno's
 * server (legacy mode) aborts it after every successful response too, and a
 * client that left costs one timer until the part arrives or time runs out.
 */
async function waitBounded(
  live: LiveHlsPlaylist,
  msn: number,
  part: number | undefined,
  timeoutMs: number,
): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await live.waitFor(msn, part, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Parse a single-range `Range` header (RFC 9110 §14.1.2). Returns null for
 * no range (or a multi-range request, served whole), inclusive bounds, or
 * `"unsatisfiable"`.
 */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | "unsatisfiable" {
  if (header === undefined) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  let start: number;
  let end: number;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

/** Append `token` to every URI of a playlist so segment requests carry it. */
function withTokenInUris(text: string, token: string): string {
  const suffix = `token=${encodeURIComponent(token)}`;
  const add = (uri: string): string =>
    `${uri}${uri.includes("?") ? "&" : "?"}${suffix}`;
  return text
    .split("\n")
    .map((line) => {
      if (line === "") return line;
      if (!line.startsWith("#")) return add(line.trimEnd());
      return line.replace(
        /URI="([^"]*)"/g,
        (_all, uri: string) => `URI="${add(uri)}"`,
      );
    })
    .join("\n");
}
