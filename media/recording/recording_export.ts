/**
 * A time range of a stream's recordings as one MP4
 * ({@linkcode exportRecordingRange}) or as a VOD playlist
 * ({@linkcode recordingPlaylist}).
 *
 * Data path of the MP4: the first file's `ftyp`+`moov` is sent as is; then
 * one source fragment at a time is read from storage (`getRange` of one
 * `moof`+`mdat`), its samples outside the range dropped and their decode
 * times moved onto one continuous timeline, and written as a new
 * `moof`+`mdat` (each payload copied once). The output starts at the
 * keyframe at or before the range's start and ends before its end; files
 * follow each other without the gap between them. Memory: one source and
 * one output fragment (a fragment larger than
 * {@linkcode MAX_EXPORT_FRAGMENT_BYTES} ends the export). Files whose
 * decoder setup differs from the first (an encoder restarted at another
 * resolution) cannot share its `moov`: the export stops before them and
 * says so in {@linkcode RecordingExport.truncated}.
 *
 * FLV recordings take another path to the same result: each file's
 * sequence headers configure an `Fmp4Muxer`, the file is read in 256 KiB
 * windows from the keyframe at or before the start, demuxed by `FlvReader`,
 * re-timed, and muxed one GOP (at least 2 s) per fragment; memory is one
 * window and one GOP.
 *
 * The playlist (`recordingPlaylist`, `recording_playlist.ts`) lists the
 * fMP4 files' fragments as byte ranges (`EXT-X-MAP` for
 * the init segment, `EXT-X-DISCONTINUITY` between files), so players fetch
 * the recorded bytes directly.
 *
 * @module
 */
import { BitstreamError, StreamError } from "../stream_error.ts";
import {
  type Fmp4InitTrack,
  type Fmp4Sample,
  isSyncSample,
  parseFmp4Fragment,
} from "./fmp4_reader.ts";
import {
  type Fmp4FragmentTrack,
  writeFmp4Fragment,
} from "./fmp4_fragment_writer.ts";
import {
  mainTrack,
  type RecordingFile,
  type RecordingFragment,
} from "./recording_index.ts";
import type { StorageBackend } from "../storage/storage_backend.ts";
import { flvConfigs, flvExportBody, sameConfigs } from "./_flv_export.ts";

/**
 * Largest source fragment an export reads (bounds its memory).
 *
 * @example
 * ```ts
 * import { MAX_EXPORT_FRAGMENT_BYTES } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.equal(MAX_EXPORT_FRAGMENT_BYTES, 256 << 20);
 * ```
 */
export const MAX_EXPORT_FRAGMENT_BYTES = 256 << 20;

/**
 * A planned export: what it covers, and the bytes on demand.
 *
 * @example
 * ```ts
 * import type { RecordingExport } from "@arcly/stream/recording";
 * function seconds(e: RecordingExport): number { return e.durationS; }
 * ```
 */
export interface RecordingExport {
  /** The files used. */
  readonly files: readonly RecordingFile[];
  /** UTC start of the first sample sent (the keyframe at or before the asked start), ms. */
  readonly startMs: number;
  /** Seconds of media, about (fragment granularity is not involved: samples are cut). */
  readonly durationS: number;
  /** Why files in the range were left out, or null. */
  readonly truncated: string | null;
  /** The MP4 bytes, one fragment per chunk; pull-based. */
  readonly body: ReadableStream<Uint8Array>;
}

