/**
 * {@linkcode MpegTsMuxer}: frames to MPEG-2 transport stream segments
 * (H.264, H.265, AAC as ADTS, MP3, Opus).
 *
 * Specification: ISO/IEC 13818-1 (ITU-T H.222.0) — §2.4.3.2 transport packet,
 * §2.4.3.3 continuity counter, §2.4.3.4 adaptation field (PCR,
 * random_access_indicator, stuffing), §2.4.3.6–7 PES packet (PTS/DTS),
 * §2.4.4.3 PAT, §2.4.4.8 PMT, Annex A CRC-32; §2.14 (AVC) and §2.17 (HEVC)
 * carriage as Annex B byte streams with access unit delimiters.
 *
 * Output of one `mux()` call (every packet 188 bytes):
 *
 * ```
 * ┌ PAT  PID 0x0000  PUSI  program 1 → PMT PID
 * ├ PMT  PID 0x1000  PUSI  PCR_PID, {stream_type, PID, descriptors}
 * └ per frame, decode order: one PES split over N packets
 *     packet 1:  4-byte header (PUSI=1, PID, CC)
 *                [adaptation field: RAI on keyframes, PCR on the PCR PID]
 *                PES header: 00 00 01 stream_id len flags PTS [DTS]
 *                ES: video  AUD [SPS PPS | VPS SPS PPS before IDR] NAL units (Annex B)
 *                    AAC    ADTS header + raw frame
 *                    Opus   opus_control_header + packet
 *     packet 2…N: 4-byte header (PUSI=0, CC+1…)
 *                [stuffing adaptation field on the last packet only]
 *                ES bytes (continued)
 * ```
 *
 * Timestamps: each frame's `pts`/`dts` is converted on its own from the
 * frame's timescale to 90 kHz (exact integer arithmetic, no accumulation) and
 * wrapped to 33 bits. The PCR (on the first video PID, else the first audio
 * PID) equals the DTS of the PES that carries it. Continuity counters persist
 * across `mux()` calls, so consecutive segments play as one stream.
 *
 * Data path: a sizing pass turns each frame into a plan (views of the frame's
 * NAL units plus small headers) and counts packets; the output is allocated
 * once and every packet is written in place. The plans and the list of
 * views are the muxer's own, reused from call to call (no object per frame
 * once they have grown to a batch's size), and the views are dropped after
 * each call. Memory is bounded by the largest batch.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import type { Muxer } from "../muxer.ts";
import { StreamError } from "../stream_error.ts";
import {
  audioPieces,
  configureTrack,
  newTrack,
  PieceList,
  type TrackState,
  videoPieces,
} from "./_elementary_stream.ts";
import {
  countPesPackets,
  type PesPlan,
  writePesPackets,
} from "./_pes_packetizer.ts";
import { writePat, writePmt } from "./_psi.ts";

/**
 * Size of one transport packet (§2.4.3.2).
 *
 * @example Packet size
 * ```ts
 * import { MPEGTS_PACKET_BYTES } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 * assert.equal(MPEGTS_PACKET_BYTES, 188);
 * ```
 */
export const MPEGTS_PACKET_BYTES: number = 188;

/** A reusable {@linkcode PesPlan}. */
type PlanSlot = { -readonly [K in keyof PesPlan]-?: PesPlan[K] };

/** PTS/DTS/PCR base are 33-bit counters (§2.4.3.7). */
const WRAP_33 = 2 ** 33;
/** PCR_PID value meaning "no PCR" (§2.4.4.9). */
const NO_PCR_PID = 0x1fff;
const SUPPORTED = "h264, h265, aac, mp3, opus";

/**
 * Options for {@linkcode MpegTsMuxer}.
 *
 * @example Use other PIDs
 * ```ts
 * import { MpegTsMuxer } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const muxer = new MpegTsMuxer({ pmtPid: 0x20, audioPid: 0x41 });
 * const ts = muxer.mux([{ kind: "audio", codec: "mp3", trackId: 0, pts: 0, dts: 0,
 *   timescale: 90000, keyframe: true, config: false, data: new Uint8Array([0xff, 0xfb]) }]);
 * assert.equal(((ts[188 + 1]! & 0x1f) << 8) | ts[188 + 2]!, 0x20); // PMT packet
 * assert.equal(((ts[376 + 1]! & 0x1f) << 8) | ts[376 + 2]!, 0x41); // audio PES
 * ```
 */
