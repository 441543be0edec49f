/**
 * Extension points, as small consumer-side interfaces (no singletons, each
 * implemented by the caller): {@linkcode ProtocolHandler} and the narrow
 * {@linkcode StreamHost} it is served with ({@linkcode PublishRegistry},
 * {@linkcode PlaybackRegistry} and the engine's services; `Engine`
 * implements it, a test may fake it), {@linkcode HttpRouteProvider},
 * {@linkcode MediaSource}, {@linkcode MediaSink}, {@linkcode Transcoder},
 * {@linkcode ClusterRelay}; and the `Muxer` type re-exported from media.
 *
 * `StorageBackend` is defined by the storage module (`@arcly/stream/storage`).
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { AuditPipeline } from "./audit.ts";
import type { AuthAction, Credentials } from "./auth.ts";
import type { Clock } from "./clock.ts";
import type { ClientRegistry } from "./clients.ts";
import type { EventBus } from "./events.ts";
import type { HealthRegistry } from "./health.ts";
import type { StreamHandle, StreamInfo } from "./stream_handle.ts";
import type { StreamKey } from "./stream_key.ts";

export type { Muxer, MuxOptions } from "../media/muxer.ts";

/**
 * A protocol server run by `Engine.serve()`. `serve` starts listening,
 * returns (resolves) only after `signal` aborted and its connections closed.
 * It sees the engine only through {@linkcode StreamHost}, so it can be
 * tested against a fake host.
 *
 * @example A handler that only waits for shutdown
 * ```ts
 * import { Engine, type ProtocolHandler } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const idle: ProtocolHandler = {
 *   name: "idle",
 *   serve: (_host, signal) =>
 *     new Promise((resolve) => {
 *       if (signal.aborted) resolve();
 *       else signal.addEventListener("abort", () => resolve(), { once: true });
 *     }),
 * };
 * const engine = Engine.builder().build();
 * const controller = new AbortController();
 * const served = engine.serve([idle], controller.signal);
 * controller.abort();
 * await served;
 * assert.equal(engine.accepting, false);
 * ```
 */
export interface ProtocolHandler {
  /** Name used in events ("rtmp", "http"). */
  readonly name: string;
  /** Run until `signal` aborts; stop accepting then, close connections, resolve. */
  serve(host: StreamHost, signal: AbortSignal): Promise<void>;
}

/**
 * What ingest protocols need from the engine (implemented by `Engine`).
 *
 * @example Code an ingest against the narrow contract
 * ```ts
 * import { Engine, type PublishRegistry, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * async function ingest(registry: PublishRegistry): Promise<number> {
 *   const handle = await registry.startPublishAuthorized(StreamKey.parse("live/a"), { protocol: "test" });
 *   registry.endPublish(handle.key);
 *   return handle.subscriberCount;
 * }
 * await using engine = Engine.builder().build();
 * assert.equal(await ingest(engine), 0);
 * ```
 */
