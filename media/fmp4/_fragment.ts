/**
 * Internal: one media fragment (moof + mdat) written in place.
 *
 * The layout is computed arithmetically from per-track sample counts and byte
 * totals (no measuring pass), the buffer is allocated once, and each
 * `trun.data_offset` is known before it is written because `tfhd` sets
 * default-base-is-moof: the offset is moof size + 8 (mdat header) + the bytes
 * of the tracks written before it in mdat.
 *
 * Specification: ISO/IEC 14496-12 §8.8.4 (moof), §8.8.5 (mfhd), §8.8.6
 * (traf), §8.8.7 (tfhd), §8.8.12 (tfdt), §8.8.8 (trun, version 1 signed
 * composition offsets), §8.8.3.1 (sample flags), §8.1.1 (mdat).
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { BitstreamError, StreamError } from "../stream_error.ts";
import { BoxWriter, fourcc } from "./_box_writer.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

const MOOF = fourcc("moof");
const MFHD = fourcc("mfhd");
const TRAF = fourcc("traf");
const TFHD = fourcc("tfhd");
const TFDT = fourcc("tfdt");
const TRUN = fourcc("trun");
const MDAT = fourcc("mdat");

/** tfhd: default-base-is-moof (0x020000); audio adds default-sample-flags-present (0x20). */
const TFHD_BASE_IS_MOOF = 0x020000;
const TFHD_DEFAULT_FLAGS = 0x000020;
/** trun: data-offset, sample-duration, sample-size; video adds sample-flags and composition offsets. */
const TRUN_AUDIO = 0x000001 | 0x000100 | 0x000200;
const TRUN_VIDEO = TRUN_AUDIO | 0x000400 | 0x000800;
/** Sample flags: sample_depends_on 2 (independent), sync. */
const FLAGS_SYNC = 0x0200_0000;
/** Sample flags: sample_depends_on 1 (depends on others), sample_is_non_sync_sample. */
const FLAGS_NON_SYNC = 0x0101_0000;
/** mfhd 16 + moof header 8; per traf: header 8, tfhd 16 (+4 audio), tfdt 20, trun 20. */
const MOOF_FIXED_BYTES = 8 + 16;
const TRAF_FIXED_BYTES = 8 + 16 + 20 + 20;
const VIDEO_SAMPLE_BYTES = 16;
const AUDIO_SAMPLE_BYTES = 8;
/** mdat uses a 32-bit size: larger fragments are a caller bug (split them). */
const MAX_MDAT_BYTES = 0xffff_fff0;

/** Mutable per-track state the muxer keeps between calls. */
export interface TrackState {
  track: Fmp4Track;
  /** Samples of this track in the current call. */
  count: number;
  /** Payload bytes of this track in the current call. */
  bytes: number;
  /** Duration (track ticks) of the most recent sample, for a last sample without nextDts. */
  lastDuration: number;
}

/** Per-call inputs besides the frames. */
export interface FragmentPlan {
  sequenceNumber: number;
  /** Tracks with count > 0, in track_ID order. */
  tracks: readonly TrackState[];
  /** The state of each frame (null for skipped config/data frames), parallel to frames. */
  stateOf: readonly (TrackState | null)[];
  /** Next decode time (frame timescale) for the last sample, per track kind. */
  nextDts: (kind: "video" | "audio") => number | undefined;
}

/** Convert a timestamp between timescales without overflow or accumulated error. */
export function rescale(value: number, from: number, to: number): number {
  if (from === to) return value;
  const whole = Math.floor(value / from);
  return whole * to + Math.round(((value - whole * from) * to) / from);
}

/** Exact moof + mdat size for `tracks` (their counts and byte totals). */
export function fragmentByteLength(tracks: readonly TrackState[]): number {
  const moof = moofByteLength(tracks);
  let mdat = 8;
  for (const state of tracks) mdat += state.bytes;
  if (mdat > MAX_MDAT_BYTES) {
    throw new StreamError(
      "LimitExceeded",
      `Cannot mux a fragment of ${mdat} bytes: over the 32-bit mdat limit`,
    );
  }
  return moof + mdat;
}

function moofByteLength(tracks: readonly TrackState[]): number {
  let size = MOOF_FIXED_BYTES;
  for (const state of tracks) {
    const video = state.track.kind === "video";
    size += TRAF_FIXED_BYTES + (video ? 0 : 4) +
      state.count * (video ? VIDEO_SAMPLE_BYTES : AUDIO_SAMPLE_BYTES);
  }
  return size;
}

