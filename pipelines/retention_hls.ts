/**
 * {@linkcode HlsRetention}: deletes the live HLS folder (`{app}/{name}/`) of
 * a stream that is no longer live some time after its last write (default
 * 5 minutes, `--hls-retention`), and makes the packager forget the ended
 * playlist so it is not served from memory either. The first sweep runs at
 * construction, so folders an earlier run left behind are cleaned at
 * start-up (those older than the retention at once, younger ones when their
 * time comes).
 *
 * Data path: every `intervalMs` of the injected `Clock`, one storage `list`
 * and a `stat` of each folder's playlists (`*.m3u8`, rewritten with every
 * segment while live, so their newest modification time is the folder's
 * last write); a folder past the retention whose stream is not live here is
 * deleted key by key. A folder another process still writes to (a shared
 * `--hls-dir`) stays fresh and is kept. Only folders that look like HLS
 * output are touched: a playlist, and nothing but HLS files (`.m3u8`,
 * `.m4s`, `.mp4`, `.ts`, `.aac`, `.m4a`, `.vtt`) directly inside, so a
 * mistaken `--hls-dir` never loses other files. Memory: nothing between
 * sweeps.
 *
 * @module
 */
import type { Clock } from "../src/mod.ts";
import type { StorageBackend } from "../media/storage/mod.ts";
import { parseRecordingKey } from "../media/recording/mod.ts";

/** The files an HLS folder holds. */
const HLS_FILE = /\.(?:m3u8|m4s|mp4|ts|aac|m4a|vtt)$/;

/**
 * Options of {@linkcode HlsRetention}.
 *
 * @example
 * ```ts
 * import type { HlsRetentionOptions } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { systemClock } from "@arcly/stream";
 * const options: HlsRetentionOptions = { storage: new MemoryStorage(), clock: systemClock,
 *   retentionMs: 300_000, isLive: () => false };
 * ```
 */
export interface HlsRetentionOptions {
  /** The live HLS folder (`--hls-dir`). */
  storage: StorageBackend;
  /** The clock of the sweeps (`setTimer`). */
  clock: Clock;
  /**
   * Wall time, ms since the epoch, to compare with storage modification
   * times (default `Date.now`; a test passes its `ManualClock`'s `now`).
   */
  now?: () => number;
  /** Time after a folder's last write before it is deleted, ms (default 300 000). */
  retentionMs?: number;
  /** Whether `app/name` is live here (its folder is kept whatever its age). */
  isLive: (key: string) => boolean;
  /** Called before a folder is deleted (e.g. `HlsPackaging.forget`). */
  forget?: (key: string) => void;
  /** Time between sweeps, ms (default a fifth of the retention, 1 s to 60 s). */
  intervalMs?: number;
  /** Told about each deleted folder. */
  onDelete?: (info: { key: string; files: number }) => void;
}

/**
 * Deletes ended streams' live HLS folders after the retention.
 *
 * @example Clean an old folder at start
 * ```ts
 * import { HlsRetention } from "@arcly/stream/pipelines";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import { ManualClock } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock(1_000_000);
 * const storage = new MemoryStorage({ now: () => clock.now() });
 * await storage.put("live/cam/index.m3u8", new Uint8Array(1));
 * clock.advance(600_000);
 * const retention = new HlsRetention({ storage, clock, now: () => clock.now(), isLive: () => false });
 * assert.deepEqual(await retention.sweep(), ["live/cam"]);
 * assert.deepEqual(await storage.list(""), []);
 * await retention.close();
 * ```
 */
export class HlsRetention {
  readonly #options: HlsRetentionOptions;
  #cancel: (() => void) | null = null;
  #running: Promise<string[]> | null = null;
  #closed = false;

  /**
   * Sweep at once, then every `intervalMs`.
   *
   * @param options storage, clock, retention, liveness
   */
  constructor(options: HlsRetentionOptions) {
    this.#options = options;
    this.#schedule(0);
  }

  /** Time after a folder's last write before it is deleted, ms. */
  get retentionMs(): number {
    return this.#options.retentionMs ?? 300_000;
  }

  /**
   * Delete the folders past the retention now.
   *
   * @returns the deleted folders (`app/name`)
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
    const interval = this.#options.intervalMs ??
      Math.min(60_000, Math.max(1000, Math.round(this.retentionMs / 5)));
    this.#cancel = this.#options.clock.setTimer(ms, () => {
      this.sweep().catch(() => {/* storage trouble: next sweep retries */})
        .finally(() => this.#schedule(interval));
    });
  }

  async #sweep(): Promise<string[]> {
    const { storage, isLive } = this.#options;
    const now = (this.#options.now ?? Date.now)();
    const folders = new Map<string, string[]>();
    const foreign = new Set<string>();
    for (const key of await storage.list("")) {
      const parts = key.split("/");
      if (parts.length < 3) continue; // not {app}/{name}/{file}
      const folder = `${parts[0]}/${parts[1]}`;
      // Not HLS output, or an HLS *recording* (`{name}-{UTC time}/`) in a
      // folder shared with --record: never touched.
      if (
        parts.length > 3 || !HLS_FILE.test(key) ||
        parseRecordingKey(key)?.format === "hls"
      ) foreign.add(folder);
      const list = folders.get(folder);
      if (list === undefined) folders.set(folder, [key]);
      else list.push(key);
    }
    const deleted: string[] = [];
    for (const [folder, keys] of folders) {
      if (isLive(folder) || foreign.has(folder)) continue;
      let last = 0;
      const playlists = keys.filter((k) => k.endsWith(".m3u8"));
      if (playlists.length === 0) continue; // not an HLS folder
      for (const key of playlists) {
        last = Math.max(last, (await storage.stat(key))?.mtimeMs ?? 0);
      }
      if (now - last < this.retentionMs) continue;
      try {
        this.#options.forget?.(folder);
      } catch {
        // The packager's fault must not keep the files.
      }
      for (const key of keys) await storage.delete(key);
      deleted.push(folder);
      try {
        this.#options.onDelete?.({ key: folder, files: keys.length });
      } catch {
        // An observer fault must not stop the sweep.
      }
    }
    return deleted;
  }
}
