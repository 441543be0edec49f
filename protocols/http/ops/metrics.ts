/**
 * {@linkcode PrometheusObserver}: engine events, audit records and egress
 * byte counts as Prometheus metrics, on a prom-client registry of its own
 * (never the process-global one, so two engines in one process never mix),
 * and {@linkcode metricsRoutes} serving them at `GET /metrics` in the text
 * exposition format 0.0.4.
 *
 * Data path: `onEvent()` and `record()` run synchronously inside the
 * kernel's emit and only bump counters (O(1), no allocation beyond
 * prom-client's label lookup). Gauges that describe the present (streams,
 * subscribers, ingest bytes) are read from `engine.streams()` when a scrape
 * happens, so nothing is sampled between scrapes. Memory is bounded by the
 * label sets: protocol names, eviction reasons and auth actions, never
 * stream keys.
 *
 * @module
 */
import { Counter, Gauge, Registry } from "prom-client";
import { Hono } from "hono";
import type {
  AuditEvent,
  AuditSink,
  ClientRegistry,
  EngineEvent,
  MetricsCollector,
  Observer,
  StreamInfo,
} from "../../../src/mod.ts";
import {
  DEFAULT_MAX_STREAM_LABELS,
  registerViewerFamilies,
  renderCollectorSamples,
  seedZeroSeries,
} from "./metrics_families.ts";
import type { HttpRoutes } from "../http_routes.ts";

/** What the observer reads from an engine at scrape time (`Engine` satisfies it). *
 * @example Any Engine fits
 * ```ts
 * import type { MetricsEngineView } from "@arcly/stream/http";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const view: MetricsEngineView = engine;
 * assert.deepEqual(view.streams(), []);
 * ```
 */
export interface MetricsEngineView {
  /** The live streams with their QoS. */
  streams(): readonly StreamInfo[];
  /** The client registry (viewers per protocol and per stream); `Engine` has one. */
  readonly clients?: ClientRegistry;
}

/** Options of {@linkcode PrometheusObserver}. *
 * @example Prefix and instance label
 * ```ts
 * import { PrometheusObserver } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const metrics = new PrometheusObserver({ prefix: "edge_", defaultLabels: { instance: "a" } });
 * assert.match(await metrics.metrics(), /edge_streams\{instance="a"\} 0/);
 * ```
 */
export interface PrometheusObserverOptions {
  /** Metric name prefix; default `arcly_`. */
  prefix?: string;
  /** Labels added to every sample (e.g. `{ instance: "edge-1" }`). */
  defaultLabels?: Record<string, string>;
  /**
   * Protocol servers that report their own samples (SRT, RTSP, WebRTC),
   * read at every scrape (the array itself: entries added later count).
   */
  collectors?: MetricsCollector[];
  /**
   * Distinct `stream` label values at most (default 100); the other
   * streams are summed under `stream="other"`.
   */
  maxStreamLabels?: number;
}

/**
 * Engine observer and audit sink that keeps Prometheus metrics.
 *
 * Register it with `Engine.builder().observer(o).audit(o)`, call
 * `attach(engine)` for the live gauges, and serve it with
 * {@linkcode metricsRoutes} (done by `createHttpApp({ metrics })`).
 *
 * @example Count an eviction and render it
 * ```ts
 * import { PrometheusObserver } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const metrics = new PrometheusObserver();
 * metrics.onEvent({ type: "subscriberEvicted", key: "live/cam", subscriberId: 1, reason: "slow", lag: 900 });
 * const text = await metrics.metrics();
 * assert.match(text, /arcly_subscriber_evictions_total\{reason="slow"\} 1/);
 * ```
 */
export class PrometheusObserver implements Observer, AuditSink {
  #registry = new Registry();
  #engines = new Set<MetricsEngineView>();
  #lastBytesIn = new Map<string, number>();
  #publishers: Gauge;
  #bytesIn: Counter;
  #bytesOut: Counter<"protocol">;
  #dropped: Counter;
  #evictions: Counter<"reason">;
  #resyncs: Counter;
  #lagged: Counter;
  #segments: Counter;
  #storageErrors: Counter;
  #authFailures: Counter<"action" | "protocol">;
  #clientsDropped: Counter<"protocol" | "code">;
  #connectionsRefused: Counter<"protocol" | "reason">;
  #refusedTotal = 0;
  #joins: Counter;
  #decodeErrors: Counter;
  #collectors: MetricsCollector[];
  #defaultLabels: Record<string, string>;