export interface MpegTsMuxerOptions {
  /** PID of video track 0 (default 0x100); track n uses `videoPid + 2n`. */
  videoPid?: number;
  /** PID of audio track 0 (default 0x101); track n uses `audioPid + 2n`. */
  audioPid?: number;
  /** PMT PID (default 0x1000). */
  pmtPid?: number;
  /** program_number (default 1). */
  programNumber?: number;
  /** transport_stream_id (default 1). */
  transportStreamId?: number;
}

/**
 * Convert a timestamp to 90 kHz ticks, exactly and overflow-safe, wrapped to
 * 33 bits.
 *
 * @param ticks timestamp in `timescale` units
 * @param timescale ticks per second
 * @returns `round(ticks * 90000 / timescale) mod 2^33`
 *
 * @example 29.97 fps frame 1799 (timescale 30000)
 * ```ts
 * import { toMpegTsTime } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 * assert.equal(toMpegTsTime(1799 * 1001, 30000), 1799 * 3003);
 * assert.equal(toMpegTsTime(2 ** 33 + 90, 90000), 90); // wraps at 33 bits
 * ```
 */
export function toMpegTsTime(ticks: number, timescale: number): number {
  let t: number;
  if (timescale === 90000) t = ticks;
  else if (timescale === 1000) t = ticks * 90;
  else {
    const whole = Math.floor(ticks / timescale);
    t = whole * 90000 +
      Math.round((ticks - whole * timescale) * 90000 / timescale);
  }
  return ((t % WRAP_33) + WRAP_33) % WRAP_33;
}

/**
 * The MPEG-TS {@linkcode Muxer}: `mux()` returns PAT + PMT + one PES per frame
 * as 188-byte packets; `initSegment()` is null.
 *
 * @example Mux an AAC frame
 * ```ts
 * import { MpegTsMuxer } from "@arcly/stream/mpegts";
 * import assert from "node:assert/strict";
 *
 * const muxer = new MpegTsMuxer();
 * muxer.configure({ kind: "audio", codec: "aac", trackId: 0, pts: 0, dts: 0,
 *   timescale: 44100, keyframe: true, config: true, data: new Uint8Array([0x12, 0x10]) });
 * const ts = muxer.mux([{ kind: "audio", codec: "aac", trackId: 0, pts: 1024, dts: 1024,
 *   timescale: 44100, keyframe: true, config: false, data: new Uint8Array(100) }]);
 * assert.equal(ts.length, 3 * 188); // PAT, PMT, one PES packet
 * assert.equal(ts[0], 0x47);
 * assert.equal(muxer.initSegment(), null);
 * ```
 */
export class MpegTsMuxer implements Muxer {
  /** Always "mpegts". */
  readonly format: "mpegts" = "mpegts";
  /** Always "ts". */
  readonly extension: string = "ts";
  /** Always "video/mp2t". */
  readonly mimeType: string = "video/mp2t";
  #tracks = new Map<string, TrackState>();
  /** The same tracks by trackId, per kind (a lookup per frame without a string key). */
  #video = new Map<number, TrackState>();
  #audio = new Map<number, TrackState>();
  /** The plans of the current call: the first `#planCount` of `#plans`. */
  #plans: PlanSlot[] = [];
  #planCount = 0;
  /** The ES views of every plan of the current call. */
  #pieces = new PieceList();
  #cc = new Map<number, number>();
  #pmtSignature = "";
  #pmtVersion = -1;
  #videoPid: number;
  #audioPid: number;
  #pmtPid: number;
  #programNumber: number;
  #transportStreamId: number;

