/**
 * {@linkcode ThumbnailRoutes}: `GET /{app}/{name}/thumbnail.jpg`, the latest
 * keyframe of a live stream as a JPEG, served through the HTTP app's route
 * seam (`HttpRouteProvider`, `extraRoutes` of `createHttpApp`).
 *
 * Data path: the stream's GOP cache already holds its video config and the
 * latest keyframe; they are muxed once into a small MPEG-TS (our
 * `MpegTsMuxer`) and piped into one ffmpeg run (`-frames:v 1 -c:v mjpeg`),
 * whose stdout (bounded by `maxImageBytes`) is the image. At most one run
 * per stream per `minIntervalMs` (concurrent requests share it; within the
 * interval the cached image is served), at most `maxConcurrent` runs at
 * once (past it: the cached image, else 503), at most `maxEntries` images
 * cached (least recently used evicted).
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import { MpegTsMuxer } from "../media/mpegts/mod.ts";
import { StreamError } from "../media/stream_error.ts";
import {
  type HttpRouteProvider,
  type StreamHost,
  StreamKey,
} from "../src/mod.ts";
import { thumbnailArgs } from "./ffmpeg_args.ts";
import { runGranted } from "./ffmpeg_transcoder.ts";

/**
 * Options of {@linkcode ThumbnailRoutes}.
 *
 * @example
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import type { ThumbnailOptions } from "@arcly/stream/transcode";
 * const options: ThumbnailOptions = { host: Engine.builder().build(), minIntervalMs: 5000 };
 * ```
 */
export interface ThumbnailOptions {
  /** The engine (streams, play authorization, clock). */
  host: StreamHost;
  /** ffmpeg binary (default `ffmpeg`). */
  ffmpegPath?: string;
  /** At most one ffmpeg run per stream per this many ms (default 5000). */
  minIntervalMs?: number;
  /** Largest image height, never upscaled (default 360). */
  maxHeight?: number;
  /** Images cached (default 64). */
  maxEntries?: number;
  /** Largest image accepted from ffmpeg (default 1 MiB). */
  maxImageBytes?: number;
  /** ffmpeg runs at once (default 2). */
  maxConcurrent?: number;
  /** Kill a run after this many ms (default 10,000). */
  timeoutMs?: number;
}

interface Entry {
  at: number;
  bytes: Uint8Array | null;
  pending?: Promise<Uint8Array | null> | undefined;
}

const PATH = /^\/([^/]+)\/([^/]+)\/thumbnail\.jpg$/;

/**
 * The thumbnail route provider.
 *
 * @example Not a thumbnail path: left to the other routes
 * ```ts
 * import { Engine } from "@arcly/stream";
 * import { ThumbnailRoutes } from "@arcly/stream/transcode";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const thumbnails = new ThumbnailRoutes({ host: engine });
 * assert.equal(await thumbnails.fetch(new Request("http://x/live/cam/index.m3u8"), {}), null);
 * assert.equal((await thumbnails.fetch(new Request("http://x/live/cam/thumbnail.jpg"), {}))!.status, 404);
 * ```
 */
export class ThumbnailRoutes implements HttpRouteProvider {
  /** Always "thumbnails". */
  readonly name: string = "thumbnails";
  #o: ThumbnailOptions;
  #cache = new Map<string, Entry>();
  #running = 0;
  #runs = 0;

  /**
   * Serve thumbnails of `options.host`'s streams.
   *
   * @param options host, ffmpeg, bounds
   */
  constructor(options: ThumbnailOptions) {
    this.#o = options;
  }

  /** ffmpeg runs so far (for tests and metrics). */
  get runs(): number {
    return this.#runs;
  }

