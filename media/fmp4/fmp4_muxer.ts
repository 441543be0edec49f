/**
 * {@linkcode Fmp4Muxer}: MediaFrames in, a fragmented MP4 / CMAF init segment
 * and media fragments out.
 *
 * Data path: `configure()` keeps one {@linkcode Fmp4Track} per (kind,
 * trackId) and the config record by reference; `initSegment()` measures then
 * writes ftyp+moov into one buffer (cached until the configuration changes);
 * `mux()` counts samples and bytes per track, allocates moof+mdat once and
 * copies each payload exactly once. Memory is bounded by one fragment: the
 * muxer holds no frames between calls, only per-track counters.
 *
 * Timestamps: every absolute `dts`/`pts` is converted on its own to the track
 * timescale (video 90 kHz, audio its sample rate) by a split multiply-divide
 * that cannot overflow, so
 * `tfdt` is exact and durations (differences of converted times) never drift.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import type { Muxer, MuxOptions } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";
import {
  fragmentByteLength,
  type TrackState,
  writeFragment,
} from "./_fragment.ts";
import { buildInitSegment } from "./_init_segment.ts";
import { sizeFromKeyFrame, trackFromConfig } from "./_track_from_config.ts";
import type { Fmp4Track } from "./fmp4_track.ts";

/** Codecs the fMP4 muxer writes (ISO/IEC 14496-15, AV1-ISOBMFF, VP-ISOBMFF, 14496-14, Opus-in-ISOBMFF). */
const SUPPORTED: ReadonlySet<string> = new Set([
  "h264",
  "h265",
  "av1",
  "vp9",
  "aac",
  "opus",
]);
/** Default `track_ID` of the first video and first audio track; others count up from 3. */
const FIRST_VIDEO_ID = 1;
const FIRST_AUDIO_ID = 2;
const FIRST_EXTRA_ID = 3;
/** Samples per AAC-LC access unit (ISO/IEC 14496-3 §4.5.2.1). */
const AAC_FRAME_SAMPLES = 1024;
/** Samples of the most common Opus packet (20 ms at 48 kHz, RFC 6716 §2.1.4). */
const OPUS_PACKET_SAMPLES = 960;
/** Frame rate assumed for a lone video sample with no timing hint. */
const DEFAULT_FRAME_RATE = 30;

/**
 * Options for {@linkcode Fmp4Muxer.mux}: the {@linkcode MuxOptions} of every
 * muxer plus the next decode time per track kind.
 *
 * @example End audio and video exactly where the next fragment starts
 * ```ts
 * import type { Fmp4MuxOptions } from "@arcly/stream/fmp4";
 * const options: Fmp4MuxOptions = { sequenceNumber: 7, nextDtsByKind: { video: 2000, audio: 2002 } };
 * ```
 */
export interface Fmp4MuxOptions extends MuxOptions {
  /**
   * Decode timestamp (frame timescale) of the next frame of each kind after
   * this batch; overrides `nextDts` for that kind. With only `nextDts` (the
   * next frame of any track), a track's last sample ends at `nextDts`, so the
   * audio timeline can have a gap shorter than one audio frame between two
   * fragments; give both kinds to make every track exactly continuous.
   */
  nextDtsByKind?: { readonly video?: number; readonly audio?: number };
}

/**
 * Fragmented MP4 (CMAF) muxer for H.264, H.265, AV1, VP9, AAC and Opus.
 *
 * Specification: ISO/IEC 14496-12 (ISOBMFF) §8.8 movie fragments; ISO/IEC
 * 23000-19 (CMAF). Init + fragments concatenated is a playable .mp4.
 *
 * @example Mux one H.264 + AAC fragment
 * ```ts
 * import { Fmp4Muxer, readBoxes } from "@arcly/stream/fmp4";
 * import type { MediaFrame } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const base = { trackId: 0, timescale: 1000, pts: 0, dts: 0 };
 * // avcC of a 320x240 H.264 High stream (SPS + PPS), and AAC-LC 48 kHz stereo
 * const avcC = Uint8Array.from(
 *   ("0164000dffe100196764000dacd94141fb0110000003001000000303c0f14299600100" +
 *     "0668ebe3cb22c0fdf8f800").match(/../g)!,
 *   (byte) => parseInt(byte, 16),
 * );
 * const asc = new Uint8Array([0x11, 0x90]);
 * const muxer = new Fmp4Muxer();
 * muxer.configure({ ...base, kind: "video", codec: "h264", keyframe: true, config: true, data: avcC });
 * muxer.configure({ ...base, kind: "audio", codec: "aac", keyframe: true, config: true, data: asc });
 * assert.equal(muxer.codecs, "avc1.64000d,mp4a.40.2");
 * assert.deepEqual(muxer.tracks.map((t) => [t.id, t.width, t.timescale]), [[1, 320, 90000], [2, 0, 48000]]);
 *
 * const frames: MediaFrame[] = [
 *   { ...base, kind: "video", codec: "h264", keyframe: true, config: false, data: new Uint8Array(8) },
 *   { ...base, kind: "audio", codec: "aac", keyframe: true, config: false, data: new Uint8Array(4) },
 * ];
 * const init = muxer.initSegment()!;
 * const fragment = muxer.mux(frames, { sequenceNumber: 1, nextDts: 40 });
 * assert.deepEqual(readBoxes(init).map((box) => box.type), ["ftyp", "moov"]);
 * assert.deepEqual(readBoxes(fragment).map((box) => box.type), ["moof", "mdat"]);
 * ```
 */
