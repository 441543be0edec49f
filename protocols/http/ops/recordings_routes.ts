/**
 * The recordings part of the control API v1 ({@linkcode recordingsApiRoutes}):
 *
 * | request                                                        | answer |
 * |----------------------------------------------------------------|--------|
 * | `GET /api/v1/recordings`                                       | `{"recordings":[{"stream","spans","bytes"}]}` |
 * | `GET /api/v1/recordings/{app}/{name}`                          | `{"stream","spans":[{"start","duration","bytes","format","downloadUrl","playlistUrl"}]}` |
 * | `GET …/{app}/{name}/download?start=ISO&duration=S`             | one MP4 of the range (`video/mp4`, streamed) |
 * | `GET …/{app}/{name}/playlist.m3u8?start=ISO&duration=S`        | VOD playlist of the range (byte ranges of the files) |
 * | `GET …/{app}/{name}/files/{file}`                              | a recorded file's bytes (`Range` supported) |
 * | `GET …/{app}/{name}/hls/{folder}/{file}`                       | an HLS recording's playlist and segments, as written |
 * | `DELETE …/{app}/{name}?before=ISO` (admin)                     | 204: files ending before that time deleted |
 *
 * Paths are matched with or without the `/api/v1/recordings` prefix, so
 * the routes work served directly, as an `extraRoutes` provider
 * ({@linkcode recordingsRouteProvider}) or mounted under the prefix.
 * Errors are `{"error":{"code","message"}}`. DELETE needs
 * `Authorization: Bearer <apiToken>` (401 without, 403 wrong or when no
 * token is configured).
 *
 * Data path: nothing is buffered beyond one fragment; see
 * `exportRecordingRange` in `@arcly/stream/recording`.
 *
 * @module
 */
import { Hono } from "hono";
import {
  exportRecordingRange,
  RecordingIndex,
  recordingPlaylist,
} from "../../../media/recording/mod.ts";
import type { StorageBackend } from "../../../media/storage/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import type { HttpRouteProvider } from "../../../src/mod.ts";
import type { HttpRoutes } from "../http_routes.ts";
import { decodeSafeSegment } from "../path_safety.ts";
import { apiV1Error, checkApiToken } from "./api_v1.ts";
import type { ApiV1ErrorCode } from "./api_v1_types.ts";

const PREFIX = "/api/v1/recordings";

/** Longest range one download or playlist covers: one day. */
const MAX_RANGE_S = 86_400;

/**
 * Options of {@linkcode recordingsApiRoutes}.
 *
 * @example
 * ```ts
 * import type { RecordingsApiOptions } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * const options: RecordingsApiOptions = { storage: new MemoryStorage(), apiToken: "s3cret" };
 * ```
 */
export interface RecordingsApiOptions {
  /** Where `StreamRecorder` writes (the `--record` folder). */
  storage: StorageBackend;
  /** Admin token for DELETE; null or absent: DELETE is refused (403). */
  apiToken?: string | null;
  /**
   * True when a router in front already checked the admin token of
   * state-changing requests (`createHttpApp({ apiToken, api: { recordings } })`
   * and `apiV1Routes` do); default false: DELETE checks `apiToken` here.
   */
  adminChecked?: boolean;
  /** A shared index (e.g. the retention's), else one is made. */
  index?: RecordingIndex;
}

function error(code: ApiV1ErrorCode, message: string): Response {
  return apiV1Error(code, message);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function encodeKey(stream: string): string {
  return stream.split("/").map(encodeURIComponent).join("/");
}

/** `start`/`duration` of a query, or an error response. */
function rangeOf(
  url: URL,
  fallback: { startMs: number; durationS: number } | null,
): { startMs: number; durationS: number } | Response {
  const start = url.searchParams.get("start");
  const duration = url.searchParams.get("duration");
  if (start === null && duration === null && fallback !== null) return fallback;
  const startMs = start === null ? NaN : Date.parse(start);
  if (!Number.isFinite(startMs)) {
    return error(
      "bad_request",
      `Cannot read the range: start=${start ?? ""} is not an ISO 8601 time`,
    );
  }
  const durationS = Number(duration);
  if (
    duration === null || !Number.isFinite(durationS) || durationS <= 0 ||
    durationS > MAX_RANGE_S
  ) {
    return error(
      "bad_request",
      `Cannot read the range: duration=${
        duration ?? ""
      } must be seconds in (0, ${MAX_RANGE_S}]`,
    );
  }
  return { startMs, durationS };
}

/**
 * The recordings API as routes.
 *
 * @param options storage, admin token
 * @returns the routes (paths with or without `/api/v1/recordings`)
 * @example List recordings of an empty folder
 * ```ts
 * import { recordingsApiRoutes } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const routes = recordingsApiRoutes({ storage: new MemoryStorage() });
 * const res = await routes.request("/api/v1/recordings");
 * assert.deepEqual(await res.json(), { recordings: [] });
 * assert.equal((await routes.request("/api/v1/recordings/live/cam")).status, 404);
 * ```
 */
export function recordingsApiRoutes(options: RecordingsApiOptions): HttpRoutes {
  const handle = recordingsHandler(options);
  const app = new Hono();
  app.all(
    "*",
    async (c) =>
      (await handle(c.req.raw)) ??
        error("not_found", "Cannot find the route: no such recordings path"),
  );
  return app;
}

/**
 * The recordings API as an `extraRoutes` provider of `createHttpApp`
 * (answers only under `/api/v1/recordings`).
 *
 * @param options storage, admin token
 * @returns the provider
 * @example
 * ```ts
 * import { recordingsRouteProvider } from "@arcly/stream/http";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const provider = recordingsRouteProvider({ storage: new MemoryStorage() });
 * assert.equal(await provider.fetch(new Request("http://x/other"), {}), null);
 * ```
 */
export function recordingsRouteProvider(
  options: RecordingsApiOptions,
): HttpRouteProvider {
  const handle = recordingsHandler(options);
  return {
    name: "recordings",
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return null;
      return handle(request);
    },
  };
}

