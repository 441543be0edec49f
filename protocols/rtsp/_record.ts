/**
 * RTSP RECORD ingest (ANNOUNCE + SETUP mode=record + RECORD): RTP packets
 * from a publisher (TCP-interleaved or UDP) → one depacketizer per announced
 * track (`media/rtp`) → frames published to the stream.
 *
 * Data path: each packet is parsed in place (the payload is a view of the
 * interleaved frame or datagram), the depacketizer assembles access units
 * (copying the NAL units once into the AVCC frame) and the frames go to
 * `handle.publishFrame` as they complete. Frames broken by loss are dropped
 * by the depacketizer until the next keyframe. Tracks are aligned on
 * arrival: a track's first packet maps to the time since the session's first
 * packet, so audio and video start together however the publisher picked
 * its random RTP timestamps.
 *
 * Memory: one depacketizer per track (at most one access unit in assembly,
 * bounded by `media/rtp`'s frame limits).
 *
 * @module
 */
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import {
  createDepacketizer,
  parseRtpPacket,
  type RtpDepacketizer,
  type RtpFormat,
  type RtpPacket,
  RtpReorderBuffer,
} from "../../media/rtp/mod.ts";
import {
  rtpFormatOf,
  type SdpMedia,
  type SessionDescription,
} from "../../media/sdp/mod.ts";

/** One media section of an announced (or described) SDP. */
export interface AnnouncedTrack {
  /** Media type ("video", "audio", …). */
  type: string;
  /** The `a=control` value (or "" when absent). */
  control: string;
  /** First payload type and its format. */
  payloadType: number;
  /** rtpmap + fmtp, or undefined when the payload type is unknown. */
  format: RtpFormat | undefined;
}

/**
 * The tracks of an SDP, in order (RTP media sections only).
 *
 * @param sdp a parsed session description
 * @returns one entry per media section
 */
export function tracksOf(sdp: SessionDescription): AnnouncedTrack[] {
  return sdp.media.map((m: SdpMedia) => ({
    type: m.type,
    control: m.control ?? "",
    payloadType: m.formats[0] ?? -1,
    format: rtpFormatOf(m),
  }));
}

/** Frames out, problems reported once per track. */
export interface RecordSink {
  /** Completed frames, in order per track. */
  frames(frames: MediaFrame[]): void;
  /** A track cannot be depacketized (reported once per track). */
  unsupported(track: number, error: StreamError): void;
}

interface TrackState {
  depacketizer: RtpDepacketizer | null;
  failed: boolean;
  reorder?: RtpReorderBuffer;
}

/** Options of {@linkcode RecordIngest}. */
export interface RecordIngestOptions {
  /** Reorder packets by sequence number (UDP); default false (TCP is in order). */
  reorder?: boolean;
  /**
   * Per-track RTP timestamp of the common start (RTSP `RTP-Info` rtptime):
   * tracks with one are aligned on it instead of on arrival.
   */
  bases?: readonly (number | undefined)[];
}

/** Depacketizes the announced tracks of one publisher (see the module doc). */
export class RecordIngest {
  #tracks: AnnouncedTrack[];
  #state: (TrackState | undefined)[];
  #sink: RecordSink;
  #trackIds: number[];
  #now: () => number;
  #startedAt: number | undefined;
  /** RTP packets received (all tracks). */
  packets = 0;
  /** Packets that did not parse as RTP. */
  malformed = 0;

  #options: RecordIngestOptions;

  constructor(
    tracks: AnnouncedTrack[],
    sink: RecordSink,
    now: () => number,
    options: RecordIngestOptions = {},
  ) {
    this.#options = options;
    this.#tracks = tracks;
    this.#state = tracks.map(() => undefined);
    const perType = new Map<string, number>();
    this.#trackIds = tracks.map((t) => {
      const n = perType.get(t.type) ?? 0;
      perType.set(t.type, n + 1);
      return n;
    });
    this.#sink = sink;
    this.#now = now;
  }

  /** Frames dropped by the depacketizers (loss, waiting for a keyframe). */
  get droppedFrames(): number {
    let n = 0;
    for (const s of this.#state) n += s?.depacketizer?.stats.droppedFrames ?? 0;
    return n;
  }

  /** Packets lost (sequence gaps) over all tracks. */
  get lost(): number {
    let n = 0;
    for (const s of this.#state) n += s?.depacketizer?.stats.lost ?? 0;
    return n;
  }

  /**
   * One RTP packet of track `index`.
   *
   * @param index the track (its position in the SDP)
   * @param bytes the packet (viewed, not copied, until the frame is built)
   */
  push(index: number, bytes: Uint8Array): void {
    const track = this.#tracks[index];
    if (track === undefined) return;
    let packet;
    try {
      packet = parseRtpPacket(bytes);
    } catch {
      this.malformed++;
      return;
    }
    this.packets++;
    let state = this.#state[index];
    if (state === undefined) {
      state = this.#open(index, track, packet.timestamp);
      this.#state[index] = state;
    }
    if (state.depacketizer === null) return;
    const ordered = state.reorder
      ? state.reorder.push(packet, this.#now())
      : [packet];
    for (const p of ordered) this.#depacketize(index, state, p);
  }

  /** Release packets held too long by the reorder buffers (call periodically). */
  poll(): void {
    const now = this.#now();
    this.#state.forEach((state, index) => {
      if (state?.reorder === undefined) return;
      for (const p of state.reorder.poll(now)) {
        this.#depacketize(index, state, p);
      }
    });
  }

  #depacketize(index: number, state: TrackState, packet: RtpPacket): void {
    if (state.depacketizer === null) return;
    let frames: MediaFrame[];
    try {
      frames = state.depacketizer.push(packet);
    } catch (error) {
      if (!state.failed) {
        state.failed = true;
        this.#sink.unsupported(
          index,
          error instanceof StreamError ? error : new StreamError(
            "InvalidInput",
            `Cannot depacketize track ${index}: ${String(error)}`,
          ),
        );
      }
      return;
    }
    if (frames.length > 0) this.#sink.frames(frames);
  }

  #open(index: number, track: AnnouncedTrack, firstTs: number): TrackState {
    const now = this.#now();
    this.#startedAt ??= now;
    if (track.format === undefined) {
      this.#sink.unsupported(
        index,
        new StreamError(
          "Unsupported",
          `Cannot depacketize track ${index}: payload type ${track.payloadType} has no rtpmap`,
        ),
      );
      return { depacketizer: null, failed: true };
    }
    const offset = Math.round(
      (now - this.#startedAt) * track.format.clockRate / 1000,
    );
    const base = this.#options.bases?.[index] ?? ((firstTs - offset) >>> 0);
    try {
      const state: TrackState = {
        depacketizer: createDepacketizer(track.format, {
          baseTimestamp: base,
          trackId: this.#trackIds[index] ?? 0,
        }),
        failed: false,
      };
      if (this.#options.reorder) {
        state.reorder = new RtpReorderBuffer({
          capacity: 256,
          maxDelayMs: 100,
        });
      }
      return state;
    } catch (error) {
      this.#sink.unsupported(
        index,
        error instanceof StreamError
          ? error
          : new StreamError("Unsupported", String(error)),
      );
      return { depacketizer: null, failed: true };
    }
  }
}
