// VP9 RTP payload format (RFC 9628).
//
// Packetizer: a 3-byte payload descriptor (I=1 with a 15-bit picture ID,
// P for inter frames, B/E on the first/last packet of each frame); each frame
// of a superframe is sent as its own frame with the picture's timestamp;
// marker bit on the last packet of the picture.
// Depacketizer: parses the whole descriptor (picture ID, layer indices,
// flexible-mode reference indices, scalability structure) and reassembles the
// frames of one picture (B..E); several frames of one timestamp (spatial
// layers) are joined into a superframe (VP9 Annex B). A vpcC config frame is
// derived from each key frame's uncompressed header and emitted when it changes.
import type { MediaFrame } from "../frame.ts";
import {
  buildVp9DecoderConfig,
  parseVp9FrameHeader,
  splitVp9Superframe,
  vp9DecoderConfigFromHeader,
} from "../codec/vp9.ts";
import { PacketizerBase, PacketWriter, sameBytes } from "./_common.ts";
import { type Unit, unitBytes, VideoDepacketizer } from "./_video_assembler.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

/** VP9 packetizer (one per stream). */
export class Vp9Packetizer extends PacketizerBase implements RtpPacketizer {
  #pictureId: number;

  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 90000));
    this.#pictureId = this.w.sequenceNumber & 0x7fff;
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    const frames = splitVp9Superframe(frame.data);
    const ts = this.w.timestampOf(frame);
    const id = this.#pictureId;
    this.#pictureId = (id + 1) & 0x7fff;
    const chunk = this.w.maxPayload - 3;
    const payloads: Uint8Array[][] = [];
    for (const f of frames) {
      const inter = !parseVp9FrameHeader(f).keyFrame;
      for (let pos = 0; pos < f.length; pos += chunk) {
        const end = Math.min(f.length, pos + chunk);
        const b0 = 0x80 | (inter ? 0x40 : 0) | (pos === 0 ? 0x08 : 0) |
          (end === f.length ? 0x04 : 0);
        payloads.push([
          Uint8Array.of(b0, 0x80 | (id >> 8), id & 0xff),
          f.subarray(pos, end),
        ]);
      }
    }
    return this.w.accessUnit(payloads, ts);
  }
}

/** Length of the VP9 payload descriptor, or -1 when it is malformed. */
function descriptorLength(p: Uint8Array): number {
  const b0 = p[0]!;
  let pos = 1;
  if (b0 & 0x80) pos += (p[pos] ?? 0) & 0x80 ? 2 : 1; // picture ID
  if (b0 & 0x20) pos += b0 & 0x10 ? 1 : 2; // layer indices (+ TL0PICIDX in non-flexible mode)
  if ((b0 & 0x10) && (b0 & 0x40)) {
    for (let n = 0; n < 3; n++) {
      if (pos >= p.length) return -1;
      if ((p[pos++]! & 1) === 0) break;
    }
  }
  if (b0 & 0x02) {
    if (pos >= p.length) return -1;
    const ss = p[pos++]!;
    if (ss & 0x10) pos += 4 * ((ss >> 5) + 1);
    if (ss & 0x08) {
      if (pos >= p.length) return -1;
      const groups = p[pos++]!;
      for (let g = 0; g < groups; g++) {
        if (pos >= p.length) return -1;
        pos += 1 + ((p[pos]! >> 2) & 3);
      }
    }
  }
  return pos <= p.length ? pos : -1;
}

function superframe(frames: readonly Uint8Array[]): Uint8Array {
  const max = Math.max(...frames.map((f) => f.length));
  const bytes = max < 0x100 ? 1 : max < 0x10000 ? 2 : max < 0x1000000 ? 3 : 4;
  const marker = 0xc0 | ((bytes - 1) << 3) | (frames.length - 1);
  let size = 2 + bytes * frames.length;
  for (const f of frames) size += f.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (const f of frames) {
    out.set(f, pos);
    pos += f.length;
  }
  out[pos++] = marker;
  for (const f of frames) {
    for (let k = 0; k < bytes; k++) out[pos++] = (f.length >>> (8 * k)) & 0xff;
  }
  out[pos] = marker;
  return out;
}

/** VP9 depacketizer. */
export class Vp9Depacketizer extends VideoDepacketizer
  implements RtpDepacketizer {
  #config: Uint8Array | undefined;
  #emitConfig = false;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super("vp9", format.clockRate, options);
  }

  protected override auStart(p: Uint8Array): boolean {
    if (p.length < 2 || (p[0]! & 0x08) === 0) return false;
    if ((p[0]! & 0x20) === 0) return true;
    const at = 1 + ((p[0]! & 0x80) ? ((p[1]! & 0x80) ? 2 : 1) : 0);
    return (((p[at] ?? 0xff) >> 1) & 7) === 0; // spatial layer 0
  }

  protected payload(p: Uint8Array): void {
    const au = this.au;
    const start = p.length > 0 ? descriptorLength(p) : -1;
    if (start < 0 || start >= p.length) {
      au.broken = true;
      return;
    }
    const begin = (p[0]! & 0x08) !== 0;
    const end = (p[0]! & 0x04) !== 0;
    const body = p.subarray(start);
    if (begin) {
      au.startFragment([body]);
      if (end) au.continueFragment(new Uint8Array(0), true);
    } else {
      au.continueFragment(body, end);
    }
  }

  protected complete(units: Unit[], pts: number, out: MediaFrame[]): void {
    const frames = units.map(unitBytes);
    const data = frames.length === 1 ? frames[0]! : superframe(frames);
    let keyframe: boolean;
    try {
      const header = parseVp9FrameHeader(frames[0]!);
      keyframe = header.keyFrame;
      if (keyframe) {
        const config = buildVp9DecoderConfig(
          vp9DecoderConfigFromHeader(header),
        );
        if (this.#config === undefined || !sameBytes(config, this.#config)) {
          this.#config = config;
          this.#emitConfig = true;
        }
      }
    } catch {
      this.core.droppedFrames++;
      this.waitKeyframe = true;
      return;
    }
    if (this.#config === undefined || (this.waitKeyframe && !keyframe)) {
      this.core.droppedFrames++;
      return;
    }
    if (this.#emitConfig) {
      this.#emitConfig = false;
      out.push(this.core.frame(this.#config, pts, pts, true, true));
    }
    out.push(this.core.frame(data, pts, pts, keyframe, false));
  }
}
