/**
 * {@linkcode Engine}: the registry of live streams and the owner of every
 * cross-cutting service (clock, event bus, authenticator, audit, health).
 *
 * Data path: a protocol calls `startPublishAuthorized(key, credentials)` and
 * gets a `StreamHandle`; it pushes frames with `publishFrame` (O(1)); players
 * call `authorizePlay` and `subscribe()`. The engine owns a single timer (from
 * its `Clock`), armed only while streams exist, whose `tick()` reaps idle
 * streams and evicts stalled subscribers. Memory is bounded by
 * `maxPublishers` × (ring capacity + GOP cache bounds) of each `AppSpec`.
 *
 * Lifecycle: `serve(handlers, signal)` runs protocol handlers; on abort (or
 * `shutdown()`), the engine stops accepting (handlers see their signal), ends
 * every stream, waits up to `shutdownDeadlineMs` for subscribers to drain,
 * evicts the rest and resolves. No global state: engines are independent.
 *
 * @module
 */
import { StreamError } from "../media/stream_error.ts";
import type { ResolvedAppSpec } from "./app_spec.ts";
import { AuditPipeline } from "./audit.ts";
import {
  allowAll,
  type AuthAction,
  type Credentials,
  type StreamAuthenticator,
} from "./auth.ts";
import {
  type Clock,
  HousekeepingTimer,
  MonotonicClock,
  systemClock,
} from "./clock.ts";
import type { MediaSource, ProtocolHandler, StreamHost } from "./contracts.ts";
import type { OnDemandProvider, StreamPipeline } from "./contracts.ts";
import { PipelineRunner } from "./_pipelines.ts";
import { OnDemandSources } from "./_on_demand.ts";
import {
  type EngineOptions,
  EngineOptionsBuilder,
  type PumpOptions,
  type ShutdownOptions,
} from "./engine_options.ts";
import { EventBus } from "./events.ts";
import { HealthRegistry } from "./health.ts";
import type { StreamHandle, StreamInfo } from "./stream_handle.ts";
import type { StreamKey } from "./stream_key.ts";
import { authorizeOrThrow } from "./_authorize.ts";
import {
  appSpecFor,
  type EngineConfig,
  resolveEngineConfig,
  toKey,
} from "./_engine_config.ts";
import {
  abortedPromise,
  drainStreams,
  pumpFrames,
  withinDeadline,
  withShutdownSignals,
} from "./_lifecycle.ts";
import { LiveStream } from "./_live_stream.ts";
import { type ClientHandle, ClientRegistry } from "./clients.ts";
import { bindClients } from "./_clients_of.ts";

/**
 * The streaming kernel.
 *
 * @example Publish, play, shut down
 * ```ts
 * import { Engine, type MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const engine = Engine.builder().application({ name: "live" }).build();
 * const stream = await engine.startPublishAuthorized("live/cam", { protocol: "rtmp" });
 * const viewer = (await engine.authorizePlay("live/cam", { protocol: "http-flv" })).subscribe();
 * const frame: MediaFrame = { kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 1000, keyframe: true, config: false, data: new Uint8Array(4) };
 * stream.publishFrame(frame);
 * assert.equal(await viewer.next(), frame);
 * const done = engine.shutdown();
 * assert.equal(await viewer.next(), null); // drained: the shutdown can finish
 * await done;
 * assert.equal(engine.streams().length, 0);
 * ```
 */
export class Engine implements AsyncDisposable, StreamHost {
  /** The event bus of this engine. */
  readonly events: EventBus = new EventBus();
  /** Health checks of this engine (an `engine` check is registered). */
  readonly health: HealthRegistry;
  /** The audit pipeline (every configured sink). */
  readonly audit: AuditPipeline;
  /** The time source: the configured clock, made monotonic ({@linkcode MonotonicClock.of}). */
  readonly clock: Clock;
  /** Every viewer and publisher connected now (the control API's clients). */
  readonly clients: ClientRegistry;
  readonly #streams = new Map<string, LiveStream>();
  readonly #auth: StreamAuthenticator;
  readonly #config: EngineConfig;
  readonly #stop = new AbortController();
  readonly #timer: HousekeepingTimer;
  readonly #pipelines: PipelineRunner;
  readonly #onDemand: OnDemandSources;
  readonly #publishers = new WeakMap<StreamHandle, ClientHandle>();
  #nextSubscriberId = 1;
  #shutdown: Promise<void> | undefined;