function recordingsHandler(
  options: RecordingsApiOptions,
): (request: Request) => Promise<Response | null> {
  const index = options.index ??
    new RecordingIndex({ storage: options.storage });
  const storage = options.storage;
  const answer = route(options, index, storage);
  return async (request) => {
    try {
      return await answer(request);
    } catch (cause) {
      // Storage trouble (a disk error, a file deleted while read): JSON, not a bare 500.
      if (!(cause instanceof StreamError)) throw cause;
      return error(
        "unavailable",
        `Cannot read the recordings: ${cause.message}`,
      );
    }
  };
}

function route(
  options: RecordingsApiOptions,
  index: RecordingIndex,
  storage: StorageBackend,
): (request: Request) => Promise<Response | null> {
  return async (request) => {
    const url = new URL(request.url);
    let path = url.pathname;
    if (path.startsWith(PREFIX)) path = path.slice(PREFIX.length);
    const parts = path.split("/").filter((p) => p !== "");
    const method = request.method;
    if (parts.length === 0) {
      if (method !== "GET" && method !== "HEAD") return null;
      const files = await index.files();
      const byStream = new Map<
        string,
        { stream: string; spans: number; bytes: number }
      >();
      for (const f of files) {
        const entry = byStream.get(f.stream) ??
          { stream: f.stream, spans: 0, bytes: 0 };
        entry.spans++;
        entry.bytes += f.bytes;
        byStream.set(f.stream, entry);
      }
      return Response.json({ recordings: [...byStream.values()] }, {
        headers: { "Cache-Control": "no-store" },
      });
    }
    const app = decodeSafeSegment(parts[0] ?? "");
    const name = decodeSafeSegment(parts[1] ?? "");
    if (
      app === null || name === null ||
      parts.length > (parts[2] === "hls" ? 5 : 4)
    ) {
      return error(
        "bad_request",
        "Cannot read the stream key: expected /{app}/{name}",
      );
    }
    const stream = `${app}/${name}`;
    const base = `${PREFIX}/${encodeKey(stream)}`;
    const action = parts[2];
    if (action === undefined && method === "DELETE") {
      const refusal = options.adminChecked === true
        ? null
        : checkApiToken(request, options.apiToken);
      if (refusal !== null) return refusal;
      const before = Date.parse(url.searchParams.get("before") ?? "");
      if (!Number.isFinite(before)) {
        return error(
          "bad_request",
          "Cannot delete recordings: before= must be an ISO 8601 time",
        );
      }
      for (const f of await index.files(stream)) {
        if (f.startMs + f.durationS * 1000 >= before) continue;
        const keys = f.format === "hls"
          ? await storage.list(`${f.key}/`)
          : [f.key];
        for (const key of keys) await storage.delete(key);
        index.forget(f.key);
      }
      return new Response(null, { status: 204 });
    }
    if (method !== "GET" && method !== "HEAD") return null;
    const files = await index.files(stream);
    if (files.length === 0) {
      return error(
        "not_found",
        `Cannot find recordings of ${stream}: there are none`,
      );
    }
    const first = files[0]!;
    const last = files.at(-1)!;
    const whole = {
      startMs: first.startMs,
      durationS: (last.startMs + last.durationS * 1000 - first.startMs) / 1000,
    };
    if (action === undefined) {
      return Response.json({
        stream,
        spans: files.map((f) => {
          const q = `start=${iso(f.startMs)}&duration=${f.durationS}`;
          return {
            start: iso(f.startMs),
            duration: f.durationS,
            bytes: f.bytes,
            format: f.format,
            downloadUrl: `${base}/download?${q}`,
            // An HLS recording is served as it was written (its own VOD playlist).
            playlistUrl: f.format === "hls"
              ? `${base}/hls/${
                encodeURIComponent(f.key.slice(f.key.indexOf("/") + 1))
              }/index.m3u8`
              : `${base}/playlist.m3u8?${q}`,
          };
        }),
      }, { headers: { "Cache-Control": "no-store" } });
    }
    if (action === "download" && parts.length === 3) {
      const range = rangeOf(url, null);
      if (range instanceof Response) return range;
      const out = await exportRecordingRange(
        storage,
        files,
        range.startMs,
        range.durationS,
      );
      if (out === null) {
        return error(
          "not_found",
          `Cannot export ${stream}: no MP4 recording overlaps ${
            iso(range.startMs)
          } + ${range.durationS} s`,
        );
      }
      const headers: Record<string, string> = {
        "Content-Type": "video/mp4",
        "Cache-Control": "no-store",
        "Content-Disposition": `attachment; filename="${name}-${
          iso(out.startMs).replace(/[:.]/g, "-")
        }.mp4"`,
        "X-Recording-Start": iso(out.startMs),
        "X-Recording-Duration": String(out.durationS),
      };
      if (out.truncated !== null) {
        headers["X-Recording-Truncated"] = out.truncated;
      }
      if (method === "HEAD") {
        await out.body.cancel();
        return new Response(null, { headers });
      }
      return new Response(out.body, { headers });
    }
    if (action === "playlist.m3u8" && parts.length === 3) {
      const range = rangeOf(url, whole);
      if (range instanceof Response) return range;
      const text = recordingPlaylist(
        files,
        range.startMs,
        range.durationS,
        (key) =>
          `files/${encodeURIComponent(key.slice(key.lastIndexOf("/") + 1))}`,
      );
      if (text === null) {
        return error(
          "not_found",
          `Cannot list ${stream}: no MP4 recording overlaps ${
            iso(range.startMs)
          } + ${range.durationS} s`,
        );
      }
      return new Response(text, {
        headers: {
          "Content-Type": "application/vnd.apple.mpegurl",
          "Cache-Control": "no-store",
        },
      });
    }
    if (action === "files" && parts.length === 4) {
      const file = decodeSafeSegment(parts[3]!);
      const known = files.find((f) =>
        f.format !== "hls" && f.key === `${app}/${file}`
      );
      if (file === null || known === undefined) {
        return error("not_found", `Cannot find recording file ${parts[3]}`);
      }
      return await serveFile(storage, known.key, request);
    }
    if (action === "hls" && parts.length === 5) {
      const folder = decodeSafeSegment(parts[3]!);
      const file = decodeSafeSegment(parts[4]!);
      const known = files.find((f) =>
        f.format === "hls" && f.key === `${app}/${folder}`
      );
      if (folder === null || file === null || known === undefined) {
        return error("not_found", `Cannot find recording file ${parts[4]}`);
      }
      return await serveFile(storage, `${known.key}/${file}`, request);
    }
    return error("not_found", `Cannot find the route: ${url.pathname}`);
  };
}

