// The frame-to-segment assembly of HlsSegmenter: configures the muxer,
// decides cuts (CutPolicy), muxes parts and segments, writes them through the
// SegmentWriter and hands complete segments to the SegmentWindow. Memory: the
// open segment's frames and part bytes (one segment at most).
import type { MediaFrame } from "../frame.ts";
import type { Muxer } from "../muxer.ts";
import type { CutPolicy } from "./_cut_policy.ts";
import { createMuxer } from "./_muxer_for_format.ts";
import type { SegmentWindow } from "./_segment_window.ts";
import type { SegmentWriter } from "./_segment_writer.ts";
import { TrackTiming } from "./_track_timing.ts";
import { ParameterSetPrefixer } from "./_parameter_sets.ts";
import { GapFiller, type StillPicture } from "./_gap_filler.ts";
import { silentAacFrames } from "./_silent_audio.ts";
import type { HlsPart, HlsSegment } from "./media_playlist.ts";

/** Extension of audio-only fMP4 segments and parts (ISO BMFF audio). */
const AUDIO_ONLY_FMP4_EXTENSION = "m4a";

/** A backward timestamp jump larger than this (seconds) is a publisher restart. */
const MAX_BACKWARD_JUMP_S = 1;
/** A forward gap larger than this (seconds) is a discontinuity, not a stall. */
const MAX_FORWARD_GAP_S = 10;

/**
 * A step back of the driving track's decode time larger than this (seconds)
 * is a restart; smaller ones are tolerated as rounding in sloppy encoders.
 */
const DRIVING_BACKWARD_JUMP_S = 0.1;

/** Same codec and same configuration record bytes. */
function sameConfig(a: MediaFrame, b: MediaFrame): boolean {
  if (a.codec !== b.codec || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    if (a.data[i] !== b.data[i]) return false;
  }
  return true;
}

/** The segment being filled. */
export interface OpenSegment {
  msn: number;
  startT: number;
  discontinuity: boolean;
  programDateTimeMs: number;
  mapUri: string | undefined;
  parts: HlsPart[];
  partBytes: Uint8Array[];
}

/** What the assembler needs from its HlsSegmenter. */
export interface AssemblerContext {
  muxer: Muxer;
  ownsMuxer: boolean;
  partTargetS: number | undefined;
  policy: CutPolicy;
  window: SegmentWindow;
  io: SegmentWriter;
  wallClock: () => number;
  /** Desired segment duration, seconds (also the length of a gap segment). */
  targetS: number;
  /** Rewrite the playlist and release waiters. */
  publish: () => Promise<void>;
}

/** Turns frames into parts and segments. */
export class SegmentAssembler {
  #muxer: Muxer;
  #ownsMuxer: boolean;
  #format: "ts" | "fmp4";
  #partTargetS: number | undefined;
  #policy: CutPolicy;
  #window: SegmentWindow;
  #io: SegmentWriter;
  #wallClock: () => number;
  #targetS: number;
  #publish: () => Promise<void>;
  #timing = new TrackTiming();
  #configs = new Map<string, MediaFrame>();
  #open: OpenSegment | null = null;
  #frames: MediaFrame[] = [];
  #partStartT = 0;
  #partIndependent = false;
  #started = false;
  #closing = false;
  #hasVideo = false;
  #pendingDiscontinuity = false;
  #lastT = 0;
  #lastDrivingT = 0;
  #lastTimescale = 1000;
  #anchor: { wallMs: number; t: number } | undefined;
  #fragmentSequence = 0;
  /** TS LL-HLS only: parameter sets at the start of each part. */
  #prefixer: ParameterSetPrefixer | undefined;
  /** Extension of the open (and next) segment's files; see `#openSegment`. */
  #extension: string;
  /** Wall-clock ms when the last driving frame arrived (stall detection). */
  #lastDrivingWallMs = 0;
  /** While the publisher is silent: fillers. See `idle()`. */
  #gap: GapFiller;

  constructor(context: AssemblerContext) {
    this.#muxer = context.muxer;
    this.#ownsMuxer = context.ownsMuxer;
    this.#format = context.muxer.format === "fmp4" ? "fmp4" : "ts";
    this.#partTargetS = context.partTargetS;
    this.#policy = context.policy;
    this.#window = context.window;
    this.#io = context.io;
    this.#wallClock = context.wallClock;
    this.#targetS = context.targetS;
    this.#gap = new GapFiller(context.targetS);
    this.#publish = context.publish;
    this.#extension = this.#muxer.extension;
    if (this.#format === "ts" && this.#partTargetS !== undefined) {
      this.#prefixer = new ParameterSetPrefixer();
    }
  }

