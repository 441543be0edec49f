// H.264 RTP payload format (RFC 6184), packetization-mode 1.
//
// Packetizer: single NAL unit packets, STAP-A for SPS+PPS (from the last
// avcC config frame) before each IDR access unit, FU-A for NAL units larger
// than the MTU; access unit delimiters are dropped; the marker bit is set on
// the last packet of an access unit.
// Depacketizer: single NAL, STAP-A, STAP-B, FU-A and FU-B (§5.7, §5.8) into
// AVCC frames (4-byte lengths). SPS/PPS/AUD never go into media frames: SPS and
// PPS (in-band or from sprop-parameter-sets) become an avcC config frame
// emitted before the first frame and whenever they change.
// DTS: RTP carries only PTS. The reorder depth comes from the SPS (0 for
// Baseline or pic_order_cnt_type 2, else VUI max_num_reorder_frames, else 4);
// DtsDeriver turns PTS in decode order into a monotonic DTS <= PTS with that
// window (DTS = PTS when nothing is reordered).
import type { MediaFrame } from "../frame.ts";
import {
  buildAvcDecoderConfig,
  parseAvcDecoderConfig,
} from "../codec/avc_decoder_config.ts";
import { splitLengthPrefixed } from "../codec/nal_units.ts";
import { h264ReorderDepth } from "./_h264_reorder.ts";
import {
  DtsDeriver,
  fmtpValue,
  PacketizerBase,
  PacketWriter,
  sameBytes,
} from "./_common.ts";
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

const STAP_A = 24;
const STAP_B = 25;
const FU_A = 28;
const FU_B = 29;
/** Reorder window (frames) for non-baseline streams. */
const REORDER_WINDOW = 4;

/** Splits payload into FU fragments: [indicator, header] + chunk. */
export function fragmentNal(
  nal: Uint8Array,
  headerBytes: number,
  maxPayload: number,
  fuHeader: (start: boolean, end: boolean) => Uint8Array,
  out: Uint8Array[][],
): void {
  const chunk = maxPayload - fuHeader(false, false).length;
  let pos = headerBytes;
  while (pos < nal.length) {
    const end = Math.min(nal.length, pos + chunk);
    out.push([
      fuHeader(pos === headerBytes, end === nal.length),
      nal.subarray(pos, end),
    ]);
    pos = end;
  }
}

/** H.264 packetizer (one per stream). */
export class H264Packetizer extends PacketizerBase implements RtpPacketizer {
  #sps: Uint8Array[] = [];
  #pps: Uint8Array[] = [];

  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 90000));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) {
      const avcC = parseAvcDecoderConfig(frame.data);
      this.#sps = avcC.sps.map((s) => s.slice());
      this.#pps = avcC.pps.map((s) => s.slice());
      return [];
    }
    const max = this.w.maxPayload;
    const nals = splitLengthPrefixed(frame.data, 4).filter((n) =>
      (n[0]! & 0x1f) !== 9
    );
    const payloads: Uint8Array[][] = [];
    const idr = nals.some((n) => (n[0]! & 0x1f) === 5);
    const inBand = nals.some((n) => (n[0]! & 0x1f) === 7);
    if (idr && !inBand && this.#sps.length > 0) {
      const sets = [...this.#sps, ...this.#pps];
      let size = 1;
      let nri = 0;
      for (const s of sets) {
        size += 2 + s.length;
        nri = Math.max(nri, s[0]! & 0x60);
      }
      if (size <= max) {
        const parts: Uint8Array[] = [Uint8Array.of(nri | STAP_A)];
        for (const s of sets) {
          parts.push(Uint8Array.of(s.length >> 8, s.length & 0xff), s);
        }
        payloads.push(parts);
      } else {
        nals.unshift(...sets);
      }
    }
    for (const nal of nals) {
      if (nal.length <= max) {
        payloads.push([nal]);
        continue;
      }
      const indicator = (nal[0]! & 0xe0) | FU_A;
      const type = nal[0]! & 0x1f;
      fragmentNal(
        nal,
        1,
        max,
        (s, e) =>
          Uint8Array.of(indicator, (s ? 0x80 : 0) | (e ? 0x40 : 0) | type),
        payloads,
      );
    }
    const ts = this.w.timestampOf(frame);
    return this.w.accessUnit(payloads, ts);
  }
}

