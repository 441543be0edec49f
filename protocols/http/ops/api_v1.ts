/**
 * The control API v1 under `/api/v1`: server, streams, clients (list and
 * kick), the OpenAPI document, and the recordings routes given to it. JSON
 * built from the engine on each request; errors are
 * `{"error":{"code","message"}}` with a stable code. Every state-changing
 * request (`DELETE`/`POST`/`PUT`/`PATCH`) needs `Authorization: Bearer
 * <apiToken>` (401 without, 403 wrong, 403 when no token is configured).
 *
 * Data path: nothing is kept between requests but the CPU and bandwidth
 * samplers (a few numbers).
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type {
  ClientInfo,
  ClientRegistry,
  StreamInfo,
  StreamKey,
} from "../../../src/mod.ts";
import type { HttpRoutes } from "../http_routes.ts";
import { decodeSafeSegment } from "../path_safety.ts";
import { toApiStream } from "./api_routes.ts";
import { apiV1OpenApi } from "./api_v1_openapi.ts";
import { CpuSampler, processMemory, RateMeter } from "./api_v1_system.ts";
import { apiV1Error, checkApiToken } from "./api_v1_errors.ts";
import type {
  ApiV1Client,
  ApiV1Endpoints,
  ApiV1Server,
  ApiV1Stream,
} from "./api_v1_types.ts";

export { apiV1Error, checkApiToken } from "./api_v1_errors.ts";

/** What the API reads from the engine (`Engine` satisfies it). *
 * @example
 * ```ts
 * import type { ApiV1Engine } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * await using engine = Engine.builder().build();
 * const view: ApiV1Engine = engine;
 * ```
 */
export interface ApiV1Engine {
  /** Every live stream. */
  streams(): StreamInfo[];
  /** The engine's clock (uptimes). */
  readonly clock: { now(): number };
  /** The client registry (absent: no clients listed). */
  readonly clients?: ClientRegistry;
}

/** Options of {@linkcode apiV1Routes}. *
 * @example
 * ```ts
 * import type { ApiV1Options } from "@arcly/stream/http";
 * const options: ApiV1Options = { apiToken: "s3cret", version: "1.2.3" };
 * ```
 */
export interface ApiV1Options {
  /** The admin token of state-changing requests (none: they are refused with 403). */
  apiToken?: string | null;
  /** Reported version (default the package's). */
  version?: string;
  /** Listener URLs (the CLI fills them once listening); default all off. */
  endpoints?: () => Partial<ApiV1Endpoints>;
  /** Open connections, the limit, refusals (default: the client registry's). */
  connections?: () => { current: number; limit: number; refused: number };
  /**
   * The recordings API (`/api/v1/recordings…`), answered with the full
   * request path; its `DELETE` passes the admin token check first.
   */
  recordings?: HttpRoutes;
}

/**
 * The package version `GET /api/v1/server` reports by default (deno.json's).
 *
 * @example
 * ```ts
 * import { API_V1_VERSION } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * assert.match(API_V1_VERSION, /^\d+\.\d+\.\d+$/);
 * ```
 */
export const API_V1_VERSION = "0.1.0";

const ADMIN_METHODS = new Set(["DELETE", "POST", "PUT", "PATCH"]);
/** The viewer protocols every stream lists, 0 when none. */
const VIEWER_PROTOCOLS = [
  "rtmp",
  "http-flv",
  "ws-flv",
  "hls",
  "webrtc",
  "srt",
  "rtsp",
] as const;

/**
 * Build the API v1 sub-app.
 *
 * @param engine the engine described
 * @param options token, version, endpoints, connections, recordings
 * @returns the routes
 *
 * @example List streams, refuse an anonymous kick
 * ```ts
 * import { apiV1Routes } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.startPublish("live/cam");
 * const api = apiV1Routes(engine, { apiToken: "t" });
 * const { streams } = await (await api.request("/api/v1/streams")).json();
 * assert.equal(streams[0].key, "live/cam");
 * assert.equal(streams[0].viewers.total, 0);
 * assert.equal((await api.request("/api/v1/clients/c-1", { method: "DELETE" })).status, 401);
 * ```
 */
