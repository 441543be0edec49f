// H.265 RTP payload format (RFC 7798).
//
// Packetizer: single NAL unit packets, an aggregation packet (AP, type 48)
// with VPS+SPS+PPS (from the last hvcC config frame) before each IRAP access
// unit, fragmentation units (FU, type 49) above the MTU; no DONL
// (sprop-max-don-diff 0); marker bit on the last packet of an access unit.
// Depacketizer: single, AP and FU, with DONL/DOND skipped when the fmtp has
// sprop-max-don-diff > 0; PACI (type 50) marks the access unit broken.
// VPS/SPS/PPS (in-band or sprop-vps/sps/pps) become an hvcC config frame;
// AUD is dropped. DTS: as for H.264, a 4-frame reorder window.
import type { MediaFrame } from "../frame.ts";
import {
  buildHevcDecoderConfig,
  parseHevcDecoderConfig,
} from "../codec/hevc_decoder_config.ts";
import { splitLengthPrefixed } from "../codec/nal_units.ts";
import {
  DtsDeriver,
  fmtpValue,
  PacketizerBase,
  PacketWriter,
  sameBytes,
} from "./_common.ts";
import { fragmentNal } from "./h264.ts";
import {
  type Unit,
  unitByte,
  unitBytes,
  VideoDepacketizer,
  writeLengthPrefixed,
} from "./_video_assembler.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

const AP = 48;
const FU = 49;
const VPS = 32, SPS = 33, PPS = 34, AUD = 35;
const REORDER_WINDOW = 4;

const nalType = (b0: number) => (b0 >> 1) & 0x3f;
const isIrap = (t: number) => t >= 16 && t <= 21;

/** H.265 packetizer (one per stream). */
export class H265Packetizer extends PacketizerBase implements RtpPacketizer {
  #sets: Uint8Array[] = [];

  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 90000));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) {
      const hvcC = parseHevcDecoderConfig(frame.data);
      this.#sets = [VPS, SPS, PPS].flatMap((t) =>
        hvcC.arrays.filter((a) => a.nalType === t).flatMap((a) => a.nalus)
      ).map((n) => n.slice());
      return [];
    }
    const max = this.w.maxPayload;
    const nals = splitLengthPrefixed(frame.data, 4).filter((n) =>
      n.length >= 2 && nalType(n[0]!) !== AUD
    );
    const payloads: Uint8Array[][] = [];
    const irap = nals.some((n) => isIrap(nalType(n[0]!)));
    const inBand = nals.some((n) => nalType(n[0]!) === VPS);
    if (irap && !inBand && this.#sets.length > 0) {
      let size = 2;
      let tid = 7;
      for (const s of this.#sets) {
        size += 2 + s.length;
        tid = Math.min(tid, s[1]! & 7);
      }
      if (size <= max) {
        const parts: Uint8Array[] = [Uint8Array.of(AP << 1, tid || 1)];
        for (const s of this.#sets) {
          parts.push(Uint8Array.of(s.length >> 8, s.length & 0xff), s);
        }
        payloads.push(parts);
      } else {
        nals.unshift(...this.#sets);
      }
    }
    for (const nal of nals) {
      if (nal.length <= max) {
        payloads.push([nal]);
        continue;
      }
      const h0 = (nal[0]! & 0x81) | (FU << 1);
      const h1 = nal[1]!;
      const type = nalType(nal[0]!);
      fragmentNal(
        nal,
        2,
        max,
        (s, e) => Uint8Array.of(h0, h1, (s ? 0x80 : 0) | (e ? 0x40 : 0) | type),
        payloads,
      );
    }
    const ts = this.w.timestampOf(frame);
    return this.w.accessUnit(payloads, ts);
  }
}

