/**
 * The demuxer's per-PID state and the PMT → elementary streams mapping
 * (stream_type and registration descriptor → codec, track numbering), plus
 * two small helpers of the packet loop (PES continuation test, 33-bit signed
 * difference).
 *
 * Specification: ISO/IEC 13818-1 Table 2-34 (stream_type), §2.6.8
 * (registration_descriptor), §2.4.3.7 (PES header); the "Opus in MPEG-2 TS"
 * mapping (registration "Opus", extension descriptor 0x7F tag 0x80).
 *
 * @module
 */
import { FramedAudioEs, OpusEs, opusHeadForCode } from "./_audio_es.ts";
import {
  findDescriptor,
  hasRegistration,
  type PmtTable,
  type SectionAssembler,
} from "./_demux_psi.ts";
import { PesAssembler } from "./_pes_assembler.ts";
import { VideoEs } from "./_video_es.ts";
import type { MpegTsStreamInfo } from "./demux_types.ts";

const WRAP = 2 ** 33;
const HALF = 2 ** 32;
/** Elementary streams demuxed at most (each may hold one PES buffer). */
export const MAX_STREAMS = 16;
/** Audio PES are small; cap their reassembly below `maxPesBytes`. */
export const AUDIO_PES_CAP: number = 2 * 1024 * 1024;

/** An elementary stream parser. */
export type Es = VideoEs | FramedAudioEs | OpusEs;

/** State of an elementary PID: parser, PES assembly, CC, last DTS. */
export interface EsPid {
  readonly type: "es";
  readonly info: MpegTsStreamInfo;
  readonly signature: string;
  readonly es: Es;
  readonly asm: PesAssembler;
  cc: number;
  lastDts: number;
  lastDelta: number;
}

/** State of a PSI PID (PAT or PMT). */
export interface PsiPid {
  readonly type: "psi";
  readonly asm: SectionAssembler;
  cc: number;
}

/** What the demuxer tracks per PID. */
export type PidState = EsPid | PsiPid;

/**
 * The elementary streams of a PMT, keeping the state of streams that did not
 * change (same PID, type, track and descriptors).
 *
 * @param pmt the table
 * @param current the current PID states
 * @param pmtPid the PMT's PID (never an ES PID)
 * @param maxPesBytes the PES bound
 * @param onUnsupported called for each stream not demuxed
 * @returns the new ES states by PID
 */
export function buildStreams(
  pmt: PmtTable,
  current: ReadonlyMap<number, PidState>,
  pmtPid: number,
  maxPesBytes: number,
  onUnsupported: (pid: number, streamType: number) => void,
): Map<number, EsPid> {
  const next = new Map<number, EsPid>();
  let videos = 0;
  let audios = 0;
  for (const entry of pmt.streams) {
    const { pid, streamType } = entry;
    const kind = classify(
      streamType,
      entry.descriptors,
      pmt.programDescriptors,
    );
    if (
      kind === undefined || next.size >= MAX_STREAMS || next.has(pid) ||
      pid === 0 || pid === pmtPid || pid >= 0x1fff
    ) {
      onUnsupported(pid, streamType);
      continue;
    }
    const video = kind === "h264" || kind === "h265";
    const trackId = video ? videos++ : audios++;
    const signature = `${streamType}:${trackId}:${entry.descriptors.join(",")}`;
    const old = current.get(pid);
    if (old?.type === "es" && old.signature === signature) {
      next.set(pid, old);
      continue;
    }
    const es: Es = video
      ? new VideoEs(kind, trackId)
      : kind === "opus"
      ? new OpusEs(
        trackId,
        opusHeadForCode(opusChannelCode(entry.descriptors)),
      )
      : new FramedAudioEs(kind, trackId);
    const max = video ? maxPesBytes : Math.min(maxPesBytes, AUDIO_PES_CAP);
    next.set(pid, {
      type: "es",
      info: {
        pid,
        streamType,
        kind: video ? "video" : "audio",
        codec: kind,
        trackId,
      },
      signature,
      es,
      asm: new PesAssembler(video ? 64 * 1024 : 4096, max, !video),
      cc: -1,
      lastDts: NaN,
      lastDelta: 3000,
    });
  }
  return next;
}

/**
 * The ES bytes of a video PES that continues the previous access unit: no
 * PTS, and not starting with an access unit delimiter (a new access unit
 * without PTS starts with one). Undefined when the PES starts a new unit.
 */
export function continuation(
  payload: Uint8Array,
  codec: "h264" | "h265",
): Uint8Array | undefined {
  if (
    payload.length < 9 || payload[0] !== 0 || payload[1] !== 0 ||
    payload[2] !== 1 || (payload[3]! & 0xf0) !== 0xe0 ||
    (payload[7]! & 0xc0) !== 0 || 9 + payload[8]! > payload.length
  ) return undefined;
  const es = payload.subarray(9 + payload[8]!);
  let p = 0;
  while (p < es.length && p < 4 && es[p] === 0) p++;
  if (p >= 2 && es[p] === 1 && p + 1 < es.length) {
    const first = es[p + 1]!;
    const type = codec === "h264" ? first & 0x1f : (first >> 1) & 0x3f;
    if (type === (codec === "h264" ? 9 : 35)) return undefined;
  }
  return es;
}

/** A 33-bit difference as a signed value in [-2^32, 2^32). */
export function signed(diff: number): number {
  const d = ((diff % WRAP) + WRAP) % WRAP;
  return d >= HALF ? d - WRAP : d;
}

/** The codec of a PMT entry, or undefined when not supported. */
function classify(
  streamType: number,
  descriptors: Uint8Array,
  programDescriptors: Uint8Array,
): "h264" | "h265" | "aac" | "mp3" | "opus" | undefined {
  switch (streamType) {
    case 0x1b:
      return "h264";
    case 0x24:
      return "h265";
    case 0x0f:
      return "aac";
    case 0x03:
    case 0x04:
      return "mp3";
    case 0x06:
      return hasRegistration(descriptors, "Opus") ||
          hasRegistration(programDescriptors, "Opus")
        ? "opus"
        : undefined;
    default:
      return undefined;
  }
}

/** channel_config_code from the extension descriptor (0x7F, tag 0x80). */
function opusChannelCode(descriptors: Uint8Array): number | undefined {
  const ext = findDescriptor(descriptors, 0x7f);
  return ext !== undefined && ext.length >= 2 && ext[0] === 0x80
    ? ext[1]
    : undefined;
}
