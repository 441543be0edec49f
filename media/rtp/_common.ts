// Shared machinery of the payload formats: the packet writer (sequence
// number, SSRC, timestamp mapping; one allocation per packet), the sequence
// tracker (wrap-safe gap and late detection), the timeline (32-bit timestamp
// unwrapping onto a monotonic extended clock) and the DTS derivation used for
// video with frame reordering.
import type { CodecId, MediaFrame, TrackKind } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import type {
  RtpDepacketizerOptions,
  RtpDepacketizerStats,
  RtpPacketizerOptions,
} from "./types.ts";

/** Default maximum RTP packet size (header included). */
export const DEFAULT_MTU = 1200;
/** Largest frame a depacketizer reassembles; bigger ones are dropped. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** Most NAL units / AUs / fragments in one access unit. */
export const MAX_UNITS_PER_FRAME = 4096;
/** The timeline starts this many seconds in, so derived DTS values are never negative. */
export const TIMELINE_LEAD_SECONDS = 0.2;
/** A packet this far behind the expected sequence number means a restart, not a late packet. */
const MAX_LATE = 3000;

function randomU32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/** Writes the RTP header of every packet of one stream. */
export class PacketWriter {
  readonly payloadType: number;
  readonly ssrc: number;
  readonly clockRate: number;
  readonly mtu: number;
  /** Largest payload per packet (mtu minus the 12-byte header). */
  readonly maxPayload: number;
  #seq: number;
  #initialTs: number;
  lastTimestamp = 0;
  packets = 0;
  octets = 0;