function sameSetup(a: RecordingFile, b: RecordingFile): boolean {
  if (a.tracks.length !== b.tracks.length) return false;
  return a.tracks.every((t, i) => {
    const u = b.tracks[i]!;
    return t.id === u.id && t.timescale === u.timescale &&
      t.handler === u.handler && equalBytes(t.sampleEntry, u.sampleEntry);
  });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function endMsOf(file: RecordingFile): number {
  return file.startMs + file.durationS * 1000;
}

/**
 * The fMP4 and FLV files of `files` overlapping `[startMs, endMs)`, in order.
 *
 * @param files a stream's files (from `RecordingIndex.files`)
 * @param startMs range start, ms since the epoch
 * @param endMs range end, ms since the epoch
 * @returns the overlapping files with at least one fragment
 * @example
 * ```ts
 * import { filesInRange } from "@arcly/stream/recording";
 * import assert from "node:assert/strict";
 * assert.deepEqual(filesInRange([], 0, 1000), []);
 * ```
 */
export function filesInRange(
  files: readonly RecordingFile[],
  startMs: number,
  endMs: number,
): RecordingFile[] {
  return files.filter((f) =>
    f.format !== "hls" && f.fragments.length > 0 && f.startMs < endMs &&
    endMsOf(f) > startMs
  );
}

/**
 * Plan the export of `[startMs, startMs + durationS)` from `files`.
 *
 * @param storage where the files are
 * @param files the stream's files (from `RecordingIndex.files`)
 * @param startMs range start, ms since the epoch
 * @param durationS range length, seconds
 * @returns the export, or null when no fMP4 recording overlaps the range
 * @example Export a memory recording
 * ```ts
 * import { exportRecordingRange, RecordingIndex, RecordingSink } from "@arcly/stream/recording";
 * import { MemoryStorage } from "@arcly/stream/storage";
 * import assert from "node:assert/strict";
 *
 * const storage = new MemoryStorage();
 * const key = "live/cam-2026-12-06T08-30-00-000Z.mp4";
 * const sink = new RecordingSink({ storage, key, format: "mp4" });
 * const base = { kind: "audio", codec: "aac", trackId: 0, timescale: 1000, keyframe: true } as const;
 * await sink.push({ ...base, pts: 0, dts: 0, config: true, data: new Uint8Array([0x12, 0x10]) });
 * for (let i = 0; i < 200; i++) {
 *   await sink.push({ ...base, pts: i * 23, dts: i * 23, config: false, data: new Uint8Array(4) });
 * }
 * await sink.end();
 * const files = await new RecordingIndex({ storage }).files("live/cam");
 * const start = Date.parse("2026-12-06T08:30:01Z");
 * const out = await exportRecordingRange(storage, files, start, 2);
 * assert.ok(out !== null && Math.abs(out.durationS - 2) < 0.1);
 * const bytes = new Uint8Array(await new Response(out.body).arrayBuffer());
 * assert.equal(new TextDecoder().decode(bytes.subarray(4, 8)), "ftyp");
 * ```
 */
export async function exportRecordingRange(
  storage: StorageBackend,
  files: readonly RecordingFile[],
  startMs: number,
  durationS: number,
): Promise<RecordingExport | null> {
  const endMs = startMs + durationS * 1000;
  const overlapping = filesInRange(files, startMs, endMs);
  const first = overlapping[0];
  if (first === undefined) return null;
  if (first.format === "flv") {
    return await exportFlv(storage, overlapping, startMs, endMs);
  }
  const used = [first];
  let truncated: string | null = null;
  for (const file of overlapping.slice(1)) {
    if (file.format !== first.format || !sameSetup(first, file)) {
      truncated =
        `${file.key} has another decoder setup (codec or resolution) than ${first.key}`;
      break;
    }
    used.push(file);
  }
  // The keyframe at or before the start (a fragment starts with one).
  const winStart = Math.max(0, (startMs - first.startMs) / 1000);
  let i = first.fragments.findIndex((f) => f.startS + f.durationS > winStart);
  if (i < 0) i = first.fragments.length - 1;
  const cut = await findCut(storage, first, i, winStart);
  const startOut = first.startMs + cut.timeS * 1000;
  let total = 0;
  for (const f of used) {
    const s = f === first ? cut.timeS : 0;
    const e = Math.min(f.durationS, (endMs - f.startMs) / 1000);
    total += Math.max(0, e - s);
  }
  const body = exportBody(storage, used, cut, endMs);
  return {
    files: used,
    startMs: startOut,
    durationS: Math.round(total * 1000) / 1000,
    truncated,
    body,
  };
}

/** The FLV path of {@linkcode exportRecordingRange}: demux, re-time, mux. */
async function exportFlv(
  storage: StorageBackend,
  overlapping: readonly RecordingFile[],
  startMs: number,
  endMs: number,
): Promise<RecordingExport> {
  const first = overlapping[0]!;
  const configs = await flvConfigs(storage, first);
  const used = [first];
  let truncated: string | null = null;
  for (const file of overlapping.slice(1)) {
    if (
      file.format !== "flv" ||
      !sameConfigs(configs, await flvConfigs(storage, file))
    ) {
      truncated =
        `${file.key} has another decoder setup (codec or resolution) than ${first.key}`;
      break;
    }
    used.push(file);
  }
  const winStart = Math.max(0, (startMs - first.startMs) / 1000);
  let cut = 0;
  first.fragments.forEach((f, i) => {
    if (f.startS <= winStart + 1e-6) cut = i;
  });
  const cutS = first.fragments[cut]!.startS;
  let total = 0;
  for (const f of used) {
    const s = f === first ? cutS : 0;
    total += Math.max(0, Math.min(f.durationS, (endMs - f.startMs) / 1000) - s);
  }
  return {
    files: used,
    startMs: first.startMs + cutS * 1000,
    durationS: Math.round(total * 1000) / 1000,
    truncated,
    body: pullStream(flvExportBody(storage, used, configs, cut, endMs)),
  };
}

function pullStream(
  it: AsyncGenerator<Uint8Array>,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await it.return(undefined);
    },
  }, { highWaterMark: 0 });
}

