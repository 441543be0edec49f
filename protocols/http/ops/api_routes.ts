/**
 * The stream statistics API: `GET /api/streams` and
 * `GET /api/streams/:app/:name`, JSON built from `engine.streams()` on each
 * request (nothing is kept between requests).
 *
 * @module
 */
import { Hono } from "hono";
import type { ClientRegistry, Clock, StreamInfo } from "../../../src/mod.ts";
import type { HttpRoutes } from "../http_routes.ts";
import { decodeSafeSegment } from "../path_safety.ts";

/** What the API reads from the engine (`Engine` satisfies it). *
 * @example Any Engine fits
 * ```ts
 * import type { StreamsApiEngine } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const view: StreamsApiEngine = engine;
 * assert.deepEqual(view.streams(), []);
 * ```
 */
export interface StreamsApiEngine {
  /** Every live stream. */
  streams(): StreamInfo[];
  /**
   * The client registry: when present, `subscribers` counts its viewers
   * (HLS sessions included; internal consumers such as the HLS packager
   * or a recorder are not viewers).
   */
  readonly clients?: ClientRegistry;
  /** The engine's clock (uptimes are measured with it). */
  readonly clock: Clock;
}

/** One video or audio track in {@linkcode ApiStream}. *
 * @example An audio track
 * ```ts
 * import type { ApiTrack } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const aac: ApiTrack = { codec: "aac", codecString: "mp4a.40.2", width: null, height: null,
 *   sampleRate: 48000, channels: 2, bitrate: 64000, fps: 46.9 };
 * assert.equal(aac.sampleRate, 48000);
 * ```
 */
export interface ApiTrack {
  /** Codec id (`h264`, `aac`, …). */
  codec: string;
  /** RFC 6381 codec string (`avc1.64001f`), when known. */
  codecString: string | null;
  /** Pixels, video only. */
  width: number | null;
  /** Pixels, video only. */
  height: number | null;
  /** Samples per second, audio only. */
  sampleRate: number | null;
  /** Audio channels. */
  channels: number | null;
  /** Bits per second over the QoS window. */
  bitrate: number;
  /** Frames per second over the QoS window. */
  fps: number;
}

/** One stream as `GET /api/streams` describes it. *
 * @example Read the API
 * ```ts
 * import type { ApiStream } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * function label(stream: ApiStream): string {
 *   return `${stream.key} ${stream.video?.width ?? "?"}x${stream.video?.height ?? "?"}`;
 * }
 * assert.equal(typeof label, "function");
 * ```
 */
export interface ApiStream {
  /** `app/name`. */
  key: string;
  /** Application name. */
  app: string;
  /** Stream name. */
  name: string;
  /** The video track, if any. */
  video: ApiTrack | null;
  /** The audio track, if any. */
  audio: ApiTrack | null;
  /** Total bits per second over the QoS window. */
  bitrate: number;
  /** Video frames per second over the QoS window. */
  fps: number;
  /** Viewers, every protocol (HLS sessions included; internal consumers are not). */
  subscribers: number;
  /** Seconds since the publisher started. */
  uptimeSeconds: number;
  /** Frames and bytes received. */
  framesIn: number;
  /** Bytes received. */
  bytesIn: number;
  /** Frames skipped by lagging subscribers. */
  skippedFrames: number;
  /** Subscribers evicted. */
  evictions: number;
  /** Playback URLs (paths) of the stream. */
  urls: { hls: string; flv: string; ws: string };
}

/**
 * Describe one stream for the API.
 *
 * @param info an entry of `engine.streams()`
 * @param now the engine clock's current time, ms
 * @returns the JSON-ready description
 *
 * @example
 * ```ts
 * import { toApiStream } from "@arcly/stream/http";
 * import { Engine, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.startPublish(StreamKey.parse("live/cam"));
 * const [info] = engine.streams();
 * const stream = toApiStream(info!, engine.clock.now());
 * assert.equal(stream.key, "live/cam");
 * assert.equal(stream.urls.hls, "/live/cam/index.m3u8");
 * ```
 */