function decodeSprop(value: string | undefined): Uint8Array[] {
  if (value === undefined) return [];
  const out: Uint8Array[] = [];
  for (const item of value.split(",").slice(0, 64)) {
    try {
      const bin = atob(item.trim());
      if (bin.length > 0) {
        out.push(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
      }
    } catch {
      // a bad sprop is ignored: in-band parameter sets may follow
    }
  }
  return out;
}

/** H.264 depacketizer. */
export class H264Depacketizer extends VideoDepacketizer
  implements RtpDepacketizer {
  #sps: Uint8Array[] = [];
  #pps: Uint8Array[] = [];
  #configPending = false;
  #config: Uint8Array | undefined;
  #emitConfig = false;
  readonly #dts: DtsDeriver;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super("h264", format.clockRate, options);
    this.#dts = new DtsDeriver(REORDER_WINDOW, format.clockRate);
    const sets = decodeSprop(fmtpValue(format.fmtp, "sprop-parameter-sets"));
    this.#update(
      sets.filter((s) => (s[0]! & 0x1f) === 7),
      sets.filter((s) => (s[0]! & 0x1f) === 8),
    );
  }

  #update(sps: Uint8Array[], pps: Uint8Array[]): void {
    if (sps.length > 0 && !sameSets(sps, this.#sps)) {
      this.#sps = sps;
      this.#configPending = true;
    }
    if (pps.length > 0 && !sameSets(pps, this.#pps)) {
      this.#pps = pps;
      this.#configPending = true;
    }
  }

  protected override auStart(p: Uint8Array): boolean {
    if (p.length < 2) return false;
    let type = p[0]! & 0x1f;
    let next = p[1]!;
    if (type === STAP_A) {
      if (p.length < 4) return false;
      type = p[3]! & 0x1f;
      next = p[4] ?? 0;
    } else if (type === FU_A) {
      if ((p[1]! & 0x80) === 0) return false;
      type = p[1]! & 0x1f;
      next = p[2] ?? 0;
    }
    // AUD, SPS, SEI, or a slice with first_mb_in_slice = 0 (ue(v) "1")
    return type === 9 || type === 7 || type === 6 ||
      ((type === 1 || type === 5) && (next & 0x80) !== 0);
  }

  protected payload(p: Uint8Array): void {
    const au = this.au;
    if (p.length < 1) {
      au.broken = true;
      return;
    }
    const type = p[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      au.add(p);
    } else if (type === STAP_A || type === STAP_B) {
      let pos = type === STAP_A ? 1 : 3;
      if (pos >= p.length) au.broken = true;
      while (pos < p.length) {
        if (pos + 2 > p.length) {
          au.broken = true;
          return;
        }
        const size = (p[pos]! << 8) | p[pos + 1]!;
        pos += 2;
        if (size === 0 || pos + size > p.length) {
          au.broken = true;
          return;
        }
        au.add(p.subarray(pos, pos + size));
        pos += size;
      }
    } else if (type === FU_A || type === FU_B) {
      if (p.length < 2) {
        au.broken = true;
        return;
      }
      const start = (p[1]! & 0x80) !== 0;
      const end = (p[1]! & 0x40) !== 0;
      if (start) {
        const from = type === FU_B ? 4 : 2;
        if (from > p.length) {
          au.broken = true;
          return;
        }
        au.startFragment([
          Uint8Array.of((p[0]! & 0xe0) | (p[1]! & 0x1f)),
          p.subarray(from),
        ]);
        if (end) au.continueFragment(new Uint8Array(0), true);
      } else {
        au.continueFragment(p.subarray(2), end);
      }
    } else {
      au.broken = true;
    }
  }

  protected complete(units: Unit[], pts: number, out: MediaFrame[]): void {
    const sps: Uint8Array[] = [];
    const pps: Uint8Array[] = [];
    const media: Unit[] = [];
    let keyframe = false;
    for (const u of units) {
      const type = unitByte(u, 0) & 0x1f;
      if (type === 7) sps.push(unitBytes(u).slice());
      else if (type === 8) pps.push(unitBytes(u).slice());
      else if (type !== 9) {
        media.push(u);
        if (type === 5) keyframe = true;
      }
    }
    this.#update(sps, pps);
    if (this.#configPending && this.#sps.length > 0 && this.#pps.length > 0) {
      this.#configPending = false;
      try {
        this.#config = buildAvcDecoderConfig({
          sps: this.#sps,
          pps: this.#pps,
        });
        this.#dts.setDelay(h264ReorderDepth(this.#sps[0]!, REORDER_WINDOW));
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

function sameSets(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => sameBytes(x, b[i]!));
}