  /**
   * Answer `GET`/`HEAD /{app}/{name}/thumbnail.jpg`, or `null` for any other request.
   *
   * @param request the request
   * @param info the peer address
   * @returns the JPEG (200), 401/403, 404, 503 — or null
   */
  async fetch(
    request: Request,
    info: { remoteAddr?: string },
  ): Promise<Response | null> {
    const url = new URL(request.url);
    const m = PATH.exec(url.pathname);
    if (!m || (request.method !== "GET" && request.method !== "HEAD")) {
      return null;
    }
    let key: string;
    try {
      key = new StreamKey(
        decodeURIComponent(m[1]!),
        decodeURIComponent(m[2]!),
      ).toString();
    } catch {
      return text(404, "no such stream");
    }
    const bearer = request.headers.get("authorization")?.match(
      /^Bearer\s+(.+)$/i,
    )?.[1];
    const token = url.searchParams.get("token") ?? bearer;
    try {
      await this.#o.host.authorize("play", key, {
        protocol: "http-thumbnail",
        query: url.searchParams,
        headers: request.headers,
        ...(token ? { token } : {}),
        ...(info.remoteAddr ? { remoteAddr: info.remoteAddr } : {}),
      });
    } catch (error) {
      return text(
        error instanceof StreamError && error.code === "Unauthorized"
          ? 401
          : 403,
        "not authorized",
      );
    }
    const image = await this.image(key);
    if (!image) return text(404, "no keyframe yet");
    return new Response(
      request.method === "HEAD" ? null : image as Uint8Array<ArrayBuffer>,
      {
        headers: {
          "content-type": "image/jpeg",
          "content-length": String(image.length),
          "cache-control": `max-age=${
            Math.floor((this.#o.minIntervalMs ?? 5000) / 1000)
          }`,
          "access-control-allow-origin": "*",
        },
      },
    );
  }

  /**
   * The JPEG of `key`'s latest keyframe (cached for `minIntervalMs`), or
   * null when the stream is not live or has no video keyframe yet.
   *
   * @param key the stream key
   * @returns the image bytes, or null
   */
  async image(key: string): Promise<Uint8Array | null> {
    const o = this.#o;
    const now = o.host.clock.now();
    const entry = this.#cache.get(key);
    if (entry) {
      this.#cache.delete(key); // LRU: re-inserted below
      this.#cache.set(key, entry);
      if (entry.pending) return await entry.pending;
      if (now - entry.at < (o.minIntervalMs ?? 5000)) return entry.bytes;
    }
    const input = this.#keyframeTs(key);
    if (!input) return entry?.bytes ?? null;
    if (this.#running >= (o.maxConcurrent ?? 2)) return entry?.bytes ?? null;
    const next: Entry = { at: now, bytes: entry?.bytes ?? null };
    next.pending = this.#run(input).then((bytes) => {
      next.bytes = bytes ?? next.bytes;
      next.pending = undefined;
      return next.bytes;
    });
    this.#cache.delete(key);
    this.#cache.set(key, next);
    while (this.#cache.size > (o.maxEntries ?? 64)) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return await next.pending;
  }

  #keyframeTs(key: string): Uint8Array | null {
    const handle = this.#o.host.getStream(key);
    if (!handle || handle.ended) return null;
    const config = handle.gopCache.configFrames().find((f) =>
      f.kind === "video"
    );
    const keyframe = handle.gopCache.frames().find((f: MediaFrame) =>
      f.kind === "video" && f.keyframe && !f.config
    );
    if (!config || !keyframe) return null;
    const muxer = new MpegTsMuxer();
    muxer.configure(config);
    return muxer.mux([keyframe]);
  }

  async #run(input: Uint8Array): Promise<Uint8Array | null> {
    const o = this.#o;
    if (!runGranted(o.ffmpegPath ?? "ffmpeg")) return null;
    this.#running++;
    this.#runs++;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(o.ffmpegPath ?? "ffmpeg", {
        args: thumbnailArgs({
          input: "mpegts",
          ...(o.maxHeight ? { maxHeight: o.maxHeight } : {}),
        }),
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    } catch {
      this.#running--;
      return null;
    }
    const cancel = o.host.clock.setTimer(o.timeoutMs ?? 10_000, () => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    });
    const writing = (async () => {
      const writer = child.stdin.getWriter();
      await writer.write(input);
      await writer.close();
    })().catch(() => {});
    const max = o.maxImageBytes ?? 1 << 20;
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of child.stdout) {
        size += chunk.length;
        if (size > max) {
          child.kill("SIGKILL");
          break;
        }
        chunks.push(chunk);
      }
    } catch { /* killed */ }
    const status = await child.status;
    await writing;
    cancel();
    this.#running--;
    if (!status.success || size === 0 || size > max) return null;
    const out = new Uint8Array(size);
    let pos = 0;
    for (const c of chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
}

function text(status: number, body: string): Response {
  return new Response(body, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}