export function apiV1Routes(
  engine: ApiV1Engine,
  options: ApiV1Options = {},
): HttpRoutes {
  const app = new Hono();
  addApiV1Routes(app, engine, options);
  return app;
}

/**
 * Register the routes of {@linkcode apiV1Routes} on an existing Hono app
 * (before any catch-all route such as HLS's `/:app/:name/:file`).
 *
 * @param app the app
 * @param engine the engine described
 * @param options as for {@linkcode apiV1Routes}
 */
export function addApiV1Routes(
  app: Hono,
  engine: ApiV1Engine,
  options: ApiV1Options = {},
): void {
  // The process's start (what an operator means by the server's uptime).
  const wallStart = Math.min(Date.now(), Math.round(performance.timeOrigin));
  const cpu = new CpuSampler();
  const clients = engine.clients;
  const bytesIn = new RateMeter(ingestCounter(engine));
  const bytesOut = new RateMeter(() => clients?.totals().sent ?? 0);
  // Engine clock time → wall time (the clock is monotonic, not epoch).
  const iso = (at: number): string =>
    new Date(Date.now() - (engine.clock.now() - at)).toISOString();

  app.use("/api/v1/*", async (c, next) => {
    if (ADMIN_METHODS.has(c.req.method)) {
      const refusal = checkApiToken(c.req.raw, options.apiToken);
      if (refusal !== null) return refusal;
    }
    await next();
  });
  app.get("/api/v1/openapi.json", (c) => json(c, apiV1OpenApi()));
  app.get("/api/v1/server", (c) => {
    const connections = options.connections?.() ?? {
      current: clients?.size ?? 0,
      limit: clients?.limit ?? 0,
      refused: clients?.refused ?? 0,
    };
    const body: ApiV1Server = {
      version: options.version ?? API_V1_VERSION,
      startedAt: new Date(wallStart).toISOString(),
      uptime: Math.round((Date.now() - wallStart) / 100) / 10,
      cpu: { percent: cpu.percent() },
      memory: processMemory(),
      bandwidth: {
        inBitsPerSecond: bytesIn.rate() * 8,
        outBitsPerSecond: bytesOut.rate() * 8,
      },
      connections,
      endpoints: {
        http: null,
        rtmp: null,
        rtmps: null,
        srt: null,
        rtsp: null,
        rtsps: null,
        webrtc: false,
        ...options.endpoints?.(),
      },
    };
    return json(c, body);
  });
  app.get("/api/v1/streams", (c) => {
    const infos = engine.streams();
    const streams = infos.map((info) => toV1Stream(info, infos, engine, iso));
    streams.sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    return json(c, { streams });
  });
  app.get("/api/v1/streams/:app/:name", (c) => {
    const parts = new URL(c.req.url).pathname.split("/");
    const appName = decodeSafeSegment(parts[4] ?? "");
    const name = decodeSafeSegment(parts[5] ?? "");
    if (appName === null || name === null) {
      return apiV1Error("bad_request", "Cannot find stream: bad key");
    }
    const key = `${appName}/${name}`;
    const infos = engine.streams();
    const info = infos.find((s) => s.key.toString() === key);
    if (info === undefined) {
      return apiV1Error("not_found", `Cannot find stream ${key}: not live`);
    }
    return json(c, toV1Stream(info, infos, engine, iso));
  });
  app.get("/api/v1/clients", (c) => {
    const list: ApiV1Client[] = (clients?.list() ?? []).map((client) =>
      toV1Client(client, iso)
    );
    return json(c, { clients: list });
  });
  app.get("/api/v1/clients/:id", (c) => {
    const client = clients?.get(c.req.param("id"));
    if (client === undefined) {
      return apiV1Error(
        "not_found",
        `Cannot find client ${c.req.param("id")}: no such client`,
      );
    }
    return json(c, toV1Client(client, iso));
  });
  app.delete("/api/v1/clients/:id", (c) => {
    const id = c.req.param("id");
    if (clients === undefined || !clients.kick(id)) {
      return apiV1Error(
        "not_found",
        `Cannot disconnect client ${id}: no such client`,
      );
    }
    return c.body(null, 204);
  });
  const recordings = options.recordings;
  if (recordings !== undefined) {
    const forward = (c: Context) => recordings.fetch(c.req.raw, c.env);
    app.all("/api/v1/recordings", forward);
    app.all("/api/v1/recordings/*", forward);
  }
  app.all("/api/v1/*", (c) =>
    apiV1Error(
      "not_found",
      `Cannot ${c.req.method} ${new URL(c.req.url).pathname}: no such API path`,
    ));
}

