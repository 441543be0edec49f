// Access-unit assembly shared by the video depacketizers: collects units
// (NAL units, OBUs, frame partitions) of one RTP timestamp as lists of views
// into the pushed packets (no copy until the frame is written once), ends an
// AU on the marker bit or a timestamp change, and drops an AU touched by a
// sequence gap together with everything up to the next keyframe.
import type { CodecId, MediaFrame } from "../frame.ts";
import {
  DepacketizerCore,
  MAX_FRAME_BYTES,
  MAX_UNITS_PER_FRAME,
} from "./_common.ts";
import type { RtpPacket } from "./rtp_packet.ts";
import type { RtpDepacketizerOptions, RtpDepacketizerStats } from "./types.ts";

/** One unit of an AU: its parts (views) and total length. */
export interface Unit {
  parts: Uint8Array[];
  length: number;
}

/** The AU being assembled. */
export class AccessUnitState {
  ts: number | undefined = undefined;
  broken = false;
  units: Unit[] = [];
  size = 0;
  /** A unit being reassembled from fragments, or null. */
  fragment: Unit | null = null;

  reset(ts: number | undefined, broken: boolean): void {
    this.ts = ts;
    this.broken = broken;
    this.units = [];
    this.size = 0;
    this.fragment = null;
  }

  get touched(): boolean {
    return this.units.length > 0 || this.fragment !== null || this.broken;
  }

  /** Adds a whole unit; marks the AU broken beyond the limits. */
  add(unit: Uint8Array): void {
    this.addUnit({ parts: [unit], length: unit.length });
  }

  addUnit(unit: Unit): void {
    if (unit.length === 0) return;
    this.size += unit.length;
    if (
      this.units.length >= MAX_UNITS_PER_FRAME || this.size > MAX_FRAME_BYTES
    ) {
      this.broken = true;
      return;
    }
    this.units.push(unit);
  }

  startFragment(first: Uint8Array[]): void {
    if (this.fragment !== null) this.broken = true;
    let length = 0;
    for (const p of first) length += p.length;
    this.fragment = { parts: first, length };
  }

  continueFragment(part: Uint8Array, end: boolean): void {
    const f = this.fragment;
    if (f === null) {
      this.broken = true;
      return;
    }
    if (
      f.parts.length >= MAX_UNITS_PER_FRAME * 4 || f.length > MAX_FRAME_BYTES
    ) {
      this.broken = true;
      this.fragment = null;
      return;
    }
    f.parts.push(part);
    f.length += part.length;
    if (end) {
      this.fragment = null;
      this.addUnit(f);
    }
  }
}

/** Base of the video depacketizers. */
export abstract class VideoDepacketizer {
  protected readonly core: DepacketizerCore;
  protected readonly au: AccessUnitState = new AccessUnitState();
  /** Dropping until the next keyframe (start, and after every loss). */
  protected waitKeyframe = true;

  constructor(
    codec: CodecId,
    clockRate: number,
    options?: RtpDepacketizerOptions,
  ) {
    this.core = new DepacketizerCore(codec, "video", clockRate, options);
  }

  get stats(): RtpDepacketizerStats {
    return this.core.stats;
  }

  push(packet: RtpPacket): MediaFrame[] {
    const core = this.core;
    core.packets++;
    const check = core.sequence.check(packet.sequenceNumber);
    if (check === "late") return [];
    const out: MediaFrame[] = [];
    const au = this.au;
    if (check === "gap") {
      // The lost packets may be the tail of the AU in progress (no marker
      // seen) or the head of this packet's AU: both are dropped unless this
      // packet provably starts an AU right after a marker. Either way what
      // follows may reference a lost picture: wait for a keyframe.
      this.waitKeyframe = true;
      const clean = !au.touched && this.auStart(packet.payload);
      if (au.touched) {
        au.broken = true;
        this.#finish(out);
      }
      au.reset(packet.timestamp, !clean);
    } else if (au.ts !== packet.timestamp) {
      this.#finish(out);
      au.reset(packet.timestamp, false);
    }
    if (!au.broken) this.payload(packet.payload);
    if (packet.marker) {
      this.#finish(out);
      au.reset(undefined, false);
    }
    return out;
  }

  #finish(out: MediaFrame[]): void {
    const au = this.au;
    if (au.ts === undefined || !au.touched) return;
    if (au.broken || au.fragment !== null) {
      this.core.droppedFrames++;
      this.waitKeyframe = true;
      return;
    }
    const pts = this.core.timeline.pts(au.ts);
    const before = out.length;
    this.complete(au.units, pts, out);
    if (out.length === before) return;
    const last = out[out.length - 1]!;
    if (last.config) return;
    if (this.waitKeyframe && !last.keyframe) {
      out.pop();
      this.core.droppedFrames++;
      return;
    }
    if (last.keyframe) this.waitKeyframe = false;
  }

  /** True when a payload certainly begins an access unit (used after a loss). */
  protected auStart(_payload: Uint8Array): boolean {
    return false;
  }

  /** Adds one packet payload to `this.au` (sets `au.broken` on malformed data). */
  protected abstract payload(payload: Uint8Array): void;

  /** Turns a complete AU into config and media frames appended to `out`. */
  protected abstract complete(
    units: Unit[],
    pts: number,
    out: MediaFrame[],
  ): void;
}

/** Writes units as 4-byte length-prefixed NAL units (one allocation). */
export function writeLengthPrefixed(units: readonly Unit[]): Uint8Array {
  let size = 0;
  for (const u of units) size += 4 + u.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const u of units) {
    const n = u.length;
    out[pos] = n >>> 24;
    out[pos + 1] = (n >>> 16) & 0xff;
    out[pos + 2] = (n >>> 8) & 0xff;
    out[pos + 3] = n & 0xff;
    pos += 4;
    for (const p of u.parts) {
      out.set(p, pos);
      pos += p.length;
    }
  }
  return out;
}

/** The unit's bytes as one array (a view when it has one part). */
export function unitBytes(u: Unit): Uint8Array {
  if (u.parts.length === 1) return u.parts[0]!;
  const out = new Uint8Array(u.length);
  let pos = 0;
  for (const p of u.parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** First byte of a unit. */
export function unitByte(u: Unit, index: number): number {
  let i = index;
  for (const p of u.parts) {
    if (i < p.length) return p[i]!;
    i -= p.length;
  }
  return 0;
}