interface Cut {
  /** First fragment read in the first file. */
  fragment: number;
  /** File time of the keyframe the export starts at, s. */
  timeS: number;
}

async function findCut(
  storage: StorageBackend,
  file: RecordingFile,
  index: number,
  winStart: number,
): Promise<Cut> {
  const main = mainTrack(file.tracks)!;
  for (let i = index; i >= 0; i--) {
    const runs = await readFragment(storage, file, file.fragments[i]!);
    const samples = runs.get(main.id)?.samples ?? [];
    let best: number | null = null;
    for (const s of samples) {
      const t = (s.dts - file.originDts) / main.timescale;
      if (isSyncSample(s) && t <= winStart + 1e-6) best = t;
    }
    if (best !== null) return { fragment: i, timeS: best };
  }
  return { fragment: 0, timeS: file.fragments[0]!.startS };
}

async function readFragment(
  storage: StorageBackend,
  file: RecordingFile,
  fragment: RecordingFragment,
  keep?: { bytes?: Uint8Array },
): Promise<Map<number, { samples: readonly Fmp4Sample[] }>> {
  const size = fragment.end - fragment.offset;
  if (size > MAX_EXPORT_FRAGMENT_BYTES) {
    throw new StreamError(
      "InvalidInput",
      `Cannot export ${file.key}: a fragment of ${size} bytes is over MAX_EXPORT_FRAGMENT_BYTES`,
    );
  }
  const bytes = await storage.getRange(file.key, fragment.offset, fragment.end);
  if (bytes === null || bytes.length < size) {
    throw new StreamError(
      "Storage",
      `Cannot export ${file.key}: the file is shorter than its index (deleted or truncated)`,
    );
  }
  if (keep) keep.bytes = bytes;
  const moofSize = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  if (moofSize < 8 || moofSize > bytes.length) {
    throw new BitstreamError(`Cannot export ${file.key}: bad moof size`, {
      byteOffset: fragment.offset,
    });
  }
  // Offsets relative to the fragment's bytes.
  const runs = parseFmp4Fragment(
    bytes.subarray(0, moofSize),
    0,
    file.tracks,
    bytes.length,
  );
  return new Map(runs.map((r) => [r.trackId, r]));
}

function exportBody(
  storage: StorageBackend,
  files: readonly RecordingFile[],
  cut: Cut,
  endMs: number,
): ReadableStream<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const first = files[0]!;
    const init = await storage.getRange(first.key, 0, first.initBytes);
    if (init === null) {
      throw new StreamError(
        "Storage",
        `Cannot export ${first.key}: it is gone`,
      );
    }
    yield init;
    let sequence = 1;
    let outS = 0; // output time where this file starts
    for (const file of files) {
      const cutS = file === first ? cut.timeS : 0;
      const winEnd = (endMs - file.startMs) / 1000;
      const shift = new Map<number, number>();
      for (const t of file.tracks) {
        const origin = file.originDts * t.timescale /
          mainTrack(file.tracks)!.timescale;
        shift.set(t.id, Math.round((outS - cutS) * t.timescale - origin));
      }
      let endS = outS;
      const start = file === first ? cut.fragment : 0;
      for (let i = start; i < file.fragments.length; i++) {
        const fragment = file.fragments[i]!;
        if (fragment.startS >= winEnd) break;
        const keep: { bytes?: Uint8Array } = {};
        const runs = await readFragment(storage, file, fragment, keep);
        const tracks: Fmp4FragmentTrack[] = [];
        for (const t of file.tracks) {
          const run = runs.get(t.id);
          if (run === undefined) continue;
          const picked = pick(run.samples, t, file, cutS, winEnd);
          if (picked.length === 0) continue;
          const d = shift.get(t.id)!;
          const last = picked.at(-1)!;
          endS = Math.max(endS, (last.dts + last.duration + d) / t.timescale);
          tracks.push({
            trackId: t.id,
            baseDecodeTime: Math.max(0, picked[0]!.dts + d),
            samples: picked,
            payloads: picked.map((s) =>
              keep.bytes!.subarray(s.offset, s.offset + s.size)
            ),
          });
        }
        if (tracks.length > 0) yield writeFmp4Fragment(sequence++, tracks);
      }
      outS = endS;
    }
  }
  return pullStream(chunks());
}

function pick(
  samples: readonly Fmp4Sample[],
  track: Fmp4InitTrack,
  file: RecordingFile,
  cutS: number,
  winEnd: number,
): Fmp4Sample[] {
  const main = mainTrack(file.tracks)!;
  const origin = file.originDts / main.timescale;
  return samples.filter((s) => {
    const t = s.dts / track.timescale - origin;
    return t >= cutS - 1e-6 && t < winEnd;
  });
}
