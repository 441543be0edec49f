// Internal: index an FLV recording by its tag headers (RecordingIndex).
// Reads the file in 256 KiB windows with getRange, parses each tag's 11-byte
// header and the first body bytes (keyframe / sequence header), never a
// whole body; marks every video keyframe (audio-only: every 2 s) with its
// offset and time. Adobe FLV 10.1 Annex E; Enhanced RTMP v2 (ex-header bit).
import type { StorageBackend } from "../storage/storage_backend.ts";
import { BitstreamError } from "../stream_error.ts";

const WINDOW = 256 << 10;

/** Scan state of one FLV file (grows with the file). */
export interface FlvScan {
  /** Next tag offset to read (after its PreviousTagSize). */
  pos: number;
  /** Offset of the first media tag (header, script data and sequence headers before it). */
  mediaStart: number;
  /** Timestamp (ms) of the first media tag, or null before it. */
  originMs: number | null;
  /** Highest media timestamp seen, ms. */
  lastMs: number;
  /** Keyframe marks: tag offset and seconds from the first media tag. */
  marks: { offset: number; startS: number }[];
  /** A video tag was seen. */
  video: boolean;
}

/** A fresh scan. */
export function newFlvScan(): FlvScan {
  return {
    pos: 0,
    mediaStart: 0,
    originMs: null,
    lastMs: 0,
    marks: [],
    video: false,
  };
}

/** Whether an FLV video or audio body is a sequence header (configuration). */
export function isFlvConfig(type: number, body: Uint8Array): boolean {
  if (body.length < 2) return false;
  if (type === 9) {
    if (body[0]! & 0x80) return (body[0]! & 0x0f) === 0; // PacketTypeSequenceStart
    const codec = body[0]! & 0x0f;
    return (codec === 7 || codec === 12) && body[1] === 0;
  }
  if (type === 8) {
    if (body[0]! >> 4 === 9) return (body[1]! & 0x0f) === 4 || body[1] === 0; // ex-audio: SequenceStart
    return body[0]! >> 4 === 10 && body[1] === 0;
  }
  return false;
}

/** Scan from `scan.pos` up to `size` (stops at a tag still being written). */
export async function scanFlv(
  storage: StorageBackend,
  key: string,
  scan: FlvScan,
  size: number,
): Promise<void> {
  if (scan.pos === 0) {
    const head = await storage.getRange(key, 0, 13);
    if (head === null || head.length < 13) return;
    if (head[0] !== 0x46 || head[1] !== 0x4c || head[2] !== 0x56) {
      throw new BitstreamError(`Cannot index ${key}: not an FLV file`, {
        byteOffset: 0,
      });
    }
    const dataOffset = new DataView(head.buffer, head.byteOffset).getUint32(5);
    if (dataOffset < 9 || dataOffset > 1024) {
      throw new BitstreamError(`Cannot index ${key}: bad FLV DataOffset`, {
        byteOffset: 5,
      });
    }
    scan.pos = dataOffset + 4;
    scan.mediaStart = scan.pos;
  }
  let window = new Uint8Array(0);
  let windowAt = scan.pos;
  while (scan.pos + 11 <= size) {
    if (scan.pos + 13 > windowAt + window.length) {
      windowAt = scan.pos;
      window = (await storage.getRange(key, windowAt, windowAt + WINDOW)) ??
        new Uint8Array(0);
      if (window.length < 11) return;
    }
    const at = scan.pos - windowAt;
    const type = window[at]! & 0x1f;
    const bodySize = (window[at + 1]! << 16) | (window[at + 2]! << 8) |
      window[at + 3]!;
    const ms = ((window[at + 7]! << 24) | (window[at + 4]! << 16) |
      (window[at + 5]! << 8) | window[at + 6]!) >>> 0;
    const next = scan.pos + 11 + bodySize + 4;
    if (next > size) return; // being written
    const body = window.subarray(at + 11, Math.min(window.length, at + 13));
    if (
      (type === 8 || type === 9) && bodySize >= 2 && !isFlvConfig(type, body)
    ) {
      if (scan.originMs === null) {
        scan.originMs = ms;
        scan.mediaStart = scan.pos;
      }
      const t = (ms - scan.originMs) / 1000;
      const key = type === 9 &&
        ((body[0]! & 0x80 ? (body[0]! >> 4) & 7 : body[0]! >> 4) === 1);
      if (type === 9) scan.video = true;
      const last = scan.marks.at(-1);
      if (
        key || last === undefined ||
        (!scan.video && type === 8 && t - last.startS >= 2)
      ) {
        if (last === undefined || t > last.startS || scan.marks.length === 0) {
          scan.marks.push({ offset: scan.pos, startS: Math.max(0, t) });
        }
      }
      scan.lastMs = Math.max(scan.lastMs, ms);
    }
    scan.pos = next;
  }
}
