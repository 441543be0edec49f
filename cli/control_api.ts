/**
 * What the origin hands the control API (`/api/v1`) and the metrics: the
 * listener URLs once bound (`server.endpoints`), open connections over
 * every listener, the client cap, and the protocol servers that report
 * their own metrics (`collectMetrics`).
 *
 * @module
 */
import type {
  ApiV1Endpoints,
  ApiV1Options,
  PrometheusObserver,
} from "../protocols/http/mod.ts";
import type { Engine, MetricsCollector } from "../mod.ts";

/** A listener the figures are read from (every handler has some of these). */
interface Listener {
  readonly connectionCount?: number;
  readonly refusedConnections?: number;
  collectMetrics?: MetricsCollector["collectMetrics"];
}

/** Listener URLs, filled as listeners bind. */
export class ControlApiWiring {
  /** The URLs `GET /api/v1/server` reports (null: off or not bound). */
  readonly endpoints: ApiV1Endpoints = {
    http: null,
    rtmp: null,
    rtmps: null,
    srt: null,
    rtsp: null,
    rtsps: null,
    webrtc: false,
  };
  #listeners: Listener[] = [];
  #limit: number;
  #metrics: PrometheusObserver;
  #engine: Engine;

  /**
   * @param engine its client registry is capped at `maxConnections` per listener
   * @param metrics refusals, and where collectors go
   * @param maxConnections the per-listener connection limit
   * @param segmentMs the HLS target duration (HLS sessions last three)
   */
  constructor(
    engine: Engine,
    metrics: PrometheusObserver,
    maxConnections: number,
    segmentMs: number,
  ) {
    this.#limit = maxConnections;
    this.#metrics = metrics;
    this.#engine = engine;
    engine.clients.hlsWindowMs = 3 * segmentMs;
  }

  /**
   * Count a started listener: its connections, its metrics collector.
   *
   * @param listeners the handlers (null: off)
   */
  add(...listeners: (object | null | undefined)[]): void {
    for (const given of listeners) {
      if (given === null || given === undefined) continue;
      const listener = given as Listener;
      this.#listeners.push(listener);
      if (typeof listener.collectMetrics === "function") {
        const collect = listener.collectMetrics.bind(listener);
        this.#metrics.addCollector({ collectMetrics: collect });
      }
    }
    // One client per connection at most, over every listener.
    this.#engine.clients.limit = Math.max(
      1,
      this.#limit * Math.max(1, this.#listeners.length),
    );
  }

  /** The `api` option of the HTTP app (endpoints, connections). */
  apiOptions(): Omit<ApiV1Options, "apiToken"> {
    return {
      endpoints: () => this.endpoints,
      connections: () => {
        let current = 0;
        for (const l of this.#listeners) current += l.connectionCount ?? 0;
        return {
          current,
          limit: this.#limit * Math.max(1, this.#listeners.length),
          refused: this.#metrics.refusedConnections,
        };
      },
    };
  }
}