const TYPES: Record<string, string> = {
  flv: "video/x-flv",
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  m4s: "video/iso.segment",
  mp4: "video/mp4",
};

/** Bytes read from storage per chunk of a file response. */
const CHUNK_BYTES = 1 << 20;

async function serveFile(
  storage: StorageBackend,
  key: string,
  request: Request,
): Promise<Response> {
  const stat = await storage.stat(key);
  if (stat === null) {
    return error("not_found", `Cannot find recording file ${key}`);
  }
  const type = TYPES[key.slice(key.lastIndexOf(".") + 1)] ?? "video/mp4";
  const m = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range") ?? "");
  let start = 0;
  let end = stat.size; // exclusive
  if (m !== null && (m[1] !== "" || m[2] !== "")) {
    if (m[1] === "") {
      start = Math.max(0, stat.size - Number(m[2]));
    } else {
      start = Number(m[1]);
      if (m[2] !== "") end = Math.min(stat.size, Number(m[2]) + 1);
    }
    if (start >= stat.size || start >= end) {
      return new Response(null, {
        status: 416,
        headers: { "Content-Range": `bytes */${stat.size}` },
      });
    }
  }
  const partial = m !== null;
  const headers: Record<string, string> = {
    "Content-Type": type,
    "Accept-Ranges": "bytes",
    "Cache-Control": "no-store",
    "Content-Length": String(end - start),
  };
  if (partial) {
    headers["Content-Range"] = `bytes ${start}-${end - 1}/${stat.size}`;
  }
  if (request.method === "HEAD") {
    return new Response(null, { status: partial ? 206 : 200, headers });
  }
  let pos = start;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pos >= end) return controller.close();
      const to = Math.min(end, pos + CHUNK_BYTES);
      const bytes = await storage.getRange(key, pos, to);
      if (bytes === null || bytes.length === 0) return controller.close();
      pos += bytes.length;
      controller.enqueue(bytes);
    },
  }, { highWaterMark: 0 });
  return new Response(body, { status: partial ? 206 : 200, headers });
}
