/**
 * {@linkcode RecordingIndex}: what a recording folder holds, per stream, as
 * time spans: the fragmented-MP4 files `StreamRecorder` writes
 * (`{app}/{name}-{UTC time}.mp4`, `…-1.mp4` after a configuration change),
 * each with its start (the UTC time in the name), duration and the byte
 * range and time of every fragment.
 *
 * Data path: a file is scanned box by box with `getRange` (a 16-byte header
 * per box, the `moof` bodies, never an `mdat`), so indexing reads a few
 * hundred bytes per fragment. The result is cached per file with its size;
 * a file that grew (the recording in progress) is scanned on from where the
 * last scan stopped. Memory: one small entry per fragment, for at most
 * {@linkcode MAX_INDEXED_FILES} files.
 *
 * FLV files are indexed by their tag headers (read in 256 KiB windows,
 * never a whole tag body): a "fragment" per video keyframe (audio only:
 * every 2 s) with its offset and time, in milliseconds (`originDts` is the
 * first media tag's timestamp). HLS recording folders are listed with their
 * playlist's duration and no fragments.
 *
 * @module
 */
import type { StorageBackend } from "../storage/storage_backend.ts";
import { BitstreamError } from "../stream_error.ts";
import { type FlvScan, newFlvScan, scanFlv } from "./_flv_scan.ts";
import {
  parseRecordingKey,
  type RecordingFileFormat,
} from "./recording_key.ts";
import {
  type Fmp4InitTrack,
  type Fmp4TrackRun,
  parseFmp4Fragment,
  parseFmp4Init,
} from "./fmp4_reader.ts";

/**
 * Most files whose index is cached (oldest forgotten first).
 *
 * @example
 * ```ts
 * import { MAX_INDEXED_FILES } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.ok(MAX_INDEXED_FILES >= 1000);
 * ```
 */
export const MAX_INDEXED_FILES = 4096;

/** Largest `moov` or `moof` read while indexing (a real one is a few KiB). */
const MAX_HEADER_BOX = 4 << 20;

/**
 * One fragment (`moof`+`mdat`) of an indexed file.
 *
 * @example
 * ```ts
 * import type { RecordingFragment } from "@arcly/stream/recording";
 * const f: RecordingFragment = { offset: 900, end: 50_000, startS: 0, durationS: 2 };
 * ```
 */
export interface RecordingFragment {
  /** Offset of the `moof`. */
  readonly offset: number;
  /** Offset just past its `mdat`. */
  readonly end: number;
  /** Start, seconds from the file's first fragment. */
  readonly startS: number;
  /** Duration in seconds (the main track: video, else the first). */
  readonly durationS: number;
}

/**
 * One recorded file.
 *
 * @example
 * ```ts
 * import type { RecordingFile } from "@arcly/stream/recording";
 * function end(file: RecordingFile): number {
 *   return file.startMs + file.durationS * 1000;
 * }
 * ```
 */
export interface RecordingFile {
  /** Storage key. */
  readonly key: string;
  /** `app/name`. */
  readonly stream: string;
  /** `mp4`, `flv`, or `hls` (a folder). */
  readonly format: RecordingFileFormat;
  /** Start, ms since the Unix epoch. */
  readonly startMs: number;
  /** Seconds of media indexed (0 for an HLS folder without playlist). */
  readonly durationS: number;
  /** Bytes. */
  readonly bytes: number;
  /** Last modification, ms since the Unix epoch. */
  readonly mtimeMs: number;
  /** Tracks of the init segment (fMP4). */
  readonly tracks: readonly Fmp4InitTrack[];
  /** Bytes of `ftyp`+`moov` (fMP4); FLV: the offset of the first media tag. */
  readonly initBytes: number;
  /** Fragments in order (fMP4). */
  readonly fragments: readonly RecordingFragment[];
  /** Decode time of the first fragment's main track, in its timescale. */
  readonly originDts: number;
}

interface Scan {
  size: number;
  mtimeMs: number;
  pos: number;
  tracks: Fmp4InitTrack[];
  initBytes: number;
  fragments: RecordingFragment[];
  originDts: number | null;
  endS: number;
  broken: boolean;
  flv: FlvScan | null;
  /** The scan in progress, or null. */
  busy: Promise<void> | null;
}

/**
 * The recordings of a storage backend, indexed on demand.
 *
 * @example Index one recorded file
 * ```ts
 * import { RecordingIndex, RecordingSink } from "@arcly/stream/recording";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * const key = "live/cam-2026-12-06T08-30-00-000Z.mp4";
 * const sink = new RecordingSink({ storage, key, format: "mp4" });
 * const base = { kind: "audio", codec: "aac", trackId: 0, timescale: 1000, keyframe: true } as const;
 * await sink.push({ ...base, pts: 0, dts: 0, config: true, data: new Uint8Array([0x12, 0x10]) });
 * for (let i = 0; i < 100; i++) {
 *   await sink.push({ ...base, pts: i * 23, dts: i * 23, config: false, data: new Uint8Array(4) });
 * }
 * await sink.end();
 * const [file] = await new RecordingIndex({ storage }).files("live/cam");
 * assert.equal(file?.format, "mp4");
 * assert.ok(file!.durationS > 2);
 * ```
 */
