/**
 * H.264 / H.265 elementary streams of the demuxer: one PES (an Annex B
 * access unit) in, an avcC/hvcC config frame when the parameter sets change
 * and one AVCC media frame out.
 *
 * Specification: ISO/IEC 13818-1 §2.14 (AVC) and §2.17 (HEVC) carriage;
 * ITU-T H.264 Annex B and §7.4.1.2.3 (AUD, SPS, PPS placement); ITU-T H.265
 * §7.4.2.4.4 (VPS/SPS/PPS, IRAP and leading pictures); ISO/IEC 14496-15
 * (avcC/hvcC, 4-byte length prefixes).
 *
 * Access unit delimiters, parameter sets and filler data are removed from
 * media frames; the parameter sets go to the config frame (built with the
 * codec module's builders). Decoding starts — and restarts after damage — at
 * a keyframe; leading pictures of that keyframe (presented before it, e.g.
 * RASL after a CRA) are skipped, since their references are gone.
 *
 * Data path: NAL units are views of the PES buffer; each media frame is one
 * exact-size allocation the NAL units are copied into once. Parameter sets
 * are copied (they outlive the PES buffer), at most a few per stream.
 *
 * @module
 */
import type { MediaFrame } from "../frame.ts";
import { StreamError } from "../stream_error.ts";
import {
  buildAvcDecoderConfig,
  buildHevcDecoderConfig,
  splitAnnexB,
} from "../codec/mod.ts";

/** What happened to one access unit. */
export type VideoResult = "frame" | "skipped" | "malformed" | "empty";

function sameSets(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

/** Distinct sets (by bytes), copied out of the PES buffer. */
function collect(units: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const unit of units) {
    if (!out.some((o) => sameSets([o], [unit]))) out.push(unit.slice());
  }
  return out;
}

/** State of one H.264 or H.265 elementary stream. */
export class VideoEs {
  readonly codec: "h264" | "h265";
  readonly trackId: number;
  #vps: Uint8Array[] = [];
  #sps: Uint8Array[] = [];
  #pps: Uint8Array[] = [];
  #hasConfig = false;
  #needKeyframe = true;
  /** pts of the keyframe we (re)started at: earlier pts are leading pictures. */
  #leadingBefore = -Infinity;

  /**
   * @param codec h264 or h265
   * @param trackId the frame trackId
   */
  constructor(codec: "h264" | "h265", trackId: number) {
    this.codec = codec;
    this.trackId = trackId;
  }

  /** Whether frames are being skipped until the next keyframe. */
  get waitingForKeyframe(): boolean {
    return this.#needKeyframe;
  }

  /** Damage upstream: skip until the next keyframe. */
  damage(): void {
    this.#needKeyframe = true;
  }

  /**
   * Turn one access unit into frames.
   *
   * @param es the Annex B bytes of the PES
   * @param pts unwrapped PTS (90 kHz)
   * @param dts unwrapped DTS
   * @param randomAccess the PES's random_access_indicator
   * @param out receives the config frame (if changed) and the media frame
   * @returns what happened
   */
  accessUnit(
    es: Uint8Array,
    pts: number,
    dts: number,
    randomAccess: boolean,
    out: MediaFrame[],
  ): VideoResult {
    let units: Uint8Array[];
    try {
      units = splitAnnexB(es);
    } catch (error) {
      if (error instanceof StreamError) return "malformed";
      throw error;
    }
    const h264 = this.codec === "h264";
    const vps: Uint8Array[] = [],
      sps: Uint8Array[] = [],
      pps: Uint8Array[] = [];
    let size = 0;
    let count = 0;
    let irap = false;
    for (let i = 0; i < units.length; i++) {
      const unit = units[i]!;
      const type = h264 ? unit[0]! & 0x1f : (unit[0]! >> 1) & 0x3f;
      if (h264) {
        if (type === 7) sps.push(unit);
        else if (type === 8) pps.push(unit);
        else if (type !== 9 && type !== 12 && type !== 13) {
          if (type === 5) irap = true;
          size += 4 + unit.length;
          units[count++] = unit;
        }
      } else {
        if (unit.length < 2) return "malformed";
        if (type === 32) vps.push(unit);
        else if (type === 33) sps.push(unit);
        else if (type === 34) pps.push(unit);
        else if (type !== 35 && type !== 38) {
          if (type >= 16 && type <= 23) irap = true;
          size += 4 + unit.length;
          units[count++] = unit;
        }
      }
    }
    if (this.#updateSets(vps, sps, pps)) {
      const config = this.#buildConfig();
      if (config === undefined) return "malformed";
      out.push({
        kind: "video",
        codec: this.codec,
        trackId: this.trackId,
        pts,
        dts,
        timescale: 90000,
        keyframe: true,
        config: true,
        data: config,
      });
      this.#hasConfig = true;
    }
    if (count === 0) return "empty";
    const keyframe = irap || randomAccess;
    if (!this.#hasConfig) return "skipped";
    if (keyframe) {
      if (this.#needKeyframe) this.#leadingBefore = pts;
      this.#needKeyframe = false;
    } else if (this.#needKeyframe || pts < this.#leadingBefore) {
      return "skipped";
    }
    const data = new Uint8Array(size);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const unit = units[i]!;
      const n = unit.length;
      data[pos] = n >>> 24;
      data[pos + 1] = (n >>> 16) & 0xff;
      data[pos + 2] = (n >>> 8) & 0xff;
      data[pos + 3] = n & 0xff;
      data.set(unit, pos + 4);
      pos += 4 + n;
    }
    out.push({
      kind: "video",
      codec: this.codec,
      trackId: this.trackId,
      pts,
      dts,
      timescale: 90000,
      keyframe,
      config: false,
      data,
    });
    return "frame";
  }

  /** Take the sets of this access unit; true when the config must be (re)sent. */
  #updateSets(
    vps: Uint8Array[],
    sps: Uint8Array[],
    pps: Uint8Array[],
  ): boolean {
    let changed = false;
    if (vps.length > 0 && !sameSets(vps, this.#vps)) {
      this.#vps = collect(vps);
      changed = true;
    }
    if (sps.length > 0 && !sameSets(sps, this.#sps)) {
      this.#sps = collect(sps);
      changed = true;
    }
    if (pps.length > 0 && !sameSets(pps, this.#pps)) {
      this.#pps = collect(pps);
      changed = true;
    }
    const complete = this.#sps.length > 0 && this.#pps.length > 0 &&
      (this.codec === "h264" || this.#vps.length > 0);
    return complete && (changed || !this.#hasConfig);
  }

  #buildConfig(): Uint8Array | undefined {
    try {
      if (this.codec === "h264") {
        return buildAvcDecoderConfig({
          sps: this.#sps.slice(0, 31),
          pps: this.#pps.slice(0, 255),
        });
      }
      return buildHevcDecoderConfig({
        vps: this.#vps,
        sps: this.#sps,
        pps: this.#pps,
      });
    } catch (error) {
      if (error instanceof StreamError || error instanceof RangeError) {
        // Bad sets: forget them so the next good ones are taken.
        this.#vps = [];
        this.#sps = [];
        this.#pps = [];
        return undefined;
      }
      throw error;
    }
  }
}