/**
 * Write moof + mdat for the frames of `plan.tracks` into `dst` at `offset`,
 * which must have {@linkcode fragmentByteLength} bytes free; returns the
 * bytes written.
 */
export function writeFragment(
  frames: readonly MediaFrame[],
  plan: FragmentPlan,
  dst: Uint8Array,
  offset: number,
): number {
  const total = fragmentByteLength(plan.tracks);
  if (offset < 0 || dst.length - offset < total) {
    throw new StreamError(
      "InvalidInput",
      `Cannot write a ${total}-byte fragment at offset ${offset}: the destination holds ${dst.length} bytes`,
    );
  }
  const moofSize = moofByteLength(plan.tracks);
  const w = new BoxWriter(dst, offset);
  const moof = w.box(MOOF);
  w.fullBox(MFHD, 0, 0);
  w.u32(plan.sequenceNumber);
  w.end(moof + 8);
  let dataOffset = moofSize + 8;
  for (const state of plan.tracks) {
    writeTraf(w, frames, plan, state, dataOffset);
    dataOffset += state.bytes;
  }
  w.end(moof);
  w.u32(total - moofSize);
  w.u32(MDAT);
  for (const state of plan.tracks) {
    for (let i = 0; i < frames.length; i++) {
      if (plan.stateOf[i] === state) w.raw(frames[i]!.data);
    }
  }
  return total;
}

function writeTraf(
  w: BoxWriter,
  frames: readonly MediaFrame[],
  plan: FragmentPlan,
  state: TrackState,
  dataOffset: number,
): void {
  const track = state.track;
  const video = track.kind === "video";
  const traf = w.box(TRAF);
  const tfhd = w.fullBox(
    TFHD,
    0,
    video ? TFHD_BASE_IS_MOOF : TFHD_BASE_IS_MOOF | TFHD_DEFAULT_FLAGS,
  );
  w.u32(track.id);
  if (!video) w.u32(FLAGS_SYNC);
  w.end(tfhd);

  const first = plan.stateOf.indexOf(state);
  const firstFrame = frames[first]!;
  const baseTime = rescale(
    firstFrame.dts,
    firstFrame.timescale,
    track.timescale,
  );
  if (baseTime < 0) {
    throw new BitstreamError(
      `Cannot mux track ${track.id} at dts ${firstFrame.dts}: fMP4 decode times start at 0`,
      { byteOffset: 0 },
    );
  }
  const tfdt = w.fullBox(TFDT, 1, 0);
  w.u64(baseTime);
  w.end(tfdt);

  const trun = w.fullBox(TRUN, 1, video ? TRUN_VIDEO : TRUN_AUDIO);
  w.u32(state.count);
  w.u32(dataOffset);
  let prev = firstFrame;
  let prevTime = baseTime;
  for (let i = first + 1; i <= frames.length; i++) {
    let time: number;
    if (i < frames.length) {
      if (plan.stateOf[i] !== state) continue;
      const frame = frames[i]!;
      time = rescale(frame.dts, frame.timescale, track.timescale);
      if (time < prevTime) {
        throw new BitstreamError(
          `Cannot mux track ${track.id}: dts goes back from ${prev.dts} to ${frame.dts}`,
          { byteOffset: 0 },
        );
      }
      state.lastDuration = time - prevTime;
    } else {
      const next = plan.nextDts(track.kind);
      const nextTime = next === undefined
        ? prevTime
        : rescale(next, prev.timescale, track.timescale);
      time = nextTime > prevTime ? nextTime : prevTime + state.lastDuration;
      state.lastDuration = time - prevTime;
    }
    writeSample(w, prev, prevTime, time - prevTime, track.timescale, video);
    if (i < frames.length) {
      prev = frames[i]!;
      prevTime = time;
    }
  }
  w.end(trun);
  w.end(traf);
}

function writeSample(
  w: BoxWriter,
  frame: MediaFrame,
  decodeTime: number,
  duration: number,
  timescale: number,
  video: boolean,
): void {
  w.u32(duration);
  w.u32(frame.data.byteLength);
  if (video) {
    w.u32(frame.keyframe ? FLAGS_SYNC : FLAGS_NON_SYNC);
    w.i32(rescale(frame.pts, frame.timescale, timescale) - decodeTime);
  }
}