export function toApiStream(info: StreamInfo, now: number): ApiStream {
  const key = info.key.toString();
  const [app = "", name = ""] = key.split("/");
  const track = (kind: "video" | "audio"): ApiTrack | null => {
    const meta = info.metadata[kind];
    const qos = info.qos.tracks.find((t) =>
      t.kind === kind && t.trackId === (meta?.trackId ?? 0)
    );
    if (meta === undefined && qos === undefined) return null;
    return {
      codec: meta?.codec ?? qos?.codec ?? "unknown",
      codecString: meta?.codecString ?? null,
      width: meta?.width ?? null,
      height: meta?.height ?? null,
      sampleRate: meta?.sampleRate ?? null,
      channels: meta?.channels ?? null,
      bitrate: Math.round(qos?.bitrate ?? 0),
      fps: round1(qos?.fps ?? meta?.frameRate ?? 0),
    };
  };
  const video = track("video");
  const audio = track("audio");
  const path = `/${encodeURIComponent(app)}/${encodeURIComponent(name)}`;
  return {
    key,
    app,
    name,
    video,
    audio,
    bitrate: Math.round(info.qos.tracks.reduce((sum, t) => sum + t.bitrate, 0)),
    fps: video?.fps ?? 0,
    subscribers: info.subscribers,
    uptimeSeconds: Math.max(0, Math.round((now - info.startedAt) / 100) / 10),
    framesIn: info.qos.framesIn,
    bytesIn: info.qos.bytesIn,
    skippedFrames: info.qos.skippedFrames,
    evictions: info.qos.evictions,
    urls: { hls: `${path}/index.m3u8`, flv: `${path}.flv`, ws: `${path}.flv` },
  };
}

/**
 * Build the streams API sub-app.
 *
 * @param engine the engine to describe
 * @returns the routes
 *
 * @example List the live streams
 * ```ts
 * import { streamsApiRoutes } from "@arcly/stream/http";
 * import { Engine, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.startPublish(StreamKey.parse("live/cam"));
 * const res = await streamsApiRoutes(engine).request("/api/streams");
 * const body = await res.json();
 * assert.equal(body.streams[0].key, "live/cam");
 * ```
 */
export function streamsApiRoutes(engine: StreamsApiEngine): HttpRoutes {
  const app = new Hono();
  addStreamsApiRoutes(app, engine);
  return app;
}

/**
 * Register the routes of {@linkcode streamsApiRoutes} on an existing Hono app.
 *
 * @param app the app to add routes to
 * @param engine the engine to describe
 * @param refusedConnections when given, `/api/streams` also reports
 *   `refusedConnections` (connections refused at accept since start; the
 *   dashboard shows it)
 */
export function addStreamsApiRoutes(
  app: Hono,
  engine: StreamsApiEngine,
  refusedConnections?: () => number,
): void {
  app.get("/api/streams", (c) => {
    const now = engine.clock.now();
    const streams = engine.streams().map((info) =>
      withViewers(toApiStream(info, now), engine.clients)
    );
    streams.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    c.header("Cache-Control", "no-store");
    return c.json(
      refusedConnections === undefined
        ? { streams }
        : { streams, refusedConnections: refusedConnections() },
    );
  });
  app.get("/api/streams/:app/:name", (c) => {
    const parts = new URL(c.req.url).pathname.split("/");
    const appName = decodeSafeSegment(parts[3] ?? "");
    const name = decodeSafeSegment(parts[4] ?? "");
    if (appName === null || name === null) {
      return c.json({ error: "bad key" }, 400);
    }
    const key = `${appName}/${name}`;
    const info = engine.streams().find((s) => s.key.toString() === key);
    c.header("Cache-Control", "no-store");
    if (info === undefined) {
      return c.json({ error: `no live stream ${key}` }, 404);
    }
    return c.json(
      withViewers(toApiStream(info, engine.clock.now()), engine.clients),
    );
  });
}

/** `subscribers` from the registry's viewers, when there is one. */
function withViewers(
  stream: ApiStream,
  clients: ClientRegistry | undefined,
): ApiStream {
  if (clients === undefined) return stream;
  let n = 0;
  for (const count of Object.values(clients.countsByProtocol(stream.key))) {
    n += count;
  }
  stream.subscribers = n;
  return stream;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
