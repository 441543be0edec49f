// Internal: a time range of FLV recordings as one fragmented MP4 (used by
// exportRecordingRange). The header and sequence headers of each file are
// read once (FlvReader → config frames → Fmp4Muxer.configure); then the
// file is read in 256 KiB windows from the keyframe mark at or before the
// start, demuxed by FlvReader, re-timed onto one continuous timeline and
// muxed one GOP (at least 2 s) per fragment. Memory: one window and one
// fragment's frames (at most MAX_GOP_FRAMES).
import { FlvReader } from "../flv/mod.ts";
import { Fmp4Muxer } from "../fmp4/mod.ts";
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import type { StorageBackend } from "../storage/storage_backend.ts";
import type { RecordingFile } from "./recording_index.ts";

const WINDOW = 256 << 10;
const MAX_GOP_FRAMES = 4096;

/** The configuration frames of an FLV recording (its leading sequence headers). */
export async function flvConfigs(
  storage: StorageBackend,
  file: RecordingFile,
): Promise<MediaFrame[]> {
  const head = await storage.getRange(file.key, 0, file.initBytes);
  if (head === null) return [];
  return new FlvReader().push(head).filter((f) =>
    f.config && f.kind !== "data" && f.data.length > 0
  );
}

/** Same codecs and configuration bytes. */
export function sameConfigs(
  a: readonly MediaFrame[],
  b: readonly MediaFrame[],
): boolean {
  const last = (list: readonly MediaFrame[]) => {
    const map = new Map<string, MediaFrame>();
    for (const f of list) map.set(f.kind, f);
    return map;
  };
  const x = last(a);
  const y = last(b);
  if (x.size !== y.size) return false;
  for (const [kind, f] of x) {
    const g = y.get(kind);
    if (g === undefined || g.codec !== f.codec) return false;
    if (g.data.length !== f.data.length) return false;
    for (let i = 0; i < f.data.length; i++) {
      if (f.data[i] !== g.data[i]) return false;
    }
  }
  return true;
}

/** The MP4 bytes of FLV `files` from the mark `cutIndex` of the first one. */
export function flvExportBody(
  storage: StorageBackend,
  files: readonly RecordingFile[],
  configs: readonly MediaFrame[],
  cutIndex: number,
  endMs: number,
): AsyncGenerator<Uint8Array> {
  return (async function* () {
    const muxer = new Fmp4Muxer();
    for (const c of configs) muxer.configure(c);
    const init = muxer.initSegment();
    if (init === null) {
      throw new StreamError(
        "InvalidInput",
        `Cannot export ${
          files[0]!.key
        }: it has no audio or video configuration`,
      );
    }
    yield init;
    let sequence = 1;
    let outMs = 0;
    let pending: MediaFrame[] = [];
    let pendingStart = 0;
    const flush = (nextDts?: number): Uint8Array | null => {
      if (pending.length === 0) return null;
      const bytes = muxer.mux(pending, {
        sequenceNumber: sequence++,
        ...(nextDts === undefined ? {} : { nextDts }),
      });
      pending = [];
      return bytes.length > 0 ? bytes : null;
    };
    for (const file of files) {
      const first = file === files[0];
      const mark = file.fragments[first ? cutIndex : 0];
      if (mark === undefined) continue;
      const cutS = mark.startS;
      const winEnd = (endMs - file.startMs) / 1000;
      const origin = file.originDts;
      const shift = Math.round(outMs - cutS * 1000 - origin);
      const reader = new FlvReader();
      const head = await storage.getRange(file.key, 0, file.initBytes);
      if (head === null) break;
      reader.push(head);
      const last = new Map<string, { dts: number; step: number }>();
      let videoStarted = false;
      let pos = mark.offset;
      let done = false;
      while (!done && pos < file.bytes) {
        const chunk = await storage.getRange(file.key, pos, pos + WINDOW);
        if (chunk === null || chunk.length === 0) break;
        pos += chunk.length;
        for (const frame of reader.push(chunk)) {
          if (frame.kind === "data" || frame.config) continue;
          const t = (frame.dts - origin) / 1000;
          if (t < cutS - 1e-6) continue;
          if (t >= winEnd) {
            done = true;
            break;
          }
          if (frame.kind === "video") {
            if (!videoStarted && !frame.keyframe) continue;
            videoStarted = true;
          }
          const out: MediaFrame = {
            ...frame,
            dts: frame.dts + shift,
            pts: frame.pts + shift,
          };
          const previous = last.get(frame.kind);
          last.set(frame.kind, {
            dts: out.dts,
            step: previous ? out.dts - previous.dts : 0,
          });
          const cut = frame.kind === "video" && frame.keyframe &&
            out.dts - pendingStart >= 2000;
          if (cut || pending.length >= MAX_GOP_FRAMES) {
            const bytes = flush(out.dts);
            if (bytes !== null) yield bytes;
          }
          if (pending.length === 0) pendingStart = out.dts;
          pending.push(out);
        }
      }
      for (const { dts, step } of last.values()) {
        outMs = Math.max(outMs, dts + Math.max(step, 1));
      }
    }
    const bytes = flush();
    if (bytes !== null) yield bytes;
  })();
}
