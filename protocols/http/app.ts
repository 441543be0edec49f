/**
 * {@linkcode createHttpApp}: the whole HTTP egress as one Hono app, composed
 * from the route factories of this folder.
 *
 * URL scheme, one per stream `app/name`:
 *
 * | path                               | what                                    |
 * |------------------------------------|-----------------------------------------|
 * | `/`                                | dashboard page                          |
 * | `/{app}/{name}/index.m3u8`         | HLS / LL-HLS playlist (blocking reload) |
 * | `/{app}/{name}/master.m3u8`        | multivariant playlist (CODECS, RESOLUTION) |
 * | `/{app}/{name}/{segment or part}`  | segments, parts, `init.mp4`             |
 * | `/{app}/{name}.flv`                | HTTP-FLV, or WS-FLV with an upgrade     |
 * | `/api/streams[/{app}/{name}]`      | stream statistics (JSON)                |
 * | `/api/v1/…`                        | control API v1 (`/api/v1/openapi.json`) |
 * | `/metrics`                         | Prometheus text format                  |
 * | `/healthz`, `/readyz`              | health probes                           |
 *
 * Routes of other modules (`extraRoutes`, {@linkcode HttpRouteProvider}:
 * WHIP/WHEP, thumbnails) are consulted first, in order.
 *
 * Every play request (HLS, FLV, WS) is authorized by the engine's
 * `StreamAuthenticator` with the token from `?token=` or
 * `Authorization: Bearer`. HLS uses `engine.authorize("play", …)` because
 * its files outlive the stream; FLV uses `engine.authorizePlay()`, which
 * also finds the live stream.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type {
  Credentials,
  HttpRouteProvider,
  StreamHost,
} from "../../src/mod.ts";
import { addStreamsApiRoutes } from "./ops/api_routes.ts";
import { addApiV1Routes, type ApiV1Options } from "./ops/api_v1.ts";
import { addDashboardRoutes, type DashboardOptions } from "./ops/dashboard.ts";
import { addFlvRoutes } from "./flv_routes.ts";
import { addHealthRoutes } from "./ops/health_routes.ts";
import {
  addHlsRoutes,
  type HlsPlaylistSource,
  type HlsStorageReader,
} from "./hls_routes.ts";
import type { HttpRoutes } from "./http_routes.ts";
import { addMetricsRoutes, type PrometheusObserver } from "./ops/metrics.ts";
import type { PlayAccess } from "./play_access.ts";
import { remoteAddrOf } from "./_remote_addr.ts";
import { StreamError } from "../../media/stream_error.ts";

/** Options of {@linkcode createHttpApp}. *
 * @example Restrict CORS, hide the dashboard
 * ```ts
 * import { createHttpApp, type HttpAppOptions } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const options: HttpAppOptions = { cors: "https://example.com", dashboard: false };
 * const app = createHttpApp(engine, options);
 * assert.equal((await app.request("/")).status, 404);
 * ```
 */
export interface HttpAppOptions {
  /** Where HLS output (and recordings) are read from. */
  storage?: HlsStorageReader;
  /** Live HLS packagers (an `HlsPackaging`), for in-memory playlists and blocking reload. */
  hls?: HlsPlaylistSource;
  /** Metrics served at `/metrics` and fed with egress byte counts. */
  metrics?: PrometheusObserver;
  /** CORS: `true` (default) allows any origin, a string or list allows those, `false` sends no CORS headers. */
  cors?: boolean | string | string[];
  /** Longest hold of an LL-HLS blocking request, ms (default three target durations). */
  blockingReloadTimeoutMs?: number;
  /**
   * HTTP-FLV / WS-FLV egress tick in ms (default 100; 0 = write as frames
   * arrive); see `FlvRoutesOptions.egressTickMs`.
   */
  egressTickMs?: number;
  /** The dashboard at `/`: `true` (default), `false`, or asset locations. */
  dashboard?: boolean | DashboardOptions;
  /**
   * Routes of other modules (WHIP/WHEP, thumbnails, an operator API),
   * consulted in order before the built-in routes and CORS: each answers
   * its own requests (CORS and `OPTIONS` included) and `null` for the rest.
   */
  extraRoutes?: readonly HttpRouteProvider[];
  /**
   * The control API's admin token: `DELETE`/`POST`/`PUT`/`PATCH` under
   * `/api/v1` need `Authorization: Bearer <apiToken>` (none: refused, 403).
   */
  apiToken?: string | null;
  /** The rest of the control API's options (endpoints, connections, recordings, version). */
  api?: Omit<ApiV1Options, "apiToken">;
}

