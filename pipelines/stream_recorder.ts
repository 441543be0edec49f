/**
 * {@linkcode StreamRecorder}: records every stream an engine publishes with a
 * `RecordingSink`, one file (or VOD HLS folder) per publish session, named
 * `{app}/{name}-{UTC time}.{ext}` so a republish never overwrites a recording.
 * A plain pipeline of the kernel's pipeline seam (`engine.attach(recorder)`;
 * the constructor's engine argument does it for you).
 *
 * Data path: at each publish it opens a resilient subscription (replay from
 * the GOP cache's keyframe) and pipes `sub.readable` into the sink's
 * writable; the pipe is pull-based, so the kernel ring is the only queue.
 * When the stream ends the readable closes and the sink finalises the file.
 * `close()` waits for every sink to finish, which is what graceful shutdown
 * needs before the process exits.
 *
 * @module
 */
import type { StreamHandle, StreamPipeline } from "../src/mod.ts";
import type { StorageBackend } from "../media/storage/mod.ts";
import { type RecordingFormat, RecordingSink } from "../media/recording/mod.ts";

const EXTENSIONS: Record<RecordingFormat, string> = {
  mp4: ".mp4",
  flv: ".flv",
  "hls-ts": "",
  "hls-fmp4": "",
};

/**
 * Options for {@linkcode StreamRecorder}.
 *
 * @example
 * ```ts
 * import type { StreamRecorderOptions } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * const options: StreamRecorderOptions = { storage: new MemoryStorage(), format: "flv" };
 * ```
 */
export interface StreamRecorderOptions {
  /** Where recordings go. */
  storage: StorageBackend;
  /** Container. */
  format: RecordingFormat;
  /** Wall clock for file names (default `Date.now`). */
  now?: () => number;
  /** Told about each finished or failed recording. */
  onRecording?: (
    info: { key: string; fragments: number; bytes: number; error?: unknown },
  ) => void;
}

/**
 * Records every published stream until closed.
 *
 * @example Record into memory
 * ```ts
 * import { StreamRecorder } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { Engine } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * await using engine = Engine.builder().build();
 * const storage = new MemoryStorage();
 * const recorder = new StreamRecorder(engine, { storage, format: "flv", now: () => 0 });
 * engine.startPublish("live/cam").end();
 * await recorder.close();
 * assert.equal(recorder.name, "recorder");
 * ```
 */
export class StreamRecorder implements StreamPipeline, AsyncDisposable {
  /** "recorder" (in events). */
  readonly name: string = "recorder";
  #options: StreamRecorderOptions;
  #pending = new Set<Promise<void>>();
  #detach: (() => void) | undefined;

  /**
   * Start recording streams published on `engine` from now on (and those
   * already live); without an engine, attach it yourself.
   *
   * @param engine the engine (its pipeline seam), or undefined
   * @param options storage, format, naming clock, report
   */
  constructor(
    engine: { attach(pipeline: StreamPipeline): () => void } | undefined,
    options: StreamRecorderOptions,
  ) {
    this.#options = options;
    this.#detach = engine?.attach(this);
  }

  /**
   * Record one stream until it ends (called by the engine at publish).
   *
   * @param handle the published stream
   * @returns resolves once the recording is finalised
   */
  run(handle: StreamHandle): Promise<void> {
    return this.#record(handle);
  }

  #record(handle: StreamHandle): Promise<void> {
    const stamp = new Date((this.#options.now ?? Date.now)()).toISOString()
      .replace(/[:.]/g, "-");
    const key = `${handle.key.app}/${handle.key.name}-${stamp}${
      EXTENSIONS[this.#options.format]
    }`;
    const sink = new RecordingSink({
      storage: this.#options.storage,
      key,
      format: this.#options.format,
    });
    const sub = handle.subscribeResilient();
    const done = sub.readable.pipeTo(sink.writable).then(
      () =>
        this.#options.onRecording?.({
          key,
          fragments: sink.fragments,
          bytes: sink.bytesWritten,
        }),
      (error) =>
        this.#options.onRecording?.({
          key,
          fragments: sink.fragments,
          bytes: sink.bytesWritten,
          error,
        }),
    ).finally(() => this.#pending.delete(done));
    this.#pending.add(done);
    return done;
  }

  /** Stop recording new streams and wait for open recordings to be finalised. */
  async close(): Promise<void> {
    this.#detach?.();
    await Promise.allSettled([...this.#pending]);
  }

  /** Same as {@linkcode StreamRecorder.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