  /**
   * Create a muxer with no tracks yet.
   *
   * @param options PIDs and program identifiers
   */
  constructor(options: MpegTsMuxerOptions = {}) {
    this.#videoPid = options.videoPid ?? 0x100;
    this.#audioPid = options.audioPid ?? 0x101;
    this.#pmtPid = options.pmtPid ?? 0x1000;
    this.#programNumber = options.programNumber ?? 1;
    this.#transportStreamId = options.transportStreamId ?? 1;
  }

  /**
   * Take a config frame (avcC, hvcC, AudioSpecificConfig, OpusHead); this
   * also registers the track in the PMT.
   *
   * @param frame the config frame
   * @throws {StreamError} code `Unsupported` for codecs TS cannot carry here
   * @throws {BitstreamError} for a malformed config record
   */
  configure(frame: MediaFrame): void {
    const track = this.#track(frame);
    if (track !== undefined) configureTrack(track, frame);
  }

  /**
   * MPEG-TS has no initialization segment.
   *
   * @returns null
   */
  initSegment(): null {
    return null;
  }

  /**
   * Bytes `mux(frames)` would return (config frames in `frames` are applied).
   *
   * @param frames the frames, decode order
   * @returns the byte length, a multiple of 188
   */
  byteLengthOf(frames: readonly MediaFrame[]): number {
    try {
      return this.#plan(frames) * MPEGTS_PACKET_BYTES;
    } finally {
      this.#pieces.clear();
    }
  }

  /**
   * Write PAT, PMT and the PES packets of `frames` into `dst` at `offset`.
   *
   * @param frames the frames, decode order
   * @param dst destination with {@linkcode MpegTsMuxer.byteLengthOf} bytes free
   * @param offset where to start
   * @returns the offset after the last packet
   * @throws {RangeError} when `dst` is too small
   */
  writeInto(
    frames: readonly MediaFrame[],
    dst: Uint8Array,
    offset: number,
  ): number {
    try {
      const packets = this.#plan(frames);
      if (offset + packets * MPEGTS_PACKET_BYTES > dst.length) {
        throw new RangeError(
          `Cannot write MPEG-TS: ${packets} packets need ${
            packets * MPEGTS_PACKET_BYTES
          } bytes at offset ${offset}, buffer holds ${dst.length}`,
        );
      }
      return this.#write(dst, offset);
    } finally {
      this.#pieces.clear();
    }
  }

  /**
   * Mux frames into one segment: PAT, PMT, then one PES per media frame.
   * Config frames update the configuration; data frames are skipped.
   *
   * @param frames the frames, decode order, mixed tracks
   * @returns the transport stream bytes (one allocation)
   * @throws {StreamError} `Unsupported` codec, `InvalidInput` AAC without config
   * @throws {BitstreamError} for malformed access units
   */
  mux(frames: readonly MediaFrame[]): Uint8Array {
    try {
      const packets = this.#plan(frames);
      const out = new Uint8Array(packets * MPEGTS_PACKET_BYTES);
      this.#write(out, 0);
      return out;
    } finally {
      this.#pieces.clear();
    }
  }

