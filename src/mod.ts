/**
 * The arcly-stream kernel: {@linkcode Engine}, stream keys, the broadcaster
 * (`StreamHandle` / `Subscription`), GOP cache, QoS, events and contracts.
 *
 * Data path: protocol ingest → `StreamHandle.publishFrame(frame)` stores one
 * reference in a bounded ring (O(1), no copy) → every `Subscription` reads
 * the same frame objects through its own cursor (`takeAll()` batches,
 * `next()`, async iteration or `readable.pipeTo(sink)`). Memory per stream is
 * bounded by the ring capacity and the GOP cache limits of its `AppSpec`;
 * subscribers hold only a cursor.
 *
 * @example Tour: publish, late join with GOP replay, lag-resilient read
 * ```ts
 * import { Engine, ManualClock, type MediaFrame, StreamKey } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * await using engine = Engine.builder()
 *   .clock(clock)
 *   .application({ name: "live", ringCapacity: 64, maxLagFrames: 32 })
 *   .build();
 * const stream = engine.startPublish(StreamKey.parse("live/cam"));
 * const frame = (dts: number, keyframe: boolean, config = false): MediaFrame => ({
 *   kind: "video", codec: "h264", trackId: 0, pts: dts, dts, timescale: 1000,
 *   keyframe, config, data: new Uint8Array(16),
 * });
 * const config = frame(0, true, true);
 * stream.publishFrame(config);
 * stream.publishFrame(frame(0, true));
 * stream.publishFrame(frame(40, false));
 *
 * // A late joiner gets the config, then the GOP from its keyframe.
 * using late = stream.subscribe();
 * const replay = late.takeAll();
 * assert.equal(replay[0], config);
 * assert.equal(replay[1]?.keyframe, true);
 * assert.equal(replay.length, 3);
 *
 * // A resilient reader that falls behind resumes at the newest keyframe.
 * using slow = stream.subscribeResilient({ replay: false });
 * for (let i = 0; i < 40; i++) stream.publishFrame(frame(80 + i * 40, i === 30));
 * const batch = slow.takeAll();
 * assert.equal(batch[0]?.keyframe, true);
 * assert.equal(slow.resyncs, 1);
 * ```
 *
 * @module
 */
export * from "./app_spec.ts";
export * from "./audit.ts";
export * from "./auth.ts";
export * from "./byte_slab.ts";
export * from "./clock.ts";
export * from "./clients.ts";
export * from "./contracts.ts";
export * from "./egress.ts";
export * from "./egress_cache.ts";
export * from "./engine.ts";
export * from "./engine_options.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./gop_cache.ts";
export * from "./pipeline.ts";
export * from "./health.ts";
export * from "./metadata.ts";
export * from "./qos.ts";
export * from "./stream_handle.ts";
export * from "./stream_key.ts";
export * from "./subscription.ts";
export * from "./signed_url_authenticator.ts";
export * from "./token_authenticator.ts";
export * from "./webhook_authenticator.ts";
export * from "./rate_limiter.ts";
export * from "./connection_gate.ts";