  /**
   * Create the metrics on a fresh registry of their own.
   *
   * @param options name prefix and default labels
   */
  constructor(options: PrometheusObserverOptions = {}) {
    const p = options.prefix ?? "arcly_";
    const registers = [this.#registry];
    if (options.defaultLabels) {
      this.#registry.setDefaultLabels(options.defaultLabels);
    }
    const engines = this.#engines;
    this.#collectors = options.collectors ?? [];
    this.#defaultLabels = options.defaultLabels ?? {};
    const sampleBytesIn = (): void => this.#sampleBytesIn();
    new Gauge({
      name: `${p}streams`,
      help: "Live streams",
      registers,
      collect(): void {
        let n = 0;
        for (const engine of engines) n += engine.streams().length;
        this.set(n);
      },
    });
    this.#publishers = new Gauge({
      name: `${p}publishers`,
      help: "Active publishers",
      registers,
    });
    new Gauge({
      name: `${p}subscribers`,
      help: "Subscribers attached to live streams",
      registers,
      collect(): void {
        let n = 0;
        for (const engine of engines) {
          for (const info of engine.streams()) n += info.subscribers;
        }
        this.set(n);
      },
    });
    this.#bytesIn = new Counter({
      name: `${p}bytes_in_total`,
      help: "Media payload bytes received from publishers",
      registers,
      collect: sampleBytesIn,
    });
    this.#bytesOut = new Counter({
      name: `${p}bytes_out_total`,
      help: "Bytes sent to viewers, by egress protocol",
      labelNames: ["protocol"],
      registers,
    });
    this.#dropped = new Counter({
      name: `${p}frames_dropped_total`,
      help: "Frames skipped by subscribers that fell behind",
      registers,
    });
    this.#evictions = new Counter({
      name: `${p}subscriber_evictions_total`,
      help: "Subscribers removed by the kernel, by reason",
      labelNames: ["reason"],
      registers,
    });
    this.#resyncs = new Counter({
      name: `${p}lag_resyncs_total`,
      help: "Resilient subscribers resynchronised at a keyframe",
      registers,
    });
    this.#lagged = new Counter({
      name: `${p}subscribers_lagged_total`,
      help: "Plain subscribers failed with Lagged",
      registers,
    });
    this.#segments = new Counter({
      name: `${p}hls_segments_written_total`,
      help: "HLS media segments written to storage",
      registers,
    });
    this.#storageErrors = new Counter({
      name: `${p}hls_storage_errors_total`,
      help: "HLS storage write failures",
      registers,
    });
    this.#authFailures = new Counter({
      name: `${p}auth_failures_total`,
      help: "Refused publish and play requests",
      labelNames: ["action", "protocol"],
      registers,
    });
    this.#clientsDropped = new Counter({
      name: `${p}clients_dropped_total`,
      help:
        "Clients refused at accept or dropped (violation, timeout, eviction)",
      labelNames: ["protocol", "code"],
      registers,
    });
    this.#connectionsRefused = new Counter({
      name: `${p}connections_refused_total`,
      help:
        "Connections refused at accept (maxConnections, maxPerIp, rateLimited)",
      labelNames: ["protocol", "reason"],
      registers,
    });
    this.#joins = new Counter({
      name: `${p}subscriber_joins_total`,
      help: "Subscriptions attached",
      registers,
    });
    this.#decodeErrors = new Counter({
      name: `${p}decode_errors_total`,
      help: "Configuration frames that failed to parse",
      registers,
    });
    registerViewerFamilies(
      this.#registry,
      p,
      engines,
      options.maxStreamLabels ?? DEFAULT_MAX_STREAM_LABELS,
    );
    seedZeroSeries({
      bytesOut: this.#bytesOut,
      evictions: this.#evictions,
      authFailures: this.#authFailures,
      clientsDropped: this.#clientsDropped,
      connectionsRefused: this.#connectionsRefused,
    });
  }

  /**
   * Read `collector` at every scrape from now on.
   *
   * @param collector a protocol server with `collectMetrics()`
   */
  addCollector(collector: MetricsCollector): void {
    this.#collectors.push(collector);
  }

  /** The `Content-Type` of {@linkcode PrometheusObserver.metrics}' output. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /**
   * Read live gauges (streams, subscribers, ingest bytes) from `engine` at
   * each scrape.
   *
   * @param engine the engine (or anything with `streams()`)
   * @returns a function that detaches it
   */
  attach(engine: MetricsEngineView): () => void {
    this.#engines.add(engine);
    return () => {
      this.#engines.delete(engine);
    };
  }

  /** {@inheritDoc Observer.onEvent} */
  onEvent(event: EngineEvent): void {
    switch (event.type) {
      case "published":
        this.#publishers.inc();
        break;
      case "unpublished":
        this.#publishers.dec();
        this.#sampleBytesIn();
        this.#lastBytesIn.delete(event.key);
        break;
      case "subscriberJoined":
        this.#joins.inc();
        break;
      case "subscriberEvicted":
        this.#evictions.inc({ reason: String(event.reason) });
        break;
      case "lagResync":
        this.#resyncs.inc();
        this.#dropped.inc(event.skipped);
        break;
      case "subscriberLagged":
        this.#lagged.inc();
        this.#dropped.inc(event.missed);
        break;
      case "decodeError":
        this.#decodeErrors.inc();
        break;
    }
  }

  /** {@inheritDoc AuditSink.record} */
  record(event: AuditEvent): void {
    if (event.type === "authRefused") {
      this.#authFailures.inc({
        action: event.action,
        protocol: event.protocol,
      });
    } else if (event.type === "clientDropped") {
      this.#clientsDropped.inc({ protocol: event.protocol, code: event.code });
      if (event.reason.startsWith("connection refused")) {
        // "connection refused: maxConnections (9000) reached" → maxConnections
        const reason = /^connection refused:?\s*([A-Za-z]+)/.exec(
          event.reason,
        )?.[1] ?? event.code;
        this.#connectionsRefused.inc({ protocol: event.protocol, reason });
        this.#refusedTotal++;
      }
    }
  }

  /** Connections refused at accept since start, every protocol (the dashboard's counter). */
  get refusedConnections(): number {
    return this.#refusedTotal;
  }

  /**
   * Count bytes written to viewers.
   *
   * @param protocol egress protocol label (`http-flv`, `ws-flv`, `hls`, `rtmp`)
   * @param bytes bytes written
   */
  countBytesOut(protocol: string, bytes: number): void {
    this.#bytesOut.inc({ protocol }, bytes);
  }

  /**
   * Count packager events: a written segment, or a storage failure.
   *
   * @param event a packager event (its `type` is what counts)
   */
  countHlsEvent(event: { readonly type: string }): void {
    if (event.type === "segment" || event.type === "segmentWritten") {
      this.#segments.inc();
    } else if (event.type === "storageError") this.#storageErrors.inc();
  }

  /**
   * Render every metric in the Prometheus text format.
   *
   * @returns the exposition text
   */
  async metrics(): Promise<string> {
    const text = await this.#registry.metrics();
    if (this.#collectors.length === 0) return text;
    const taken = new Set(
      this.#registry.getMetricsAsArray().map((m) => m.name),
    );
    const extra = renderCollectorSamples(
      this.#collectors,
      this.#defaultLabels,
      taken,
    );
    if (extra === "") return text;
    return text.endsWith("\n") || text === ""
      ? text + extra
      : `${text}\n${extra}`;
  }

  #sampleBytesIn(): void {
    for (const engine of this.#engines) {
      for (const info of engine.streams()) {
        const key = info.key.toString();
        const total = info.qos.bytesIn;
        const delta = total - (this.#lastBytesIn.get(key) ?? 0);
        if (delta > 0) this.#bytesIn.inc(delta);
        this.#lastBytesIn.set(key, total);
      }
    }
  }
}

/**
 * The `GET /metrics` route for a {@linkcode PrometheusObserver}.
 *
 * @param observer the metrics to serve
 * @returns the routes
 *
 * @example Scrape without a socket
 * ```ts
 * import { metricsRoutes, PrometheusObserver } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const res = await metricsRoutes(new PrometheusObserver()).request("/metrics");
 * assert.equal(res.status, 200);
 * assert.match(await res.text(), /# TYPE arcly_streams gauge/);
 * ```
 */
export function metricsRoutes(observer: PrometheusObserver): HttpRoutes {
  const app = new Hono();
  addMetricsRoutes(app, observer);
  return app;
}

/**
 * Register `GET /metrics` on an existing Hono app.
 *
 * @param app the app to add the route to
 * @param observer the metrics to serve
 */
export function addMetricsRoutes(
  app: Hono,
  observer: PrometheusObserver,
): void {
  app.get("/metrics", async (c) => {
    const text = await observer.metrics();
    return c.body(text, 200, {
      "Content-Type": observer.contentType,
      "Cache-Control": "no-store",
    });
  });
}