/**
 * Build the HTTP egress app for `engine`.
 *
 * @param engine the engine whose streams are served
 * @param options storage, HLS packagers, metrics, CORS, dashboard
 * @returns the app; serve it with `Deno.serve(app.fetch)` or mount it in a
 * host Hono app with `host.mount("/", app.fetch)`
 *
 * @example Health and stats without a socket
 * ```ts
 * import { createHttpApp } from "@arcly/stream/http";
 * import { Engine, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.startPublish(StreamKey.parse("live/cam"));
 * const app = createHttpApp(engine);
 * assert.equal((await app.request("/healthz")).status, 200);
 * const { streams } = await (await app.request("/api/streams")).json();
 * assert.equal(streams[0].key, "live/cam");
 * assert.equal((await app.request("/live/none.flv")).status, 404);
 * ```
 */
export function createHttpApp(
  engine: StreamHost,
  options: HttpAppOptions = {},
): HttpRoutes {
  const app = new Hono();
  const extra = options.extraRoutes ?? [];
  if (extra.length > 0) {
    app.use("*", async (c, next) => {
      const remoteAddr = remoteAddrOf(c);
      const info = remoteAddr === undefined ? {} : { remoteAddr };
      for (const provider of extra) {
        const response = await provider.fetch(c.req.raw, info);
        if (response !== null) return response;
      }
      await next();
    });
  }
  if (options.cors !== false) {
    const origin = options.cors === undefined || options.cors === true
      ? "*"
      : options.cors;
    app.use(
      "*",
      cors({
        origin,
        allowMethods: ["GET", "HEAD", "OPTIONS"],
        allowHeaders: ["Authorization", "Range"],
        exposeHeaders: ["Content-Length", "Content-Range", "Accept-Ranges"],
        maxAge: 600,
      }),
    );
  }
  const metrics = options.metrics;
  if (metrics !== undefined) {
    metrics.attach(engine);
    addMetricsRoutes(app, metrics);
  }
  addHealthRoutes(app, engine);
  addApiV1Routes(app, engine, {
    ...options.api,
    apiToken: options.apiToken ?? null,
  });
  addStreamsApiRoutes(
    app,
    engine,
    metrics === undefined ? undefined : () => metrics.refusedConnections,
  );
  if (options.dashboard !== false) {
    addDashboardRoutes(
      app,
      options.dashboard === true || options.dashboard === undefined
        ? {}
        : options.dashboard,
    );
  }
  addFlvRoutes(app, {
    open: (access) => engine.authorizePlay(access.key, credentialsOf(access)),
    clock: engine.clock,
    ...(options.egressTickMs !== undefined
      ? { egressTickMs: options.egressTickMs }
      : {}),
    ...(metrics !== undefined
      ? {
        onBytesOut: (protocol, bytes) => metrics.countBytesOut(protocol, bytes),
      }
      : {}),
  });
  const clients = engine.clients;
  addHlsRoutes(app, {
    onBytesOut: (protocol, bytes) => {
      metrics?.countBytesOut(protocol, bytes);
      clients?.countSent(bytes);
    },
    // HLS viewers hold no connection: a session per `_HLS_session` query
    // parameter, or per address + user agent, while it keeps fetching.
    ...(clients !== undefined
      ? {
        onRequest: (access: PlayAccess) => {
          // Files of streams not live here (probes, old folders) are no session.
          if (engine.getStream(access.key) === undefined) return;
          clients.touchHls(
            access.key,
            hlsSessionOf(access),
            access.remoteAddr ?? null,
          );
        },
      }
      : {}),
    authorize: (access) => {
      if (clients?.hlsRefused(access.key, hlsSessionOf(access))) {
        return Promise.reject(
          new StreamError(
            "Unauthorized",
            `Cannot play ${access.key}: this HLS session was disconnected by the operator`,
          ),
        );
      }
      return engine.authorize("play", access.key, credentialsOf(access));
    },
    // A stream not live here may be started on demand (edge, camera pull);
    // HLS viewers hold no subscription, so each playlist marks the stream.
    openLive: (access) =>
      engine.authorizePlay(access.key, credentialsOf(access)).then(
        () => true,
        () => false,
      ),
    watched: (key) => engine.getStream(key)?.markWatched(),
    ...(options.storage !== undefined ? { storage: options.storage } : {}),
    ...(options.hls !== undefined ? { source: options.hls } : {}),
    ...(options.blockingReloadTimeoutMs !== undefined
      ? { blockingReloadTimeoutMs: options.blockingReloadTimeoutMs }
      : {}),
  });
  return app;
}

/** An HLS player's session: `_HLS_session`, else address + user agent. */
function hlsSessionOf(access: PlayAccess): string {
  const request = access.request;
  return new URL(request.url).searchParams.get("_HLS_session") ??
    `${access.remoteAddr ?? "?"} ${request.headers.get("user-agent") ?? ""}`;
}

function credentialsOf(access: PlayAccess): Credentials {
  const credentials: Credentials = {
    protocol: access.protocol,
    query: new URL(access.request.url).searchParams,
    headers: access.request.headers,
  };
  if (access.token !== undefined) credentials.token = access.token;
  if (access.remoteAddr !== undefined) {
    credentials.remoteAddr = access.remoteAddr;
  }
  return credentials;
}
