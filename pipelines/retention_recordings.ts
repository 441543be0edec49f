/**
 * {@linkcode RecordingRetention}: deletes recordings by age
 * (`--record-retention 7d`) and by total size (`--record-max-size 50GB`,
 * oldest first). Both are off by default.
 *
 * Data path: every `intervalMs` of the injected `Clock` one sweep lists the
 * recordings through a `RecordingIndex` (storage `list` + `stat`, cached
 * fragment indexes) and deletes whole files (an HLS recording: its folder).
 * A file written to within `activeMs` (the recording in progress) is never
 * deleted. Memory: the index's cache; nothing else is kept.
 *
 * @module
 */
import type { Clock } from "../src/mod.ts";
import { type RecordingFile, RecordingIndex } from "../media/recording/mod.ts";
import type { StorageBackend } from "../media/storage/mod.ts";

/**
 * Options of {@linkcode RecordingRetention}.
 *
 * @example Keep a week, at most 50 GB
 * ```ts
 * import type { RecordingRetentionOptions } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { systemClock } from "@arcly/stream";
 * const options: RecordingRetentionOptions = { storage: new MemoryStorage(), clock: systemClock,
 *   maxAgeMs: 7 * 86_400_000, maxBytes: 50e9 };
 * ```
 */
export interface RecordingRetentionOptions {
  /** The recording folder (where `StreamRecorder` writes). */
  storage: StorageBackend;
  /** A shared index (e.g. the API's), else one is made. */
  index?: RecordingIndex;
  /** The clock of the sweeps (`setTimer`). */
  clock: Clock;
  /**
   * Wall time, ms since the epoch, to compare with file times (default
   * `Date.now`; a test passes its `ManualClock`'s `now`).
   */
  now?: () => number;
  /** Delete recordings that ended more than this long ago, ms; null/absent: no age limit. */
  maxAgeMs?: number | null;
  /** Delete the oldest recordings while all of them take more bytes; null/absent: no limit. */
  maxBytes?: number | null;
  /** Time between sweeps, ms (default 60 000; the first runs at once). */
  intervalMs?: number;
  /** A file written to within this is in progress and kept, ms (default 30 000). */
  activeMs?: number;
  /** Told about each deletion. */
  onDelete?: (
    info: { key: string; reason: "age" | "size"; bytes: number },
  ) => void;
}

/**
 * Deletes recordings past their age or beyond the size budget.
 *
 * @example One sweep of a memory folder
 * ```ts
 * import { RecordingRetention } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * await storage.put("live/cam-2020-01-01T00-00-00-000Z.flv", new Uint8Array(10));
 * const clock = new ManualClock(Date.now() + 86_400_000);
 * const retention = new RecordingRetention({ storage, clock, now: () => clock.now(),
 *   maxAgeMs: 3_600_000, intervalMs: 1000 });
 * assert.deepEqual(await retention.sweep(), ["live/cam-2020-01-01T00-00-00-000Z.flv"]);
 * await retention.close();
 * ```
 */
export class RecordingRetention {
  readonly #options: RecordingRetentionOptions;
  readonly #index: RecordingIndex;
  #cancel: (() => void) | null = null;
  #running: Promise<string[]> | null = null;
  #closed = false;

  /**
   * Start sweeping (at once, then every `intervalMs`) when a limit is set.
   *
   * @param options storage, clock and limits
   */
  constructor(options: RecordingRetentionOptions) {
    this.#options = options;
    this.#index = options.index ??
      new RecordingIndex({ storage: options.storage });
    if (this.enabled) this.#schedule(0);
  }

  /** Whether any limit is set. */
  get enabled(): boolean {
    return (this.#options.maxAgeMs ?? null) !== null ||
      (this.#options.maxBytes ?? null) !== null;
  }

  /**
   * Delete what is past the limits now.
   *
   * @returns the deleted keys
   */
  sweep(): Promise<string[]> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stop sweeping; resolves once a running sweep has finished. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancel?.();
    this.#cancel = null;
    await this.#running?.catch(() => {/* reported by the sweep's caller */});
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#cancel = this.#options.clock.setTimer(ms, () => {
      this.sweep().catch(() => {/* storage trouble: next sweep retries */})
        .finally(() => this.#schedule(this.#options.intervalMs ?? 60_000));
    });
  }

  async #sweep(): Promise<string[]> {
    const o = this.#options;
    const now = (o.now ?? Date.now)();
    const activeMs = o.activeMs ?? 30_000;
    const files = await this.#index.files();
    const deleted: string[] = [];
    const keep: RecordingFile[] = [];
    for (const file of files) {
      const active = now - file.mtimeMs < activeMs;
      const endMs = Math.max(
        file.startMs + file.durationS * 1000,
        file.format === "mp4" ? 0 : file.mtimeMs,
      );
      if (
        !active && o.maxAgeMs !== undefined && o.maxAgeMs !== null &&
        now - endMs > o.maxAgeMs
      ) {
        await this.#delete(file, "age");
        deleted.push(file.key);
      } else keep.push(file);
    }
    if (o.maxBytes !== undefined && o.maxBytes !== null) {
      let total = keep.reduce((sum, f) => sum + f.bytes, 0);
      for (const file of keep) { // oldest first
        if (total <= o.maxBytes) break;
        if (now - file.mtimeMs < activeMs) continue;
        await this.#delete(file, "size");
        deleted.push(file.key);
        total -= file.bytes;
      }
    }
    return deleted;
  }

  async #delete(file: RecordingFile, reason: "age" | "size"): Promise<void> {
    const storage = this.#options.storage;
    const keys = file.format === "hls"
      ? await storage.list(`${file.key}/`)
      : [file.key];
    for (const key of keys) await storage.delete(key);
    this.#index.forget(file.key);
    try {
      this.#options.onDelete?.({ key: file.key, reason, bytes: file.bytes });
    } catch {
      // An observer fault must not stop the sweep.
    }
  }
}
