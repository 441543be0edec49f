/**
 * {@linkcode StreamRecorder}: records every stream an engine publishes with a
 * `RecordingSink`, one file (or VOD HLS folder) per publish session, named
 * `{app}/{name}-{UTC time}.{ext}` so a republish never overwrites a recording.
 *
 * Data path: on `published` it opens a resilient subscription (replay from
 * the GOP cache's keyframe) and pipes `sub.readable` into the sink's
 * writable; the pipe is pull-based, so the kernel ring is the only queue.
 * When the stream ends the readable closes and the sink finalises the file.
 * `close()` waits for every sink to finish, which is what graceful shutdown
 * needs before the process exits.
 *
 * @module
 */
import type { Engine, StreamHandle } from "../mod.ts";
import type { StorageBackend } from "../media/storage/mod.ts";
import { type RecordingFormat, RecordingSink } from "../media/recording/mod.ts";

const EXTENSIONS: Record<RecordingFormat, string> = {
  mp4: ".mp4",
  flv: ".flv",
  "hls-ts": "",
  "hls-fmp4": "",
};

/** Options for {@linkcode StreamRecorder}. */
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

/** Records every published stream until closed. */
export class StreamRecorder implements AsyncDisposable {
  #options: StreamRecorderOptions;
  #pending = new Set<Promise<void>>();
  #unsubscribe: () => void;

  /** Start recording streams published on `engine` from now on (and those already live). */
  constructor(engine: Engine, options: StreamRecorderOptions) {
    this.#options = options;
    this.#unsubscribe = engine.events.on("published", (event) => {
      const handle = engine.getStream(event.key);
      if (handle) this.#record(handle);
    });
    for (const info of engine.streams()) {
      const handle = engine.getStream(info.key);
      if (handle) this.#record(handle);
    }
  }

  #record(handle: StreamHandle): void {
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
  }

  /** Stop recording new streams and wait for open recordings to be finalised. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await Promise.allSettled([...this.#pending]);
  }

  /** Same as {@linkcode StreamRecorder.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