/**
 * Bytes received by every stream since the API started (streams that
 * ended included): each stream's QoS `bytesIn`, whoever publishes it
 * (clients, relays, pulls). One number per live stream is kept.
 */
function ingestCounter(engine: ApiV1Engine): () => number {
  const last = new Map<string, number>();
  let ended = 0;
  return () => {
    const seen = new Set<string>();
    let total = 0;
    for (const info of engine.streams()) {
      const key = info.key.toString();
      seen.add(key);
      const before = last.get(key) ?? 0;
      // A republished key restarts its count: keep what the old one had.
      if (info.qos.bytesIn < before) ended += before;
      last.set(key, info.qos.bytesIn);
      total += info.qos.bytesIn;
    }
    for (const [key, bytes] of last) {
      if (!seen.has(key)) {
        ended += bytes;
        last.delete(key);
      }
    }
    return ended + total;
  };
}

function json(c: Context, body: unknown): Response {
  c.header("Cache-Control", "no-store");
  return c.json(body);
}

function toV1Client(
  client: ClientInfo,
  iso: (at: number) => string,
): ApiV1Client {
  return {
    id: client.id,
    kind: client.kind,
    protocol: client.protocol,
    stream: client.stream,
    remoteAddr: client.remoteAddr,
    startedAt: iso(client.startedAt),
    bytesSent: client.bytesSent,
    bytesReceived: client.bytesReceived,
  };
}

function toV1Stream(
  info: StreamInfo,
  all: readonly StreamInfo[],
  engine: ApiV1Engine,
  iso: (at: number) => string,
): ApiV1Stream {
  const now = engine.clock.now();
  const legacy = toApiStream(info, now);
  const key = legacy.key;
  const byProtocol: Record<string, number> = {};
  for (const protocol of VIEWER_PROTOCOLS) byProtocol[protocol] = 0;
  let total = 0;
  const counts = engine.clients?.countsByProtocol(key) ?? {};
  for (const [protocol, n] of Object.entries(counts)) {
    byProtocol[protocol] = n;
    total += n;
  }
  const publisher = engine.clients?.publisherOf(key);
  return {
    key,
    app: legacy.app,
    name: legacy.name,
    startedAt: iso(info.startedAt),
    uptime: legacy.uptimeSeconds,
    publisher: publisher === undefined
      ? null
      : { protocol: publisher.protocol, remoteAddr: publisher.remoteAddr },
    video: legacy.video === null ? null : {
      codec: legacy.video.codec,
      codecString: legacy.video.codecString,
      width: legacy.video.width,
      height: legacy.video.height,
      fps: legacy.video.fps,
      bitrate: legacy.video.bitrate,
    },
    audio: legacy.audio === null ? null : {
      codec: legacy.audio.codec,
      codecString: legacy.audio.codecString,
      sampleRate: legacy.audio.sampleRate,
      channels: legacy.audio.channels,
      bitrate: legacy.audio.bitrate,
    },
    bitrate: legacy.bitrate,
    viewers: { total, byProtocol },
    derived: all
      .filter((s) => isDerivedOf(s.key, key))
      .map((s) => s.key.toString())
      .sort(),
  };
}

function isDerivedOf(candidate: StreamKey, key: string): boolean {
  return candidate.variant !== undefined &&
    candidate.base.toString() === key;
}
