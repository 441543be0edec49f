// VP8 RTP payload format (RFC 7741).
//
// Packetizer: a 4-byte payload descriptor (X=1, I=1 with a 15-bit picture
// ID, S and partition index 0 on the first packet of a frame); marker bit on
// the last packet of the frame.
// Depacketizer: the whole descriptor (X, I with 7/15-bit picture ID, L, T/K)
// then the frame from the packet with S=1 and PID=0 to the marker bit. A key
// frame is the frame whose VP8 payload header has P = 0 (RFC 7741 §4.3).
// VP8 has no decoder configuration record: no config frame.
import type { MediaFrame } from "../frame.ts";
import { PacketizerBase, PacketWriter } from "./_common.ts";
import { type Unit, unitBytes, VideoDepacketizer } from "./_video_assembler.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/** VP8 packetizer (one per stream). */
export class Vp8Packetizer extends PacketizerBase implements RtpPacketizer {
  #pictureId: number;

  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 90000));
    this.#pictureId = this.w.sequenceNumber & 0x7fff;
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config || frame.data.length === 0) return [];
    const id = this.#pictureId;
    this.#pictureId = (id + 1) & 0x7fff;
    const chunk = this.w.maxPayload - 4;
    const data = frame.data;
    const payloads: Uint8Array[][] = [];
    for (let pos = 0; pos < data.length; pos += chunk) {
      const descriptor = Uint8Array.of(
        pos === 0 ? 0x90 : 0x80,
        0x80,
        0x80 | (id >> 8),
        id & 0xff,
      );
      payloads.push([descriptor, data.subarray(pos, pos + chunk)]);
    }
    return this.w.accessUnit(payloads, this.w.timestampOf(frame));
  }
}

/** Length of the VP8 payload descriptor, or -1 when it is malformed. */
function descriptorLength(p: Uint8Array): number {
  let pos = 1;
  if (p[0]! & 0x80) {
    if (pos >= p.length) return -1;
    const x = p[pos++]!;
    if (x & 0x80) {
      if (pos >= p.length) return -1;
      pos += p[pos]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) pos++;
    if (x & 0x30) pos++;
  }
  return pos < p.length ? pos : -1;
}

/** VP8 depacketizer. */
export class Vp8Depacketizer extends VideoDepacketizer
  implements RtpDepacketizer {
  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super("vp8", format.clockRate, options);
  }

  protected override auStart(p: Uint8Array): boolean {
    return p.length > 1 && (p[0]! & 0x1f) === 0x10;
  }

  protected payload(p: Uint8Array): void {
    const au = this.au;
    const start = p.length > 0 ? descriptorLength(p) : -1;
    if (start < 0) {
      au.broken = true;
      return;
    }
    const first = (p[0]! & 0x1f) === 0x10; // S=1, partition 0
    if (first !== (au.units.length === 0)) {
      au.broken = true;
      return;
    }
    au.add(p.subarray(start));
  }

  protected complete(units: Unit[], pts: number, out: MediaFrame[]): void {
    const data = units.length === 1 ? unitBytes(units[0]!) : concatUnits(units);
    const keyframe = (data[0]! & 0x01) === 0;
    if (this.waitKeyframe && !keyframe) {
      this.core.droppedFrames++;
      return;
    }
    out.push(this.core.frame(data, pts, pts, keyframe, false));
  }
}

function concatUnits(units: readonly Unit[]): Uint8Array {
  let size = 0;
  for (const u of units) size += u.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const u of units) {
    for (const part of u.parts) {
      out.set(part, pos);
      pos += part.length;
    }
  }
  return out;
}