  constructor(options: RtpPacketizerOptions, clockRate: number, minMtu = 64) {
    const mtu = options.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(mtu) || mtu < minMtu || mtu > 65_507) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create packetizer: mtu ${mtu} is outside ${minMtu}..65507`,
      );
    }
    const pt = options.payloadType;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create packetizer: payload type ${pt} is outside 0..127`,
      );
    }
    if (!(clockRate > 0 && Number.isInteger(clockRate))) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create packetizer: clock rate ${clockRate}`,
      );
    }
    this.payloadType = pt;
    this.ssrc = (options.ssrc ?? randomU32()) >>> 0;
    this.clockRate = clockRate;
    this.mtu = mtu;
    this.maxPayload = mtu - 12;
    this.#seq = (options.initialSequence ?? randomU32()) & 0xffff;
    this.#initialTs = (options.initialTimestamp ?? randomU32()) >>> 0;
  }

  get sequenceNumber(): number {
    return this.#seq;
  }

  /** The RTP timestamp of a frame's pts. */
  timestampOf(frame: MediaFrame): number {
    return this.rtpTimestamp(frame.pts, frame.timescale);
  }

  /** The RTP timestamp of `pts` ticks of `timescale`. */
  rtpTimestamp(pts: number, timescale: number): number {
    const ticks = timescale === this.clockRate
      ? pts
      : Math.round(pts * this.clockRate / timescale);
    return (this.#initialTs + ticks) >>> 0;
  }

  /** One packet: header + the parts, copied once. */
  packet(
    parts: readonly Uint8Array[],
    marker: boolean,
    ts: number,
  ): Uint8Array {
    let size = 12;
    for (const part of parts) size += part.length;
    const out = new Uint8Array(size);
    this.#write(out, 0, parts, marker, ts);
    return out;
  }

  /**
   * The packets of one access unit (same timestamp, marker on the last):
   * one allocation for all of them, each packet a view.
   */
  accessUnit(
    payloads: readonly (readonly Uint8Array[])[],
    ts: number,
  ): Uint8Array[] {
    let total = 0;
    for (const parts of payloads) {
      total += 12;
      for (const part of parts) total += part.length;
    }
    const buffer = new Uint8Array(total);
    const out: Uint8Array[] = [];
    let pos = 0;
    payloads.forEach((parts, i) => {
      const end = this.#write(
        buffer,
        pos,
        parts,
        i === payloads.length - 1,
        ts,
      );
      out.push(buffer.subarray(pos, end));
      pos = end;
    });
    return out;
  }

  #write(
    out: Uint8Array,
    at: number,
    parts: readonly Uint8Array[],
    marker: boolean,
    ts: number,
  ): number {
    out[at] = 0x80;
    out[at + 1] = (marker ? 0x80 : 0) | this.payloadType;
    out[at + 2] = this.#seq >> 8;
    out[at + 3] = this.#seq & 0xff;
    out[at + 4] = ts >>> 24;
    out[at + 5] = (ts >>> 16) & 0xff;
    out[at + 6] = (ts >>> 8) & 0xff;
    out[at + 7] = ts & 0xff;
    const s = this.ssrc;
    out[at + 8] = s >>> 24;
    out[at + 9] = (s >>> 16) & 0xff;
    out[at + 10] = (s >>> 8) & 0xff;
    out[at + 11] = s & 0xff;
    let pos = at + 12;
    for (const part of parts) {
      out.set(part, pos);
      pos += part.length;
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    this.lastTimestamp = ts;
    this.packets++;
    this.octets += pos - at - 12;
    return pos;
  }
}

/** Shared getters of every packetizer (the {@linkcode RtpPacketizer} surface). */
export abstract class PacketizerBase {
  protected readonly w: PacketWriter;

  constructor(writer: PacketWriter) {
    this.w = writer;
  }

  get clockRate(): number {
    return this.w.clockRate;
  }
  get ssrc(): number {
    return this.w.ssrc;
  }
  get sequenceNumber(): number {
    return this.w.sequenceNumber;
  }
  get lastTimestamp(): number {
    return this.w.lastTimestamp;
  }
  get stats(): { packets: number; octets: number } {
    return { packets: this.w.packets, octets: this.w.octets };
  }

  rtpTimestamp(pts: number, timescale: number): number {
    return this.w.rtpTimestamp(pts, timescale);
  }
}

/** Result of {@linkcode SequenceTracker.check}. */
export type SequenceCheck = "next" | "gap" | "late";

/** Wrap-safe sequence tracking. */
export class SequenceTracker {
  #expected = -1;
  lost = 0;
  late = 0;

  check(seq: number): SequenceCheck {
    if (this.#expected < 0) {
      this.#expected = (seq + 1) & 0xffff;
      return "next";
    }
    const diff = (seq - this.#expected) & 0xffff;
    if (diff === 0) {
      this.#expected = (seq + 1) & 0xffff;
      return "next";
    }
    if (diff >= 0x8000 && 0x10000 - diff <= MAX_LATE) {
      this.late++;
      return "late";
    }
    this.lost += diff < 0x8000 ? diff : 1;
    this.#expected = (seq + 1) & 0xffff;
    return "gap";
  }
}

/** Unwraps 32-bit RTP timestamps onto one monotonic extended timeline starting at the lead. */
export class RtpTimeline {
  readonly clockRate: number;
  readonly lead: number;
  #base: number | undefined;
  #lastRaw = 0;
  #ext = 0;
  #started = false;

  constructor(clockRate: number, base: number | undefined) {
    this.clockRate = clockRate;
    this.lead = Math.round(clockRate * TIMELINE_LEAD_SECONDS);
    this.#base = base === undefined ? undefined : base >>> 0;
  }

  /** The pts (clock-rate ticks) of an RTP timestamp. */
  pts(ts: number): number {
    if (!this.#started) {
      this.#started = true;
      const base = this.#base ?? ts;
      this.#lastRaw = ts;
      this.#ext = (ts - base) | 0;
      return this.#ext + this.lead;
    }
    this.#ext += (ts - this.#lastRaw) | 0;
    this.#lastRaw = ts;
    return this.#ext + this.lead;
  }
}

/**
 * Derives a monotonic DTS from PTS in decode order with a bounded reorder
 * window of `delay` frames: the DTS of a frame is the smallest of the
 * `delay + 1` largest PTS seen so far (so DTS <= PTS and never decreases).
 * A frame reordered deeper than the window gets DTS = previous + 1 and its
 * PTS raised to that DTS (counted in `clamped`).
 */
export class DtsDeriver {
  #delay: number;
  #step: number;
  /** Smallest DTS increase: 1 ms, so containers in ms (FLV) stay strictly increasing. */
  #minStep: number;
  #window: number[] = [];
  #last = -Infinity;
  clamped = 0;

  constructor(delay: number, clockRate: number) {
    this.#delay = delay;
    this.#step = Math.max(1, Math.round(clockRate / 30));
    this.#minStep = Math.max(1, Math.ceil(clockRate / 1000));
  }

  /** Change the window (a new SPS); keeps monotonicity. */
  setDelay(delay: number): void {
    if (delay !== this.#delay) {
      this.#delay = delay;
      this.#window = [];
    }
  }

  /** Returns [pts, dts] for the next frame in decode order. */
  next(pts: number): [number, number] {
    const w = this.#window;
    if (w.length !== this.#delay + 1) {
      w.length = 0;
      for (let j = this.#delay + 1; j >= 1; j--) w.push(pts - j * this.#step);
    }
    w[0] = pts;
    for (let i = 0; i < this.#delay && w[i]! > w[i + 1]!; i++) {
      const t = w[i]!;
      w[i] = w[i + 1]!;
      w[i + 1] = t;
    }
    let dts = Math.max(0, w[0]!);
    if (dts < this.#last + this.#minStep) {
      dts = this.#last + this.#minStep;
      if (pts < dts) {
        this.clamped++;
        pts = dts;
      }
    }
    this.#last = dts;
    return [pts, dts];
  }
}

/** Counters and helpers every depacketizer shares. */
export class DepacketizerCore {
  readonly codec: CodecId;
  readonly kind: TrackKind;
  readonly trackId: number;
  readonly timeline: RtpTimeline;
  readonly sequence: SequenceTracker = new SequenceTracker();
  packets = 0;
  droppedFrames = 0;
  #stats: { -readonly [K in keyof RtpDepacketizerStats]: number } = {
    packets: 0,
    lost: 0,
    late: 0,
    droppedFrames: 0,
  };

  constructor(
    codec: CodecId,
    kind: TrackKind,
    clockRate: number,
    options: RtpDepacketizerOptions | undefined,
  ) {
    if (
      !(clockRate > 0 && clockRate <= 1_000_000 && Number.isInteger(clockRate))
    ) {
      throw new StreamError(
        "InvalidInput",
        `Cannot create depacketizer: clock rate ${clockRate}`,
      );
    }
    this.codec = codec;
    this.kind = kind;
    this.trackId = options?.trackId ?? 0;
    this.timeline = new RtpTimeline(clockRate, options?.baseTimestamp);
  }

  get stats(): RtpDepacketizerStats {
    const s = this.#stats;
    s.packets = this.packets;
    s.lost = this.sequence.lost;
    s.late = this.sequence.late;
    s.droppedFrames = this.droppedFrames;
    return s;
  }

  frame(
    data: Uint8Array,
    pts: number,
    dts: number,
    keyframe: boolean,
    config: boolean,
  ): MediaFrame {
    return {
      kind: this.kind,
      codec: this.codec,
      trackId: this.trackId,
      pts,
      dts,
      timescale: this.timeline.clockRate,
      keyframe,
      config,
      data,
    };
  }
}

/** Joins parts into one new array. */
export function concat(
  parts: readonly Uint8Array[],
  size?: number,
): Uint8Array {
  let total = size ?? 0;
  if (size === undefined) { for (const p of parts) total += p.length; }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Case-insensitive fmtp lookup. */
export function fmtpValue(
  fmtp: Record<string, string>,
  key: string,
): string | undefined {
  const want = key.toLowerCase();
  for (const [k, v] of Object.entries(fmtp)) {
    if (k.toLowerCase() === want) return v;
  }
  return undefined;
}

/** Equal bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