export class RecordingIndex {
  readonly #storage: StorageBackend;
  readonly #scans = new Map<string, Scan>();

  /**
   * Index the recordings of a storage backend (nothing is read until asked).
   *
   * @param options the storage recordings are in
   */
  constructor(options: { storage: StorageBackend }) {
    this.#storage = options.storage;
  }

  /** The storage read. */
  get storage(): StorageBackend {
    return this.#storage;
  }

  /**
   * Every recorded file, or those of one stream (`app/name`), by start time.
   *
   * @param stream `app/name`, or undefined for all streams
   * @returns the files (HLS folders as one entry each)
   */
  async files(stream?: string): Promise<RecordingFile[]> {
    const prefix = stream === undefined ? "" : `${stream.split("/")[0]}/`;
    const keys = await this.#storage.list(prefix);
    const out: RecordingFile[] = [];
    const seenFolders = new Set<string>();
    for (const key of keys) {
      const parsed = parseRecordingKey(key);
      if (parsed === null) continue;
      if (stream !== undefined && parsed.stream !== stream) continue;
      if (parsed.format === "hls") {
        const folder = key.slice(0, key.indexOf("/", key.indexOf("/") + 1));
        if (seenFolders.has(folder)) continue;
        seenFolders.add(folder);
        out.push(await this.#folder(folder, parsed, keys));
        continue;
      }
      const file = await this.#file(key, parsed);
      if (file !== null) out.push(file);
    }
    // Parts of one session (-1, -2 after a configuration change) follow on.
    out.sort((a, b) => a.startMs - b.startMs || a.key.localeCompare(b.key));
    const placed: RecordingFile[] = [];
    for (const file of out) {
      const part = parseRecordingKey(file.key)?.part ?? 0;
      const previous = placed.at(-1);
      if (
        part > 0 && previous !== undefined && previous.stream === file.stream
      ) {
        placed.push({
          ...file,
          startMs: previous.startMs + previous.durationS * 1000,
        });
      } else placed.push(file);
    }
    return placed;
  }

  /** Forget cached scans (after files were deleted). */
  forget(key?: string): void {
    if (key === undefined) this.#scans.clear();
    else this.#scans.delete(key);
  }

  async #folder(
    folder: string,
    parsed: NonNullable<ReturnType<typeof parseRecordingKey>>,
    keys: string[],
  ): Promise<RecordingFile> {
    let bytes = 0;
    let mtimeMs = 0;
    let durationS = 0;
    for (const key of keys) {
      if (!key.startsWith(`${folder}/`)) continue;
      const stat = await this.#storage.stat(key);
      bytes += stat?.size ?? 0;
      mtimeMs = Math.max(mtimeMs, stat?.mtimeMs ?? 0);
      if (key.endsWith(".m3u8")) {
        const text = new TextDecoder().decode(
          (await this.#storage.get(key)) ?? new Uint8Array(),
        );
        for (const m of text.matchAll(/#EXTINF:([0-9.]+)/g)) {
          durationS += Number(m[1]);
        }
      }
    }
    return {
      key: folder,
      stream: parsed.stream,
      format: "hls",
      startMs: parsed.startMs,
      durationS: Math.round(durationS * 1000) / 1000,
      bytes,
      mtimeMs,
      tracks: [],
      initBytes: 0,
      fragments: [],
      originDts: 0,
    };
  }

  async #file(
    key: string,
    parsed: NonNullable<ReturnType<typeof parseRecordingKey>>,
  ): Promise<RecordingFile | null> {
    const stat = await this.#storage.stat(key);
    if (stat === null) return null;
    let scan = this.#scans.get(key);
    if (scan === undefined || stat.size < scan.size) {
      scan = {
        size: 0,
        mtimeMs: 0,
        pos: 0,
        tracks: [],
        initBytes: 0,
        fragments: [],
        originDts: null,
        endS: 0,
        broken: false,
        flv: parsed.format === "flv" ? newFlvScan() : null,
        busy: null,
      };
      this.#scans.delete(key);
      this.#scans.set(key, scan);
      if (this.#scans.size > MAX_INDEXED_FILES) {
        this.#scans.delete(this.#scans.keys().next().value!);
      }
    }
    // One scan of a file at a time (concurrent requests wait for it).
    while (scan.busy !== null) await scan.busy;
    if (stat.size > scan.size && !scan.broken) {
      const busy = this.#update(key, parsed.format, scan, stat.size);
      scan.busy = busy.finally(() => {
        scan!.busy = null;
      });
      await scan.busy;
    }
    scan.mtimeMs = Math.max(scan.mtimeMs, stat.mtimeMs);
    return {
      key,
      stream: parsed.stream,
      format: parsed.format,
      startMs: parsed.startMs,
      durationS: Math.round(scan.endS * 1000) / 1000,
      bytes: Math.max(stat.size, scan.size),
      mtimeMs: scan.mtimeMs,
      tracks: scan.tracks,
      initBytes: scan.initBytes,
      fragments: scan.fragments.slice(),
      originDts: scan.originDts ?? 0,
    };
  }

  /** Scan a file from where the last scan stopped up to `size`. */
  async #update(
    key: string,
    format: RecordingFileFormat,
    scan: Scan,
    size: number,
  ): Promise<void> {
    if (format === "mp4") {
      try {
        await this.#scan(key, scan, size);
      } catch (error) {
        if (!(error instanceof BitstreamError)) throw error;
        scan.broken = true; // indexed up to the last good fragment
      }
    }
    if (scan.flv !== null) {
      try {
        await scanFlv(this.#storage, key, scan.flv, size);
      } catch (error) {
        if (!(error instanceof BitstreamError)) throw error;
        scan.broken = true;
      }
      const flv = scan.flv;
      scan.initBytes = flv.mediaStart;
      scan.originDts = flv.originMs;
      scan.endS = flv.originMs === null
        ? 0
        : (flv.lastMs - flv.originMs) / 1000;
      scan.fragments = flv.marks.map((m, i) => {
        const next = flv.marks[i + 1];
        return {
          offset: m.offset,
          end: next?.offset ?? flv.pos,
          startS: m.startS,
          durationS: Math.max(0, (next?.startS ?? scan.endS) - m.startS),
        };
      });
    }
    scan.size = Math.max(scan.size, size);
  }

  async #scan(key: string, scan: Scan, size: number): Promise<void> {
    while (scan.pos + 8 <= size) {
      const head = await this.#storage.getRange(key, scan.pos, scan.pos + 16);
      if (head === null || head.length < 8) return;
      const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
      let boxSize = v.getUint32(0);
      if (boxSize === 1 && head.length >= 16) {
        boxSize = v.getUint32(8) * 0x1_0000_0000 + v.getUint32(12);
      }
      const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
      if (boxSize < 8) {
        throw new BitstreamError(`Cannot index ${key}: box size ${boxSize}`, {
          byteOffset: scan.pos,
        });
      }
      if (scan.pos + boxSize > size) return; // being written
      if (type === "moov" || type === "moof") {
        if (boxSize > MAX_HEADER_BOX) {
          throw new BitstreamError(
            `Cannot index ${key}: ${type} of ${boxSize} bytes`,
            { byteOffset: scan.pos },
          );
        }
        const box = await this.#storage.getRange(
          key,
          scan.pos,
          scan.pos + boxSize,
        );
        if (box === null || box.length < boxSize) return;
        if (type === "moov") {
          scan.tracks = parseFmp4Init(box);
          scan.initBytes = scan.pos + boxSize;
        } else {
          // The fragment's mdat must be complete too.
          const mdatHead = await this.#storage.getRange(
            key,
            scan.pos + boxSize,
            scan.pos + boxSize + 8,
          );
          if (mdatHead === null || mdatHead.length < 8) return;
          const mdatSize = new DataView(mdatHead.buffer, mdatHead.byteOffset)
            .getUint32(0);
          const end = scan.pos + boxSize + mdatSize;
          if (mdatSize < 8 || end > size) return;
          this.#addFragment(
            scan,
            scan.pos,
            end,
            parseFmp4Fragment(box, scan.pos, scan.tracks, end),
          );
          scan.pos = end;
          continue;
        }
      }
      scan.pos += boxSize;
    }
  }

  #addFragment(
    scan: Scan,
    offset: number,
    end: number,
    runs: Fmp4TrackRun[],
  ): void {
    const main = mainTrack(scan.tracks);
    if (main === undefined) return;
    const run = runs.find((r) => r.trackId === main.id);
    const first = run?.samples[0];
    if (run === undefined || first === undefined) return;
    scan.originDts ??= first.dts;
    const last = run.samples.at(-1)!;
    const startS = (first.dts - scan.originDts) / main.timescale;
    const durationS = (last.dts + last.duration - first.dts) / main.timescale;
    scan.fragments.push({ offset, end, startS, durationS });
    scan.endS = Math.max(scan.endS, startS + durationS);
  }
}

/**
 * The track whose times index a file: video, else the first.
 *
 * @param tracks the init's tracks
 * @returns the main track, or undefined when there is none
 * @example
 * ```ts
 * import { mainTrack } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * const t = (id: number, handler: string) => ({ id, timescale: 1, handler,
 *   sampleEntry: new Uint8Array(0), defaultDuration: 0, defaultSize: 0, defaultFlags: 0 });
 * assert.equal(mainTrack([t(2, "soun"), t(1, "vide")])?.id, 1);
 * ```
 */
export function mainTrack(
  tracks: readonly Fmp4InitTrack[],
): Fmp4InitTrack | undefined {
  return tracks.find((t) => t.handler === "vide") ?? tracks[0];
}
