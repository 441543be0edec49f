/**
 * Options and events of {@linkcode RecordingSink}.
 *
 * @module
 */
import type { Muxer } from "../muxer.ts";
import type { StreamError } from "../stream_error.ts";
import type { StorageBackend } from "../storage/storage_backend.ts";

/**
 * `hls-ts` / `hls-fmp4`: VOD HLS under `key` as a folder. `flv` / `mp4`: one
 * file at `key` (the MP4 is fragmented: `ftyp`+`moov`, then `moof`+`mdat`s).
 *
 * @example
 * ```ts
 * import type { RecordingFormat } from "@arcly/stream/recording";
 * const format: RecordingFormat = "mp4";
 * ```
 */
export type RecordingFormat = "hls-ts" | "hls-fmp4" | "flv" | "mp4";

/**
 * What a {@linkcode RecordingSink} reports.
 *
 * @example
 * ```ts
 * import type { RecordingEvent } from "@arcly/stream/recording";
 * const event: RecordingEvent = { type: "finalized", key: "rec/cam.mp4", fragments: 3 };
 * ```
 */
export type RecordingEvent =
  /** A complete fragment (single file) or segment (HLS) is in storage. */
  | {
    readonly type: "fragment";
    readonly key: string;
    readonly bytes: number;
    readonly fragments: number;
  }
  /** A write failed. A single file stops there (it stays playable); HLS goes on. */
  | {
    readonly type: "storageError";
    readonly key: string;
    readonly error: StreamError;
  }
  /** The muxer rejected frames; they were dropped. */
  | { readonly type: "muxError"; readonly error: unknown }
  /**
   * A new configuration (an encoder restarting at another resolution or
   * codec) closed the `mp4` file `previous` (playable on its own) and
   * started `key` (`cam.mp4` → `cam-1.mp4`, `cam-2.mp4`…): one init segment
   * cannot describe both. FLV keeps the new sequence headers in-band; HLS
   * starts a new fragment set (EXT-X-DISCONTINUITY + a new EXT-X-MAP).
   */
  | {
    readonly type: "split";
    readonly key: string;
    readonly previous: string;
  }
  /** `end()` wrote the last fragment (and the VOD playlist). */
  | {
    readonly type: "finalized";
    readonly key: string;
    readonly fragments: number;
  };

/**
 * Options for {@linkcode RecordingSink}.
 *
 * @example Fragmented MP4 with 4 s fragments, fsynced
 * ```ts
 * import type { RecordingSinkOptions } from "@arcly/stream/recording";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * const options: RecordingSinkOptions = {
 *   storage: new MemoryStorage(), key: "rec/cam.mp4", format: "mp4",
 *   fragmentDurationMs: 4000, sync: true,
 * };
 * ```
 */
export interface RecordingSinkOptions {
  /** Where the recording goes. */
  storage: StorageBackend;
  /** File key (`flv`, `mp4`) or folder prefix (`hls-*`). */
  key: string;
  /** Output format. */
  format: RecordingFormat;
  /** Fragment (single file) or segment (HLS) duration. Default 2000 (file), 6000 (HLS). */
  fragmentDurationMs?: number;
  /** Override the muxer (matching the format). */
  muxer?: Muxer;
  /** fsync each write (crash safety against power loss, not only process death). */
  sync?: boolean;
  /** Called for each {@linkcode RecordingEvent}; exceptions are ignored. */
  onEvent?: (event: RecordingEvent) => void;
}