export interface PublishRegistry {
  /** Authorize then start publishing. */
  startPublishAuthorized(
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<StreamHandle>;
  /** End the stream of `key`, if live. */
  endPublish(key: StreamKey | string, reason?: string): void;
  /** The live stream of `key`. */
  getStream(key: StreamKey | string): StreamHandle | undefined;
}

/**
 * What egress protocols need from the engine (implemented by `Engine`).
 *
 * @example Code a player against the narrow contract
 * ```ts
 * import { Engine, type PlaybackRegistry, StreamError, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * async function play(registry: PlaybackRegistry, key: string): Promise<string> {
 *   try {
 *     const handle = await registry.authorizePlay(key, { protocol: "http-flv" });
 *     return handle.key.toString();
 *   } catch (e) {
 *     return e instanceof StreamError ? e.code : "?";
 *   }
 * }
 * await using engine = Engine.builder().build();
 * assert.equal(await play(engine, "live/none"), "NotFound");
 * ```
 */
export interface PlaybackRegistry {
  /** Authorize then return the live stream (throws `Unauthorized`, `NotFound`). */
  authorizePlay(
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<StreamHandle>;
  /** The live stream of `key`. */
  getStream(key: StreamKey | string): StreamHandle | undefined;
  /** Every live stream. */
  streams(): StreamInfo[];
}

/**
 * What a protocol handler (and a pipeline) sees of the engine: the publish
 * and playback registries plus the engine's clock, events, audit, health
 * and shutdown signal. `Engine` implements it; a protocol written against
 * it can be tested with a fake host.
 *
 * @example A protocol tested against the real engine through the contract
 * ```ts
 * import { Engine, type StreamHost } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * function describe(host: StreamHost): string {
 *   return `${host.streams().length} streams, accepting: ${host.accepting}`;
 * }
 * await using engine = Engine.builder().build();
 * assert.equal(describe(engine), "0 streams, accepting: true");
 * ```
 */
export interface StreamHost extends PublishRegistry, PlaybackRegistry {
  /** The engine's time source (every timer of a protocol comes from it). */
  readonly clock: Clock;
  /** Where `handlerError`, `decodeError`, … are emitted. */
  readonly events: EventBus;
  /** Security-relevant records (`clientDropped`, …). */
  readonly audit: AuditPipeline;
  /** Health checks (a protocol may register its own). */
  readonly health: HealthRegistry;
  /** Aborted when shutdown starts. */
  readonly signal: AbortSignal;
  /** False once shutdown started. */
  readonly accepting: boolean;
  /**
   * Ask the authenticator (for resources that outlive a stream, such as HLS
   * files); on refusal, audit and throw `Unauthorized`.
   */
  authorize(
    action: AuthAction,
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<void>;
  /**
   * Every viewer and publisher connected now (the control API's clients;
   * `Engine` has one). Protocols register their connections here.
   */
  readonly clients?: ClientRegistry;
  /** Start publishing without authorization (trusted callers: pipelines, sources). */
  startPublish(key: StreamKey | string): StreamHandle;
  /**
   * Start a per-stream pipeline on every publish (the pipeline seam).
   *
   * @returns detach
   */
  attach(pipeline: StreamPipeline): () => void;
  /**
   * Add a provider of streams started when a viewer asks for a missing key.
   *
   * @returns detach
   */
  attachOnDemand(provider: OnDemandProvider): () => void;
}

/**
 * Extra HTTP routes mounted into the HTTP egress app (WHIP/WHEP,
 * thumbnails, an operator API) by a module that must not import
 * `protocols/http`. Providers are consulted in order before the built-in
 * routes and CORS handling; a provider answers `null` for any request that
 * is not its own, and handles its own CORS and `OPTIONS`.
 *
 * @example A provider answering one path
 * ```ts
 * import type { HttpRouteProvider } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const hello: HttpRouteProvider = {
 *   name: "hello",
 *   fetch: (request) =>
 *     new URL(request.url).pathname === "/hello" ? new Response("hi") : null,
 * };
 * assert.equal(hello.fetch(new Request("http://x/other"), {}), null);
 * ```
 */
export interface HttpRouteProvider {
  /** Name used in events. */
  readonly name: string;
  /**
   * Answer `request`, or return `null` (not mine: the next provider, then
   * the built-in routes, get it).
   */
  fetch(
    request: Request,
    info: { remoteAddr?: string },
  ): Promise<Response | null> | Response | null;
}

/**
 * What a pipeline run gets besides its stream.
 *
 * @example
 * ```ts
 * import type { PipelineContext } from "@arcly/stream";
 * const stop = (context: PipelineContext) => context.signal.aborted;
 * ```
 */
export interface PipelineContext {
  /** The engine (publish derived streams, clock, events). */
  readonly host: StreamHost;
  /** Aborted when the run must stop now (shutdown deadline passed). */
  readonly signal: AbortSignal;
}

/**
 * Per-stream work started by the engine on every publish (see the module doc).
 *
 * @example Count the frames of every stream
 * ```ts
 * import { Engine, type StreamPipeline } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const counts = new Map<string, number>();
 * const counter: StreamPipeline = {
 *   name: "counter",
 *   async run(stream) {
 *     using sub = stream.subscribe();
 *     let n = 0;
 *     for await (const _ of sub) n++;
 *     counts.set(stream.key.toString(), n);
 *   },
 * };
 * const engine = Engine.builder().build();
 * engine.attach(counter);
 * const stream = engine.startPublish("live/cam");
 * stream.publishFrame({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(1) });
 * await engine.shutdown(); // drains the pipeline
 * assert.equal(counts.get("live/cam"), 1);
 * ```
 */
export interface StreamPipeline {
  /** Name used in events. */
  readonly name: string;
  /** Which streams to run for (default: every stream). */
  accepts?(key: StreamKey): boolean;
  /**
   * Run for one published stream; called synchronously at publish.
   * Resolve once drained (after the stream ended); a rejection is reported
   * as a `handlerError` event.
   */
  run(stream: StreamHandle, context: PipelineContext): Promise<void> | void;
}

/**
 * Starts a stream when a viewer asks for a key the engine does not have
 * (`authorizePlay`, the path of every protocol's play): the engine asks each
 * provider in order, publishes the first source offered under the key,
 * waits (up to `onDemandTimeoutMs`) for its first frame, and ends it once
 * no viewer watched it for `onDemandGraceMs`.
 *
 * @example Serve `pull/*` from a generator
 * ```ts
 * import type { MediaFrame, OnDemandProvider } from "@arcly/stream";
 * const provider: OnDemandProvider = {
 *   name: "pull",
 *   sourceFor: (key) =>
 *     key.app !== "pull" ? null : {
 *       name: `pull ${key}`,
 *       frames: async function* (signal: AbortSignal): AsyncGenerator<MediaFrame> {
 *         // connect upstream, yield frames until signal aborts
 *       },
 *     },
 * };
 * ```
 */
export interface OnDemandProvider {
  /** Name used in events. */
  readonly name: string;
  /**
   * A source publishing `key`, or null when this provider does not serve
   * it (the next provider is asked).
   */
  sourceFor(
    key: StreamKey,
    credentials: Credentials,
  ): MediaSource | null | Promise<MediaSource | null>;
}

/**
 * A frame producer pumped into a stream by `Engine.pumpSource()` (file
 * reader, relay pull, test generator).
 *
 * @example An in-memory source
 * ```ts
 * import type { MediaFrame, MediaSource } from "@arcly/stream";
 * function fromArray(name: string, frames: MediaFrame[]): MediaSource {
 *   return { name, frames: () => frames[Symbol.iterator]() as unknown as AsyncIterable<MediaFrame> };
 * }
 * ```
 */
export interface MediaSource {
  /** Name used in events. */
  readonly name: string;
  /** The frames, in decode order; stop early when `signal` aborts. */
  frames(signal: AbortSignal): AsyncIterable<MediaFrame> | Iterable<MediaFrame>;
}

/**
 * A frame consumer: any `WritableStream<MediaFrame>` (HLS segmenter,
 * recorder). Wire it with `subscription.readable.pipeTo(sink)`.
 *
 * @example Count frames
 * ```ts
 * import type { MediaSink } from "@arcly/stream";
 * let n = 0;
 * const sink: MediaSink = new WritableStream({ write() { n++; } });
 * ```
 */
export type MediaSink = WritableStream<MediaFrame>;

/**
 * Extension point: turns one stream's frames into another's (re-encode,
 * transmux, filter). Not implemented by the library.
 *
 * @example A pass-through
 * ```ts
 * import type { Transcoder } from "@arcly/stream";
 * const identity: Transcoder = { name: "identity", transform: (input) => input };
 * ```
 */
export interface Transcoder {
  /** Name used in events. */
  readonly name: string;
  /** Map an input frame stream to an output frame stream. */
  transform(
    input: ReadableStream<MediaFrame>,
    signal: AbortSignal,
  ): ReadableStream<MediaFrame>;
}

/**
 * Extension point: announces local streams to a cluster and locates remote
 * ones (origin/edge relaying). Not implemented by the library.
 *
 * @example An in-memory directory
 * ```ts
 * import type { ClusterRelay, StreamKey } from "@arcly/stream";
 * const where = new Map<string, string>();
 * const relay: ClusterRelay = {
 *   announce: (key: StreamKey, origin: string) => { where.set(key.toString(), origin); return Promise.resolve(); },
 *   withdraw: (key: StreamKey) => { where.delete(key.toString()); return Promise.resolve(); },
 *   locate: (key: StreamKey) => Promise.resolve(where.get(key.toString()) ?? null),
 * };
 * ```
 */
export interface ClusterRelay {
  /** Tell the cluster that `origin` serves `key`. */
  announce(key: StreamKey, origin: string): Promise<void>;
  /** Remove the announcement. */
  withdraw(key: StreamKey): Promise<void>;
  /** The origin URL serving `key`, or null. */
  locate(key: StreamKey): Promise<string | null>;
}

/**
 * One Prometheus sample from a {@linkcode MetricsCollector}: the family
 * `name` (prefixed `arcly_`), its help text and type, the value and labels.
 *
 * @example
 * ```ts
 * import type { MetricSample } from "@arcly/stream";
 * const sample: MetricSample = { name: "arcly_srt_sessions", help: "SRT sessions", type: "gauge", value: 2 };
 * ```
 */
export interface MetricSample {
  /** Family name, `arcly_…` (counters end in `_total`). */
  name: string;
  /** One line of help. */
  help: string;
  /** Counter (only rises) or gauge. */
  type: "counter" | "gauge";
  /** The value now. */
  value: number;
  /** Labels of this sample (keep their values few). */
  labels?: Readonly<Record<string, string>>;
}

/**
 * Something that reports its own metrics at scrape time (a protocol
 * server: SRT, RTSP, WebRTC). Implement it structurally; the Prometheus
 * observer reads every collector it is given on each scrape.
 *
 * @example A collector of one gauge
 * ```ts
 * import type { MetricsCollector } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * let sessions = 3;
 * const collector: MetricsCollector = {
 *   collectMetrics: () => [{ name: "arcly_srt_sessions", help: "SRT sessions", type: "gauge", value: sessions }],
 * };
 * assert.equal(collector.collectMetrics()[0]!.value, 3);
 * ```
 */
export interface MetricsCollector {
  /** The samples now (called on every scrape; keep it cheap). */
  collectMetrics(): readonly MetricSample[];
}