  /** A fluent builder (same as `new EngineBuilder()`). */
  static builder(): EngineBuilder {
    return new EngineBuilder();
  }

  /**
   * Create it.
   *
   * @param options configuration (see {@linkcode EngineOptions})
   * @throws {StreamError} `InvalidInput` on an invalid limit or a duplicate app
   */
  constructor(options: EngineOptions = {}) {
    this.clock = MonotonicClock.of(options.clock ?? systemClock);
    this.#auth = options.authenticator ?? allowAll;
    this.clients = new ClientRegistry({ clock: this.clock });
    this.#config = resolveEngineConfig(options);
    this.#timer = new HousekeepingTimer(
      this.clock,
      this.#config.tickIntervalMs,
      () => {
        this.tick();
        return this.#streams.size > 0 && this.accepting;
      },
    );
    for (const observer of options.observers ?? []) {
      this.events.observe(observer);
    }
    this.#pipelines = new PipelineRunner(this, this.events);
    this.#onDemand = new OnDemandSources({
      host: this,
      clock: this.clock,
      events: this.events,
      timeoutMs: this.#config.onDemandTimeoutMs,
      graceMs: this.#config.onDemandGraceMs,
      internalSubscribers: (stream) => this.#pipelines.runningOn(stream),
    });
    for (const pipeline of options.pipelines ?? []) this.attach(pipeline);
    for (const provider of options.onDemand ?? []) {
      this.attachOnDemand(provider);
    }
    this.audit = new AuditPipeline(
      options.auditSinks ?? [],
      (error) =>
        this.events.emit({ type: "observerError", event: "audit", error }),
    );
    this.health = new HealthRegistry(this.clock);
    this.health.register({
      name: "engine",
      check: () => ({
        status: this.accepting ? "pass" : "fail",
        detail: this.accepting
          ? `${this.#streams.size} streams`
          : "shutting down",
      }),
    });
  }

  /** False once shutdown started. */
  get accepting(): boolean {
    return !this.#stop.signal.aborted;
  }

  /** Aborted when shutdown starts (what `serve()` hands to protocol handlers). */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** The resolved spec of `app`, or undefined when the engine does not serve it. */
  application(app: string): ResolvedAppSpec | undefined {
    return appSpecFor(this.#config, app);
  }

  /**
   * Start publishing `key` without authorization (trusted callers).
   *
   * @throws {StreamError} `Closed` (shutting down), `NotFound` (unknown app),
   * `AlreadyPublishing`, `LimitExceeded` (`maxPublishers`), `InvalidInput` (bad key)
   */
  startPublish(key: StreamKey | string): StreamHandle {
    const k = toKey(key);
    const text = k.toString();
    if (!this.accepting) {
      throw new StreamError(
        "Closed",
        `Cannot publish ${text}: the engine is shutting down`,
      );
    }
    const spec = this.application(k.app);
    if (spec === undefined) {
      throw new StreamError(
        "NotFound",
        `Cannot publish ${text}: no application ${k.app}`,
      );
    }
    const existing = this.#streams.get(text);
    if (existing?.awaitingPublisher) {
      // A republish within the publisher grace period: same handle, same
      // subscriptions; no second `published` event (packagers go on).
      existing.resumePublisher();
      this.audit.record({
        type: "publishStarted",
        at: this.clock.now(),
        key: text,
      });
      return existing;
    }
    if (existing !== undefined) {
      if (spec.onDuplicatePublish === "reject") {
        throw new StreamError(
          "AlreadyPublishing",
          `Cannot publish ${text}: it already has a publisher`,
        );
      }
      existing.endNow("replaced by a new publisher");
    }
    if (this.#streams.size >= this.#config.maxPublishers) {
      throw new StreamError(
        "LimitExceeded",
        `Cannot publish ${text}: ${this.#config.maxPublishers} streams already (maxPublishers)`,
      );
    }
    const stream = new LiveStream(k, spec, {
      clock: this.clock,
      events: this.events,
      nextSubscriberId: () => this.#nextSubscriberId++,
      onEnded: (s, reason) => this.#onEnded(s, reason),
    });
    this.#streams.set(text, stream);
    bindClients(stream, this.clients);
    this.audit.record({
      type: "publishStarted",
      at: this.clock.now(),
      key: text,
    });
    this.events.emit({ type: "published", key: text });
    this.#timer.arm();
    this.#pipelines.published(stream);
    return stream;
  }

  /**
   * Authorize `publish`, then start publishing. A refusal leaves no state.
   *
   * @throws {StreamError} `Unauthorized` (an `UnauthorizedError`), plus those of `startPublish`
   */
  async startPublishAuthorized(
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<StreamHandle> {
    const k = toKey(key);
    await this.authorize("publish", k, credentials);
    const handle = this.startPublish(k);
    this.#registerPublisher(handle, credentials);
    return handle;
  }

  /** End the stream of `key` if it is live (idempotent), at once: no publisher grace. */
  endPublish(key: StreamKey | string, reason = "ended by publisher"): void {
    this.#streams.get(toKey(key).toString())?.endNow(reason);
  }

  /** The live stream of `key`. */
  getStream(key: StreamKey | string): StreamHandle | undefined {
    return this.#streams.get(toKey(key).toString());
  }

  /**
   * Start `pipeline` on every stream published from now on (and on those
   * live now); see {@linkcode StreamPipeline}.
   *
   * @param pipeline the per-stream work
   * @returns detach: no new runs (running ones drain with their streams)
   */
  attach(pipeline: StreamPipeline): () => void {
    return this.#pipelines.attach(pipeline, this.#streams.values());
  }

  /**
   * Ask `provider` for a source when a viewer asks for a key that is not
   * live; see {@linkcode OnDemandProvider}.
   *
   * @param provider the source provider (asked after those attached before)
   * @returns detach
   */
  attachOnDemand(provider: OnDemandProvider): () => void {
    return this.#onDemand.attach(provider);
  }

  /**
   * Authorize `play`, then return the live stream, or one an on-demand
   * provider starts for it (waiting up to `onDemandTimeoutMs` for its
   * first frame).
   *
   * @throws {StreamError} `Unauthorized` (checked first, so existence does not leak), `NotFound`, `Timeout`
   */
  async authorizePlay(
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<StreamHandle> {
    const k = toKey(key);
    await this.authorize("play", k, credentials);
    const stream = this.#streams.get(k.toString()) ??
      (this.accepting ? await this.#onDemand.open(k, credentials) : undefined);
    if (stream === undefined) {
      throw new StreamError("NotFound", `Cannot play ${k}: no such stream`);
    }
    return stream;
  }

  /**
   * Ask the authenticator; on refusal (or if it throws), audit and throw.
   * Protocols use it directly for resources that outlive a stream (HLS files).
   *
   * @throws {StreamError} `Unauthorized` as an `UnauthorizedError`
   */
  async authorize(
    action: AuthAction,
    key: StreamKey | string,
    credentials: Credentials,
  ): Promise<void> {
    await authorizeOrThrow(this.#auth, this.audit, this.clock, {
      action,
      key: toKey(key),
      credentials,
    });
  }

  /** Every live stream with its QoS and metadata. */
  streams(): StreamInfo[] {
    return [...this.#streams.values()].map((s) => ({
      key: s.key,
      startedAt: s.startedAt,
      subscribers: s.subscriberCount,
      qos: s.qos(),
      metadata: s.metadataSnapshot(),
    }));
  }

  /** Subscribers over every live stream. */
  get subscriberCount(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.subscriberCount;
    return n;
  }

  /** Housekeeping (called by the engine timer; tests may call it): reap idle streams, evict stalled subscribers. */
  tick(): void {
    const now = this.clock.now();
    for (const stream of [...this.#streams.values()]) {
      if (stream.awaitingPublisher) continue; // its grace timer ends it
      if (now - stream.lastFrameAt >= this.#config.idleTimeoutMs) {
        stream.end(`idle for ${Math.round(now - stream.lastFrameAt)} ms`);
      } else {
        stream.tick(now);
      }
    }
    this.#onDemand.tick(now);
  }

  /**
   * Publish every frame of `source` to `key`, then end the stream.
   *
   * @returns the number of frames published
   */
  async pumpSource(
    key: StreamKey | string,
    source: MediaSource,
    options: PumpOptions = {},
  ): Promise<number> {
    const handle = options.credentials === undefined
      ? this.startPublish(key)
      : await this.startPublishAuthorized(key, options.credentials);
    const signals = [this.#stop.signal];
    if (options.signal !== undefined) signals.push(options.signal);
    try {
      return await pumpFrames(handle, source, AbortSignal.any(signals));
    } catch (error) {
      this.events.emit({ type: "handlerError", name: source.name, error });
      throw error;
    }
  }

  /**
   * Run protocol handlers until `signal` aborts or `shutdown()` is called,
   * then shut down gracefully. Handler failures are reported as
   * `handlerError` events and do not stop the others.
   */
  async serve(
    handlers: readonly ProtocolHandler[],
    signal?: AbortSignal,
  ): Promise<void> {
    if (!this.accepting) {
      throw new StreamError("Closed", "Cannot serve: the engine is shut down");
    }
    const onAbort = (): void => void this.shutdown();
    if (signal?.aborted) onAbort(); // handlers then start with an aborted signal
    else signal?.addEventListener("abort", onAbort, { once: true });
    const runs = handlers.map((h) => this.#startHandler(h));
    try {
      await abortedPromise(this.#stop.signal);
      await this.shutdown();
      await withinDeadline(
        this.clock,
        this.#config.shutdownDeadlineMs,
        Promise.all(runs),
      );
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** `serve(handlers)` until SIGINT or SIGTERM (SIGBREAK on Windows). */
  serveUntilSignal(handlers: readonly ProtocolHandler[]): Promise<void> {
    return withShutdownSignals((signal) => this.serve(handlers, signal));
  }

  /**
   * Graceful shutdown (idempotent): stop accepting, end every stream, wait
   * up to `deadlineMs` for subscribers to drain, evict the rest.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.#shutdown ??= this.#runShutdown(
      options.deadlineMs ?? this.#config.shutdownDeadlineMs,
    );
    return this.#shutdown;
  }

  /** `shutdown()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  /** The publisher's client record: one per stream (a republish replaces it). */
  #registerPublisher(handle: StreamHandle, credentials: Credentials): void {
    this.#publishers.get(handle)?.unregister();
    const client = this.clients.registerPublisher(
      {
        kind: "publisher",
        protocol: credentials.protocol,
        stream: handle.key.toString(),
        remoteAddr: credentials.remoteAddr ?? null,
      },
      (reason) => {
        // At once (no publisher grace): the protocol closes the connection.
        if (this.getStream(handle.key) === handle) {
          this.endPublish(handle.key, reason);
        }
      },
      () => handle.qos().bytesIn,
    );
    this.#publishers.set(handle, client);
    void handle.closed.then(() => {
      client.unregister();
      if (this.#publishers.get(handle) === client) {
        this.#publishers.delete(handle);
      }
    });
  }

  async #startHandler(handler: ProtocolHandler): Promise<void> {
    try {
      await handler.serve(this, this.#stop.signal);
    } catch (error) {
      this.events.emit({ type: "handlerError", name: handler.name, error });
    }
  }

  async #runShutdown(deadlineMs: number): Promise<void> {
    const start = this.clock.now();
    this.#stop.abort(
      new StreamError("Closed", "Cannot serve: the engine is shutting down"),
    );
    await drainStreams(
      [...this.#streams.values()],
      this.clock,
      deadlineMs,
      this.events,
    );
    // Pipelines finish their output (last segment, playlist, file) within
    // what is left of the deadline; the rest are aborted.
    const left = deadlineMs - (this.clock.now() - start);
    await withinDeadline(this.clock, left, this.#pipelines.idle());
    this.#pipelines.abortAll();
    this.#timer.stop();
  }

  #onEnded(stream: LiveStream, reason: string): void {
    const text = stream.keyText;
    if (this.#streams.get(text) === stream) this.#streams.delete(text);
    this.audit.record({
      type: "publishEnded",
      at: this.clock.now(),
      key: text,
      reason,
    });
    this.events.emit({ type: "unpublished", key: text, reason });
    if (this.#streams.size === 0) this.#timer.stop();
  }
}

/**
 * Fluent configuration of an {@linkcode Engine} (the setters are those of
 * `EngineOptionsBuilder`).
 *
 * @example Configure and build
 * ```ts
 * import { Engine, ManualClock, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * await using engine = Engine.builder()
 *   .clock(clock)
 *   .maxPublishers(10)
 *   .application({ name: "live", gopCacheFrames: 300, maxSubscribers: 100 })
 *   .idleTimeout(2_000)
 *   .build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * clock.advance(3_000); // no frames: the reaper ends it
 * assert.equal(stream.ended, true);
 * ```
 */
export class EngineBuilder extends EngineOptionsBuilder {
  /**
   * Create the engine.
   *
   * @throws {StreamError} `InvalidInput` on an invalid limit or duplicate app
   */
  build(): Engine {
    return new Engine(this.options());
  }
}