  #track(frame: MediaFrame): TrackState | undefined {
    if (frame.kind === "data") return undefined;
    const byId = frame.kind === "video" ? this.#video : this.#audio;
    let track = byId.get(frame.trackId);
    if (track !== undefined && track.codec === frame.codec) return track;
    const key = `${frame.kind}:${frame.trackId}`;
    if (track === undefined) {
      const base = frame.kind === "video" ? this.#videoPid : this.#audioPid;
      track = newTrack(frame, base + 2 * frame.trackId);
      if (track === undefined) {
        throw new StreamError(
          "Unsupported",
          `Cannot mux ${frame.codec} into MPEG-TS: codec not supported (supported: ${SUPPORTED})`,
        );
      }
      this.#tracks.set(key, track);
      byId.set(frame.trackId, track);
    } else if (track.codec !== frame.codec) {
      throw new StreamError(
        "Unsupported",
        `Cannot mux ${frame.codec} on ${key}: the track carries ${track.codec}`,
      );
    }
    return track;
  }

  #orderedTracks(): TrackState[] {
    return [...this.#tracks.values()].sort((a, b) =>
      a.kind === b.kind ? a.trackId - b.trackId : a.kind === "video" ? -1 : 1
    );
  }

  /** Plan every PES of `frames` into `#plans`; returns the packet count. */
  #plan(frames: readonly MediaFrame[]): number {
    const pieces = this.#pieces;
    pieces.clear();
    this.#planCount = 0;
    for (const frame of frames) {
      if (frame.config) this.configure(frame);
      else this.#track(frame);
    }
    const pcrPid = this.#orderedTracks()[0]?.pid ?? NO_PCR_PID;
    const audioOnly = this.#video.size === 0;
    const plans = this.#plans;
    let packets = 2; // PAT + PMT
    for (const frame of frames) {
      if (frame.config || frame.kind === "data") continue;
      const track = this.#track(frame)!;
      const firstPiece = pieces.length;
      pieces.headLength = 0;
      const esLength = track.kind === "video"
        ? videoPieces(track, frame, pieces)
        : audioPieces(track, frame, pieces);
      const dts = toMpegTsTime(frame.dts, frame.timescale);
      let plan = plans[this.#planCount];
      if (plan === undefined) {
        plan = {
          pid: 0,
          streamId: 0,
          pts: 0,
          dts: 0,
          pcr: -1,
          randomAccess: false,
          pieces: pieces.items,
          firstPiece: 0,
          pieceCount: 0,
          head: pieces.bytes,
          headAt: 0,
          headLength: 0,
          esLength: 0,
        };
        plans.push(plan);
      }
      this.#planCount++;
      plan.pid = track.pid;
      plan.streamId = track.streamId;
      plan.pts = toMpegTsTime(frame.pts, frame.timescale);
      plan.dts = dts;
      plan.pcr = track.pid === pcrPid ? dts : -1;
      plan.randomAccess = track.kind === "video" ? frame.keyframe : audioOnly;
      plan.firstPiece = firstPiece;
      plan.pieceCount = pieces.length - firstPiece;
      plan.head = pieces.bytes;
      plan.headAt = pieces.headAt;
      plan.headLength = pieces.headLength;
      plan.esLength = esLength;
      packets += countPesPackets(plan);
    }
    return packets;
  }

  #write(dst: Uint8Array, offset: number): number {
    const tracks = this.#orderedTracks();
    const streams = tracks.map((t) => ({
      streamType: t.streamType,
      pid: t.pid,
      descriptors: t.descriptors,
    }));
    const signature = streams.map((s) =>
      `${s.pid}:${s.streamType}:${s.descriptors.join(",")}`
    ).join(";");
    if (signature !== this.#pmtSignature) {
      this.#pmtSignature = signature;
      this.#pmtVersion = (this.#pmtVersion + 1) & 0x1f;
    }
    writePat(dst, offset, this.#nextCc(0, 1), {
      transportStreamId: this.#transportStreamId,
      programNumber: this.#programNumber,
      pmtPid: this.#pmtPid,
    });
    writePmt(dst, offset + 188, this.#nextCc(this.#pmtPid, 1), {
      pmtPid: this.#pmtPid,
      programNumber: this.#programNumber,
      version: this.#pmtVersion,
      pcrPid: tracks[0]?.pid ?? NO_PCR_PID,
      streams,
    });
    let pos = offset + 2 * MPEGTS_PACKET_BYTES;
    const plans = this.#plans;
    for (let i = 0; i < this.#planCount; i++) {
      const plan = plans[i]!;
      const count = countPesPackets(plan);
      pos = writePesPackets(plan, dst, pos, this.#nextCc(plan.pid, count));
    }
    return pos;
  }

  /** Reserve `count` continuity counter values of `pid`; returns the first. */
  #nextCc(pid: number, count: number): number {
    const cc = this.#cc.get(pid) ?? 0;
    this.#cc.set(pid, (cc + count) & 0x0f);
    return cc;
  }
}