export class Fmp4Muxer implements Muxer {
  /** Container name. */
  readonly format: "fmp4" = "fmp4";
  /** File extension of a fragment. */
  readonly extension: string = "m4s";
  /** MIME type of init and fragments. */
  readonly mimeType: string = "video/mp4";
  readonly #states = new Map<number, TrackState>();
  #ordered: TrackState[] = [];
  #init: Uint8Array | null = null;
  #sequence = 0;

  /** The configured tracks in `track_ID` order. */
  get tracks(): readonly Fmp4Track[] {
    return this.#ordered.map((state) => state.track);
  }

  /** RFC 6381 codecs list of the tracks, for MSE `addSourceBuffer` and HLS `CODECS`. */
  get codecs(): string {
    return this.#ordered.map((state) => state.track.codecString).join(",");
  }

  /**
   * Take a configuration frame; a new config for a known track replaces it.
   *
   * @throws {StreamError} `InvalidInput` when `frame` is not a config frame or
   * its record is malformed; `Unsupported` for codecs other than h264, h265,
   * av1, vp9, aac, opus.
   */
  configure(frame: MediaFrame): void {
    if (!frame.config || frame.kind === "data") {
      throw new StreamError(
        "InvalidInput",
        `Cannot configure an fMP4 track from a ${frame.kind} ${frame.codec} frame: it is not a config frame`,
      );
    }
    if (!SUPPORTED.has(frame.codec)) {
      throw new StreamError(
        "Unsupported",
        `Cannot mux ${frame.codec} to fMP4: supported are h264, h265, av1, vp9, aac, opus`,
      );
    }
    const key = keyOf(frame);
    const existing = this.#states.get(key);
    if (existing !== undefined && existing.track.config === frame.data) return;
    const id = existing?.track.id ?? this.#nextId(frame.kind);
    const track = trackFromConfig(frame, id);
    const others = this.#ordered.filter((state) => state !== existing);
    const ordered = [...others.map((state) => state.track), track]
      .sort((a, b) => a.id - b.id);
    // Build the init segment now: a malformed record fails here, leaving the muxer unchanged.
    const init = buildInitSegment(ordered);
    if (existing !== undefined) {
      existing.track = track;
    } else {
      const lastDuration = defaultDuration(track);
      this.#states.set(key, { track, count: 0, bytes: 0, lastDuration });
    }
    this.#ordered = [...this.#states.values()].sort((a, b) =>
      a.track.id - b.track.id
    );
    this.#init = init;
  }

  /**
   * ftyp + moov for the configured tracks, or null before any `configure()`.
   * VP9's vpcC carries no picture size: it is read from the first key frame
   * given to `mux()`, after which this returns an updated segment (fetch the
   * init segment after the first fragment for VP9).
   */
  initSegment(): Uint8Array | null {
    if (this.#ordered.length === 0) return null;
    return this.#init;
  }

  /**
   * Mux frames (decode order, mixed tracks) into one moof + mdat, allocated
   * once at its exact size. Config frames update the configuration; data
   * frames are skipped. Returns an empty array when no media sample is left.
   *
   * @throws {StreamError} `InvalidInput` for a frame of an unconfigured track,
   * a dts that goes back within a track or a negative decode time;
   * `LimitExceeded` for a fragment over 4 GiB.
   */
  mux(frames: readonly MediaFrame[], options: Fmp4MuxOptions = {}): Uint8Array {
    const plan = this.#count(frames);
    if (plan === null) return new Uint8Array(0);
    const bytes = new Uint8Array(fragmentByteLength(plan.tracks));
    this.#write(frames, plan, bytes, 0, options);
    return bytes;
  }

  /**
   * The exact size `mux(frames)` would return, for callers that write many
   * fragments into one buffer with {@linkcode Fmp4Muxer.writeInto}. Config
   * frames among `frames` are applied, as in `mux()`.
   *
   * @throws {StreamError} as {@linkcode Fmp4Muxer.mux}
   */
  byteLengthOf(frames: readonly MediaFrame[]): number {
    const plan = this.#count(frames);
    return plan === null ? 0 : fragmentByteLength(plan.tracks);
  }

  /**
   * Write the fragment `mux(frames, options)` would return into `dst` at
   * `offset`; returns the number of bytes written (0 when no media sample).
   *
   * @throws {StreamError} `InvalidInput` when `dst` has less than
   * `byteLengthOf(frames)` bytes after `offset`, and as {@linkcode Fmp4Muxer.mux}
   */
  writeInto(
    frames: readonly MediaFrame[],
    dst: Uint8Array,
    offset: number,
    options: Fmp4MuxOptions = {},
  ): number {
    const plan = this.#count(frames);
    return plan === null ? 0 : this.#write(frames, plan, dst, offset, options);
  }

  /** Count samples and bytes per track; null when there is no media sample. */
  #count(frames: readonly MediaFrame[]): Counted | null {
    const stateOf: (TrackState | null)[] = new Array(frames.length);
    for (const state of this.#ordered) {
      state.count = 0;
      state.bytes = 0;
    }
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      stateOf[i] = null;
      if (frame.kind === "data") continue;
      if (frame.config) {
        this.configure(frame);
        continue;
      }
      const state = this.#states.get(keyOf(frame));
      if (state === undefined) {
        throw new StreamError(
          "InvalidInput",
          `Cannot mux a ${frame.codec} frame: ${frame.kind} track ${frame.trackId} is not configured`,
        );
      }
      if (state.track.width === 0 && frame.keyframe && frame.kind === "video") {
        this.#learnSize(state, frame);
      }
      state.count++;
      state.bytes += frame.data.byteLength;
      stateOf[i] = state;
    }
    const tracks = this.#ordered.filter((state) => state.count > 0);
    return tracks.length === 0 ? null : { tracks, stateOf };
  }

  #write(
    frames: readonly MediaFrame[],
    counted: Counted,
    dst: Uint8Array,
    offset: number,
    options: Fmp4MuxOptions,
  ): number {
    const sequenceNumber = options.sequenceNumber ?? this.#sequence + 1;
    const byKind = options.nextDtsByKind;
    const written = writeFragment(
      frames,
      {
        ...counted,
        sequenceNumber,
        nextDts: (kind) => byKind?.[kind] ?? options.nextDts,
      },
      dst,
      offset,
    );
    this.#sequence = sequenceNumber;
    return written;
  }

  /** VP9 (and AV1 without config OBUs): take the picture size from the first key frame. */
  #learnSize(state: TrackState, frame: MediaFrame): void {
    const size = sizeFromKeyFrame(frame);
    if (size === null) return;
    state.track = { ...state.track, ...size };
    this.#init = buildInitSegment(this.tracks);
  }

  #nextId(kind: "video" | "audio"): number {
    const used = new Set(
      [...this.#states.values()].map((state) => state.track.id),
    );
    const preferred = kind === "video" ? FIRST_VIDEO_ID : FIRST_AUDIO_ID;
    if (!used.has(preferred)) return preferred;
    let id = FIRST_EXTRA_ID;
    while (used.has(id)) id++;
    return id;
  }
}

/**
 * Duration of a lone last sample when neither `nextDts` nor an earlier sample
 * tells it: one AAC frame (1024 samples), one 20 ms Opus packet, 1/30 s video.
 */
function defaultDuration(track: Fmp4Track): number {
  if (track.codec === "aac") return AAC_FRAME_SAMPLES;
  if (track.codec === "opus") return OPUS_PACKET_SAMPLES;
  return Math.round(track.timescale / DEFAULT_FRAME_RATE);
}

/** What one counting pass over a batch found. */
interface Counted {
  tracks: TrackState[];
  stateOf: (TrackState | null)[];
}

/** Map key of a frame's track: trackId and kind (video even, audio odd). */
function keyOf(frame: MediaFrame): number {
  return frame.trackId * 2 + (frame.kind === "video" ? 0 : 1);
}
