/**
 * The pipeline seam: per-stream work the engine starts when a stream is
 * published and drains when it ends or the engine shuts down
 * (`StreamPipeline`, declared in `contracts.ts`: HLS packaging, recording,
 * a transcoder that publishes derived streams), and streams started when a
 * viewer asks for a key the engine does not have (`OnDemandProvider`: edge
 * relay pull, camera pull, an on-demand rendition). This module adds the
 * derived-stream helper {@linkcode transcoderPipeline}.
 *
 * Data path: `Engine.attach(pipeline)` (or `EngineOptions.pipelines`); on
 * every publish the engine calls `pipeline.run(stream, context)`
 * synchronously, so a subscription the pipeline takes before its first
 * `await` sees the stream from its first frame; the pipeline reads the
 * stream like any viewer (the kernel ring is its only queue, a pipeline
 * that falls behind is resynced) and resolves once it has drained after the
 * stream ended. On shutdown the engine waits for running pipelines up to
 * its deadline, then aborts `context.signal`.
 *
 * Derived streams are named `{app}/{name}~{variant}` (`StreamKey.derive`):
 * `live/cam~720p`, `live/cam~opus`. A pipeline publishing derived streams
 * skips derived inputs (see {@linkcode transcoderPipeline}).
 *
 * @module
 */
import type { MediaFrame } from "../media/frame.ts";
import type { StreamPipeline, Transcoder } from "./contracts.ts";
import type { StreamKey } from "./stream_key.ts";

/**
 * Options of {@linkcode transcoderPipeline}.
 *
 * @example
 * ```ts
 * import type { TranscoderPipelineOptions } from "@arcly/stream";
 * const options: TranscoderPipelineOptions = { variant: "720p" };
 * ```
 */
export interface TranscoderPipelineOptions {
  /** The variant of the derived key (`live/cam` → `live/cam~{variant}`). */
  variant: string;
  /** Which input streams to transcode (default: every stream that is not derived). */
  accepts?: (key: StreamKey) => boolean;
}

/**
 * A pipeline publishing the output of a {@linkcode Transcoder} as the
 * derived stream `{app}/{name}~{variant}` of every (non-derived) stream; the
 * derived stream ends when its input ends.
 *
 * @param transcoder the frame transform
 * @param options the variant and the input filter
 * @returns the pipeline, for `Engine.attach`
 *
 * @example Publish `live/cam~copy`
 * ```ts
 * import { Engine, transcoderPipeline } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * engine.attach(transcoderPipeline({ name: "copy", transform: (input) => input }, { variant: "copy" }));
 * engine.startPublish("live/cam");
 * assert.ok(engine.getStream("live/cam~copy"));
 * ```
 */
export function transcoderPipeline(
  transcoder: Transcoder,
  options: TranscoderPipelineOptions,
): StreamPipeline {
  return {
    name: transcoder.name,
    accepts: options.accepts ?? ((key) => key.variant === undefined),
    async run(stream, context) {
      const sub = stream.subscribeResilient();
      const out = context.host.startPublish(stream.key.derive(options.variant));
      const output = transcoder.transform(sub.readable, context.signal);
      try {
        await output.pipeTo(
          new WritableStream<MediaFrame>({
            write: (frame) => {
              out.publishFrame(frame);
            },
          }),
          { signal: context.signal },
        );
      } finally {
        sub.close("transcoder ended");
        out.end(`input ${stream.key} ended`);
      }
    },
  };
}