  /** The segment being filled, if any. */
  get open(): OpenSegment | null {
    return this.#open;
  }

  /**
   * Media time the open segment still lacks to reach the target duration,
   * seconds (≤ 0: the next keyframe cuts it); Infinity with none open.
   */
  get untilTargetS(): number {
    const open = this.#open;
    return open === null
      ? Infinity
      : this.#targetS - (this.#lastT - open.startT);
  }

  /**
   * Where the next part will be: the next one of the open segment, or part
   * 0 of the next segment once the open one is closing (EXT-X-PRELOAD-HINT
   * names only a part that will exist).
   */
  get nextPart(): { msn: number; part: number } {
    const open = this.#open;
    if (open === null) return { msn: this.#window.nextMsn, part: 0 };
    if (this.#closing) return { msn: open.msn + 1, part: 0 };
    return { msn: open.msn, part: open.parts.length };
  }

  /** Whether a random-access point started the current run. */
  get started(): boolean {
    return this.#started;
  }

  /** The muxer's container. */
  get format(): "ts" | "fmp4" {
    return this.#format;
  }

  /** File extension of the open (or next) segment and its parts. */
  get extension(): string {
    return this.#extension;
  }

  /** Whether `extension` names this packager's segments (any of its kinds). */
  isSegmentExtension(extension: string): boolean {
    return extension === this.#muxer.extension ||
      (this.#format === "fmp4" && extension === AUDIO_ONLY_FMP4_EXTENSION);
  }

  /** The latest config frame of each track. */
  get configs(): MediaFrame[] {
    return [...this.#configs.values()];
  }

  /** Average video frame interval in seconds (0 when unknown). */
  get videoIntervalS(): number {
    return this.#timing.averageInterval("video");
  }

  /**
   * Take one frame: configure, or cut and collect. Returns undefined when
   * the frame was only collected (the common case: no cut, nothing to
   * write), so a batch costs no promise per frame; else the pending work.
   */
  process(frame: MediaFrame): Promise<void> | undefined {
    if (
      !frame.config && frame.kind !== "data" && this.#started &&
      !this.#gap.active
    ) {
      if (frame.kind === "video") this.#hasVideo = true;
      const t = frame.dts / frame.timescale;
      const driving = !this.#hasVideo || frame.kind === "video";
      if (!this.#isJump(t, driving)) {
        const cut = driving
          ? this.#policy.decide(
            t,
            frame.keyframe,
            this.#open!.startT,
            this.#partStartT,
          )
          : "none";
        if (cut === "none") {
          this.#collect(frame, t, driving);
          return undefined;
        }
      }
    }
    return this.#processSlow(frame);
  }

  /** A decode time that means a publisher restart or a long gap. */
  #isJump(t: number, driving: boolean): boolean {
    return t < this.#lastT - MAX_BACKWARD_JUMP_S ||
      t > this.#lastT + MAX_FORWARD_GAP_S ||
      // Decode times of one track never go back: a publisher restarted
      // (a republish within the grace period restarts at 0).
      (driving && t < this.#lastDrivingT - DRIVING_BACKWARD_JUMP_S);
  }

  /** `process` when the frame configures, cuts, starts or ends a gap. */
  async #processSlow(frame: MediaFrame): Promise<void> {
    if (frame.config) {
      const id = `${frame.kind}:${frame.trackId}`;
      const previous = this.#configs.get(id);
      if (previous !== undefined && sameConfig(previous, frame)) return;
      // A new configuration mid-stream (an encoder restarting at another
      // resolution or codec): the frames after it must not land in a segment
      // declared under the old init segment. Cut here; the next segment
      // starts with EXT-X-DISCONTINUITY (RFC 8216bis §4.4.4.3) and, in fMP4,
      // a new EXT-X-MAP, built by a fresh muxer (startDiscontinuity).
      if (previous !== undefined && this.#started) {
        await this.startDiscontinuity();
      }
      this.#configs.set(id, frame);
      if (frame.kind === "video") {
        this.#hasVideo = true;
        this.#gap.keyframe(undefined); // not decodable with the new config
      }
      this.#muxer.configure(frame);
      return;
    }
    if (frame.kind === "data") return;
    if (this.#gap.active) {
      // Media is back: list the gap up to now; the next segment is a
      // discontinuity (startDiscontinuity ran at the stall).
      await this.#fillGap(this.#wallClock(), true);
      this.#gap.stop();
    }
    if (frame.kind === "video") this.#hasVideo = true;
    const t = frame.dts / frame.timescale;
    const driving = !this.#hasVideo || frame.kind === "video";
    if (this.#started && this.#isJump(t, driving)) {
      await this.startDiscontinuity();
    }
    if (!this.#started) {
      if (!driving || !frame.keyframe) return; // wait for a random-access point
      this.#started = true;
      await this.#openSegment(t);
    } else if (driving) {
      const start = this.#open!.startT;
      const cut = this.#policy.decide(
        t,
        frame.keyframe,
        start,
        this.#partStartT,
      );
      if (cut === "segment") {
        await this.#closeSegment(t, frame.dts, !frame.keyframe);
        await this.#openSegment(t);
      } else if (cut === "part") {
        await this.#closePart(t, frame.dts);
      }
    }
    this.#collect(frame, t, driving);
  }

  /** Add a media frame to the open part (no cut due). */
  #collect(frame: MediaFrame, t: number, driving: boolean): void {
    if (this.#frames.length === 0) {
      this.#partIndependent = driving && frame.keyframe;
      if (this.#prefixer && frame.kind === "video" && !frame.keyframe) {
        // A TS part starting between keyframes: repeat SPS/PPS in-band.
        frame = this.#prefixer.prefix(
          frame,
          this.#configs.get(`video:${frame.trackId}`),
        );
      }
    }
    this.#frames.push(frame);
    if (driving) {
      this.#policy.observe(t, frame.keyframe);
      this.#lastDrivingT = t;
      this.#lastDrivingWallMs = this.#wallClock();
      if (frame.kind === "video" && frame.keyframe) this.#gap.keyframe(frame);
    }
    this.#lastT = Math.max(this.#lastT, t);
    this.#timing.observe(frame);
    this.#lastTimescale = frame.timescale;
  }

  /**
   * Called on a timer while frames may have stopped. Once the driving track
   * has been silent for {@linkcode stallS} the open segment is closed where
   * its media ends and the listed timeline follows the wall clock with
   * filler segments of the target duration (`#addGapSegment`: a still
   * picture, or EXT-X-GAP without video), the first one reaching to now:
   * players whose live edge runs on the wall clock (Shaka Player evicts
   * every segment that ends before it, then stops for good) keep a timeline
   * to stand on while a publisher is away. The next media frame ends the
   * gap (`#endGap`) and starts a segment with EXT-X-DISCONTINUITY.
   */
  async idle(): Promise<void> {
    const now = this.#wallClock();
    if (!this.#gap.active) {
      const anchor = this.#anchor;
      if (!this.#started || this.#open === null || anchor === undefined) {
        return;
      }
      if (now - this.#lastDrivingWallMs < this.stallS * 1000) return;
      const endT = this.#timing.endT(this.#drivingKind, this.#lastT);
      const endMs = Math.round(anchor.wallMs + (endT - anchor.t) * 1000);
      // No EXT-X-PRELOAD-HINT while closing: the next segment is a filler
      // without parts (hls.js fails a playlist whose hinted segment comes
      // back under another URI: "media sequence mismatch").
      this.#started = false;
      await this.startDiscontinuity();
      this.#gap.start(Math.min(endMs, now), endT);
      await this.#fillGap(now, true);
      return;
    }
    await this.#fillGap(now, false);
  }

  /**
   * Silence of the driving track that counts as a stall, seconds: half the
   * target duration, at least four frame intervals (a camera at 1 fps).
   * Sooner is better for players: with a whole target duration hls.js
   * played 1.3 s instead of 2+ s after a 1.5 s drop (2 of 3 runs).
   */
  get stallS(): number {
    const interval = this.#timing.averageInterval(this.#drivingKind);
    return Math.max(this.#targetS / 2, 4 * interval);
  }

  #fillGap(now: number, rest: boolean): Promise<void> {
    return this.#gap.fill(
      now,
      rest,
      this.#hasVideo,
      (durationS, pdtMs, still) => this.#addFiller(durationS, pdtMs, still),
    );
  }

  /**
   * List one filler segment: the last video keyframe shown for the whole
   * duration (a still picture; on MPEG-TS with silent audio when the
   * stream has an AAC track, so every segment carries both tracks) on the
   * timeline of the media
   * before the gap, or, without video, an EXT-X-GAP segment whose file is
   * stored empty. A listed, loadable segment at the live edge matters:
   * Shaka Player raises a critical SEGMENT_MISSING (1011) and stops loading
   * when the newest segment is an EXT-X-GAP, and hls.js refuses a segment
   * without media.
   */
  async #addFiller(
    durationS: number,
    programDateTimeMs: number,
    still: StillPicture | null,
  ): Promise<void> {
    const msn = this.#window.nextMsn;
    const uri = this.segmentUri(msn);
    let bytes: Uint8Array | null = null;
    if (still !== null) {
      // Fmp4Muxer also reads nextDtsByKind (see `#mux`).
      const options = {
        sequenceNumber: ++this.#fragmentSequence,
        nextDts: still.nextDts,
        nextDtsByKind: { video: still.nextDts },
      };
      const frames = [still.frame, ...this.#fillerSilence(still)];
      try {
        bytes = this.#muxer.mux(frames, options);
      } catch (error) {
        this.#io.emit({ type: "muxError", error });
      }
    }
    const written = await this.#io.put(uri, bytes ?? new Uint8Array(0));
    const retired = this.#window.add(
      {
        msn,
        uri,
        durationS,
        discontinuity: false,
        programDateTimeMs,
        mapUri: this.#io.initUri,
        parts: [],
        gap: bytes === null || !written,
      },
      bytes?.length ?? 0,
      false,
    );
    await this.#publish();
    await this.#retire(retired);
  }

  async #retire(retired: HlsSegment[]): Promise<void> {
    for (const old of retired) {
      for (const name of [old.uri, ...old.parts.map((p) => p.uri)]) {
        await this.#io.delete(name);
      }
      this.#io.emit({ type: "segmentDeleted", msn: old.msn });
    }
  }

  /** Go on after another segmenter's segments: the first one is a discontinuity. */
  continueAfter(previousSegments: number): void {
    this.#pendingDiscontinuity = previousSegments > 0;
  }

  /** Close the open segment; the next one starts with EXT-X-DISCONTINUITY. */
  async startDiscontinuity(): Promise<void> {
    await this.closeAtEnd();
    this.#started = false;
    this.#pendingDiscontinuity = this.#window.completedCount > 0;
    this.#anchor = undefined;
    this.#lastT = 0;
    this.#lastDrivingT = 0;
    this.#policy.restart();
    this.#timing.restart();
    if (this.#ownsMuxer) {
      this.#muxer = createMuxer(this.#format);
      for (const config of this.#configs.values()) {
        this.#muxer.configure(config);
      }
    }
    this.#io.emit({ type: "discontinuity", nextMsn: this.#window.nextMsn });
  }

  async #openSegment(t: number): Promise<void> {
    this.#anchor ??= { wallMs: this.#wallClock(), t };
    // Audio-only fMP4 segments are `.m4a`: Shaka Player types the first
    // segments of a bare media playlist as video before it probes the init
    // segment, and `.m4s` maps to video/mp4 there; the later `audio/mp4`
    // segments then change the SourceBuffer's type without re-appending the
    // init segment and Chromium fails to parse them. `.m4a` (ISO BMFF audio)
    // is not a video extension to any player, so the type never flips.
    this.#extension = this.#format === "fmp4" && !this.#hasVideo
      ? AUDIO_ONLY_FMP4_EXTENSION
      : this.#muxer.extension;
    await this.#io.writeInit(this.#muxer);
    this.#open = {
      msn: this.#window.nextMsn,
      startT: t,
      discontinuity: this.#pendingDiscontinuity,
      programDateTimeMs: Math.round(
        this.#anchor.wallMs + (t - this.#anchor.t) * 1000,
      ),
      mapUri: this.#io.initUri,
      parts: [],
      partBytes: [],
    };
    this.#pendingDiscontinuity = false;
    this.#partStartT = t;
    this.#frames = [];
  }

  /** Mux the collected frames; null (and a muxError event) when the muxer throws. */
  #mux(nextDts: number): Uint8Array | null {
    try {
      // Fmp4Muxer also reads nextDtsByKind: the driving track ends exactly at
      // the cut, the other track at its own next frame (estimated).
      const driving = this.#drivingKind;
      const other = driving === "video" ? "audio" : "video";
      const options = {
        sequenceNumber: ++this.#fragmentSequence,
        nextDts,
        nextDtsByKind: {
          [driving]: nextDts,
          [other]: this.#timing.nextDts(other),
        },
      };
      return this.#muxer.mux(this.#frames, options);
    } catch (error) {
      this.#io.emit({ type: "muxError", error });
      return null;
    }
  }

  async #closePart(endT: number, nextDts: number): Promise<void> {
    const open = this.#open;
    if (!open || this.#frames.length === 0) return;
    const bytes = this.#mux(nextDts) ?? new Uint8Array(0);
    const index = open.parts.length;
    const uri = this.partUri(open.msn, index);
    const written = await this.#io.put(uri, bytes);
    const durationS = endT - this.#partStartT;
    open.parts.push({
      uri,
      durationS,
      independent: this.#partIndependent,
      // A part that could not be stored is listed GAP=YES (§4.4.4.9).
      ...(written ? {} : { gap: true }),
    });
    open.partBytes.push(bytes);
    this.#frames = [];
    this.#partStartT = endT;
    await this.#publish();
    if (!written) return; // the storageError event said why
    this.#io.emit({
      type: "part",
      msn: open.msn,
      part: index,
      key: this.#io.key(uri),
      durationS,
      independent: open.parts[index]!.independent,
    });
  }

  async #closeSegment(
    endT: number,
    nextDts: number,
    forced = false,
  ): Promise<void> {
    const open = this.#open;
    if (!open) return;
    // With parts the segment is their run, written piece by piece (never
    // joined in memory: one copy of each segment fewer).
    let bytes: Uint8Array | readonly Uint8Array[];
    if (this.#partTargetS !== undefined) {
      // The playlist published with this last part must hint part 0 of the
      // next segment, not a part of this one that will never come.
      this.#closing = true;
      try {
        await this.#closePart(endT, nextDts);
      } finally {
        this.#closing = false;
      }
      bytes = open.partBytes.slice(); // the run as closed
    } else {
      bytes = this.#frames.length
        ? this.#mux(nextDts) ?? new Uint8Array(0)
        : new Uint8Array(0);
      this.#frames = [];
    }
    const uri = this.segmentUri(open.msn);
    // A segment whose file (or init segment) could not be stored stays in
    // the timeline as EXT-X-GAP (§4.4.4.7), so players skip it, not 404.
    const size = bytes instanceof Uint8Array ? bytes.length : sizeOf(bytes);
    const written =
      await (bytes instanceof Uint8Array
        ? this.#io.put(uri, bytes)
        : this.#io.putChunks(uri, bytes)) &&
      (open.mapUri === undefined || await this.#io.ensureInit(open.mapUri));
    const durationS = Math.max(0, endT - open.startT);
    const { partBytes: _bytes, ...listed } = open;
    const retired = this.#window.add(
      { ...listed, uri, durationS, ...(written ? {} : { gap: true }) },
      size,
      forced,
    );
    this.#open = null;
    await this.#publish();
    if (written) {
      this.#io.emit({
        type: "segment",
        msn: open.msn,
        key: this.#io.key(uri),
        durationS,
        bytes: size,
      });
    }
    await this.#retire(retired);
  }

  /**
   * Silent audio under a still picture, for an MPEG-TS stream with an AAC
   * track (see `_silent_audio.ts`), in decode-time order with the picture;
   * fMP4 needs none (its init segment lists the audio track).
   */
  #fillerSilence(still: StillPicture): MediaFrame[] {
    if (this.#muxer.extension !== "ts") return [];
    const audio = [...this.#configs.values()].find((f) => f.kind === "audio");
    if (audio === undefined) return [];
    const timescale = still.frame.timescale;
    return silentAacFrames(
      audio,
      still.frame.dts / timescale,
      still.nextDts / timescale,
    );
  }

  /** Close the open segment where its media ends (stream end, discontinuity). */
  closeAtEnd(): Promise<void> {
    const kind = this.#drivingKind;
    const endT = this.#timing.endT(kind, this.#lastT);
    const nextDts = this.#timing.nextDts(kind) ??
      Math.round(endT * this.#lastTimescale);
    return this.#closeSegment(endT, nextDts);
  }

  get #drivingKind(): "video" | "audio" {
    return this.#hasVideo ? "video" : "audio";
  }

  /** File name of segment `msn`. */
  segmentUri(msn: number): string {
    return `seg${msn}.${this.#extension}`;
  }

  /** File name of part `part` of segment `msn`. */
  partUri(msn: number, part: number): string {
    return `seg${msn}.${part}.${this.#extension}`;
  }
}

function sizeOf(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.length;
  return n;
}