function decodeSets(value: string | undefined): Uint8Array[] {
  if (value === undefined) return [];
  const out: Uint8Array[] = [];
  for (const item of value.split(",").slice(0, 16)) {
    try {
      const bin = atob(item.trim());
      if (bin.length >= 2) {
        out.push(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
      }
    } catch {
      // ignored: in-band parameter sets may follow
    }
  }
  return out;
}

/** H.265 depacketizer. */
export class H265Depacketizer extends VideoDepacketizer
  implements RtpDepacketizer {
  #vps: Uint8Array[] = [];
  #sps: Uint8Array[] = [];
  #pps: Uint8Array[] = [];
  #pending = false;
  #config: Uint8Array | undefined;
  #emitConfig = false;
  readonly #don: boolean;
  readonly #dts: DtsDeriver;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super("h265", format.clockRate, options);
    this.#dts = new DtsDeriver(REORDER_WINDOW, format.clockRate);
    const donDiff = Number(fmtpValue(format.fmtp, "sprop-max-don-diff") ?? 0);
    this.#don = donDiff > 0;
    this.#update(
      decodeSets(fmtpValue(format.fmtp, "sprop-vps")),
      decodeSets(fmtpValue(format.fmtp, "sprop-sps")),
      decodeSets(fmtpValue(format.fmtp, "sprop-pps")),
    );
  }

  #update(vps: Uint8Array[], sps: Uint8Array[], pps: Uint8Array[]): void {
    const set = (next: Uint8Array[], cur: Uint8Array[]) =>
      next.length > 0 &&
      !(next.length === cur.length &&
        next.every((x, i) => sameBytes(x, cur[i]!)));
    if (set(vps, this.#vps)) [this.#vps, this.#pending] = [vps, true];
    if (set(sps, this.#sps)) [this.#sps, this.#pending] = [sps, true];
    if (set(pps, this.#pps)) [this.#pps, this.#pending] = [pps, true];
  }

  protected override auStart(p: Uint8Array): boolean {
    if (p.length < 3) return false;
    let type = nalType(p[0]!);
    let next = p[2]!;
    if (type === AP) {
      const at = this.#don ? 4 : 2;
      if (p.length < at + 5) return false;
      type = nalType(p[at + 2]!);
      next = p[at + 4]!;
    } else if (type === FU) {
      if ((p[2]! & 0x80) === 0 || p.length < 4) return false;
      type = p[2]! & 0x3f;
      next = p[this.#don ? 5 : 3] ?? 0;
    }
    // AUD, VPS, prefix SEI, or a slice with first_slice_segment_in_pic_flag
    return type === AUD || type === VPS || type === 39 ||
      (type < 32 && (next & 0x80) !== 0);
  }

  protected payload(p: Uint8Array): void {
    const au = this.au;
    if (p.length < 3) {
      au.broken = true;
      return;
    }
    const type = nalType(p[0]!);
    if (type < AP) {
      au.add(p);
    } else if (type === AP) {
      let pos = 2;
      let first = true;
      while (pos < p.length) {
        if (this.#don) pos += first ? 2 : 1;
        first = false;
        if (pos + 2 > p.length) {
          au.broken = true;
          return;
        }
        const size = (p[pos]! << 8) | p[pos + 1]!;
        pos += 2;
        if (size < 2 || pos + size > p.length) {
          au.broken = true;
          return;
        }
        au.add(p.subarray(pos, pos + size));
        pos += size;
      }
    } else if (type === FU) {
      const start = (p[2]! & 0x80) !== 0;
      const end = (p[2]! & 0x40) !== 0;
      const from = this.#don ? 5 : 3;
      if (from > p.length) {
        au.broken = true;
        return;
      }
      if (start) {
        const header = Uint8Array.of(
          (p[0]! & 0x81) | ((p[2]! & 0x3f) << 1),
          p[1]!,
        );
        au.startFragment([header, p.subarray(from)]);
        if (end) au.continueFragment(new Uint8Array(0), true);
      } else {
        au.continueFragment(p.subarray(from), end);
      }
    } else {
      au.broken = true;
    }
  }

  protected complete(units: Unit[], pts: number, out: MediaFrame[]): void {
    const vps: Uint8Array[] = [];
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    const media: Unit[] = [];
    let keyframe = false;
    for (const u of units) {
      const type = nalType(unitByte(u, 0));
      if (type === VPS) vps.push(unitBytes(u).slice());
      else if (type === SPS) sps.push(unitBytes(u).slice());
      else if (type === PPS) pps.push(unitBytes(u).slice());
      else if (type !== AUD) {
        media.push(u);
        if (isIrap(type)) keyframe = true;
      }
    }
    this.#update(vps, sps, pps);
    if (
      this.#pending && this.#vps.length && this.#sps.length && this.#pps.length
    ) {
      this.#pending = false;
      try {
        this.#config = buildHevcDecoderConfig({
          vps: this.#vps,
          sps: this.#sps,
          pps: this.#pps,
        });
        this.#emitConfig = true;
      } catch {
        this.#sps = [];
        this.#config = undefined;
      }
    }
    if (media.length === 0) return;
    if (this.#config === undefined || (this.waitKeyframe && !keyframe)) {
      this.core.droppedFrames++;
      return;
    }
    const [p, d] = this.#dts.next(pts);
    if (this.#emitConfig) {
      this.#emitConfig = false;
      out.push(this.core.frame(this.#config, p, d, true, true));
    }
    out.push(
      this.core.frame(writeLengthPrefixed(media), p, d, keyframe, false),
    );
  }
}
