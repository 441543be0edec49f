// AV1 RTP payload format (AOM "RTP Payload Format for AV1" v1.0, §4).
//
// Packetizer: the temporal unit's OBUs without temporal delimiters, each as an
// OBU element with obu_has_size_field cleared and a LEB128 length (W=0);
// an OBU that does not fit continues in the next packet (Y, then Z); N=1 on
// the first packet of a temporal unit that carries a sequence header (a new
// coded video sequence); marker bit on the last packet.
// Depacketizer: aggregation header Z/Y/W/N, OBU elements (W=0 or 1..3),
// fragments reassembled; OBUs are written back in low-overhead format (with
// obu_size), temporal delimiters dropped. An av1C config frame is built from
// the sequence header OBU and emitted when it changes.
import type { MediaFrame } from "../frame.ts";
import { isAv1KeyFrame, splitAv1Obus } from "../codec/av1_obu.ts";
import { buildAv1DecoderConfig } from "../codec/av1_sequence_header.ts";
import { PacketizerBase, PacketWriter, sameBytes } from "./_common.ts";
import { type Unit, unitBytes, VideoDepacketizer } from "./_video_assembler.ts";
import type {
  RtpDepacketizer,
  RtpDepacketizerOptions,
  RtpFormat,
  RtpPacketizer,
  RtpPacketizerOptions,
} from "./types.ts";

const SEQUENCE_HEADER = 1;
const TEMPORAL_DELIMITER = 2;
const TILE_LIST = 8;

function leb128(n: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

/** Reads a LEB128 at `pos`: [value, next position], or [-1, pos] when malformed. */
function readLeb128(p: Uint8Array, pos: number): [number, number] {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (pos >= p.length) return [-1, pos];
    const b = p[pos++]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return [value, pos];
  }
  return [-1, pos];
}

/** AV1 packetizer (one per stream). */
export class Av1Packetizer extends PacketizerBase implements RtpPacketizer {
  constructor(options: RtpPacketizerOptions) {
    super(new PacketWriter(options, options.clockRate ?? 90000));
  }

  packetize(frame: MediaFrame): Uint8Array[] {
    if (frame.config) return [];
    const obus = splitAv1Obus(frame.data).filter((o) =>
      o.type !== TEMPORAL_DELIMITER && o.type !== TILE_LIST
    );
    const newSequence = obus.some((o) => o.type === SEQUENCE_HEADER);
    // each element: header (size flag cleared, + extension) and payload
    const elements = obus.map((o) => {
      const ext = (o.data[0]! & 0x04) !== 0;
      const header = ext
        ? Uint8Array.of(o.data[0]! & ~0x02, o.data[1]!)
        : Uint8Array.of(o.data[0]! & ~0x02);
      return [header, o.payload];
    });
    const max = this.w.maxPayload;
    const packets: { parts: Uint8Array[]; z: boolean; y: boolean }[] = [];
    let parts: Uint8Array[] = [];
    let room = max - 1;
    let z = false;
    const flush = (y: boolean) => {
      packets.push({ parts, z, y });
      parts = [];
      room = max - 1;
      z = y;
    };
    for (const [header, payload] of elements) {
      let rest: Uint8Array[] = [header!, payload!];
      let left = header!.length + payload!.length;
      while (left > 0) {
        if (room < 4) flush(false);
        const take = Math.min(left, room - leb128(Math.min(left, room)).length);
        const taken: Uint8Array[] = [];
        let need = take;
        const next: Uint8Array[] = [];
        for (const r of rest) {
          if (need >= r.length) {
            taken.push(r);
            need -= r.length;
          } else {
            if (need > 0) taken.push(r.subarray(0, need));
            next.push(r.subarray(need));
            need = 0;
          }
        }
        rest = next;
        parts.push(leb128(take), ...taken);
        room -= leb128(take).length + take;
        left -= take;
        if (left > 0) flush(true);
      }
    }
    if (parts.length > 0 || packets.length === 0) {
      packets.push({ parts, z, y: false });
    }
    const ts = this.w.timestampOf(frame);
    return this.w.accessUnit(
      packets.map((p, i) => [
        Uint8Array.of(
          (p.z ? 0x80 : 0) | (p.y ? 0x40 : 0) |
            (i === 0 && newSequence ? 0x08 : 0),
        ),
        ...p.parts,
      ]),
      ts,
    );
  }
}

/** AV1 depacketizer. */
export class Av1Depacketizer extends VideoDepacketizer
  implements RtpDepacketizer {
  #config: Uint8Array | undefined;
  #sequence: Uint8Array | undefined;
  #emitConfig = false;

  constructor(format: RtpFormat, options?: RtpDepacketizerOptions) {
    super("av1", format.clockRate, options);
  }

  protected override auStart(p: Uint8Array): boolean {
    if (p.length < 2 || (p[0]! & 0x80) !== 0) return false;
    if (p[0]! & 0x08) return true;
    const w = (p[0]! >> 4) & 3;
    const at = w === 1 ? 1 : readLeb128(p, 1)[1];
    const type = ((p[at] ?? 0) >> 3) & 0xf;
    return type === SEQUENCE_HEADER || type === TEMPORAL_DELIMITER;
  }

  protected payload(p: Uint8Array): void {
    const au = this.au;
    if (p.length < 2) {
      au.broken = true;
      return;
    }
    const z = (p[0]! & 0x80) !== 0;
    const y = (p[0]! & 0x40) !== 0;
    const w = (p[0]! >> 4) & 3;
    if (!z && au.fragment !== null) au.broken = true;
    let pos = 1;
    for (let k = 0; pos < p.length; k++) {
      let size: number;
      if (w !== 0 && k === w - 1) {
        size = p.length - pos;
      } else {
        [size, pos] = readLeb128(p, pos);
        if (size < 0 || pos + size > p.length) {
          au.broken = true;
          return;
        }
      }
      const element = p.subarray(pos, pos + size);
      pos += size;
      const last = pos >= p.length || (w !== 0 && k === w - 1);
      if (k === 0 && z) au.continueFragment(element, !(last && y));
      else if (last && y) au.startFragment([element]);
      else if (element.length > 0) au.add(element);
      if (w !== 0 && k === w - 1) break;
    }
  }

  protected complete(units: Unit[], pts: number, out: MediaFrame[]): void {
    const obus: Uint8Array[][] = [];
    let size = 0;
    let sequence: Uint8Array | undefined;
    for (const u of units) {
      const obu = unitBytes(u);
      const h = obu[0]!;
      const type = (h >> 3) & 0xf;
      if (type === TEMPORAL_DELIMITER || type === TILE_LIST) continue;
      const headerBytes = (h & 0x04) ? 2 : 1;
      if (obu.length < headerBytes || (h & 0x80)) {
        this.core.droppedFrames++;
        return;
      }
      const parts = (h & 0x02) ? [obu] : [
        Uint8Array.of(h | 0x02, ...obu.subarray(1, headerBytes)),
        leb128(obu.length - headerBytes),
        obu.subarray(headerBytes),
      ];
      for (const part of parts) size += part.length;
      obus.push(parts);
      if (type === SEQUENCE_HEADER) sequence = concatParts(parts);
    }
    if (obus.length === 0) return;
    const data = new Uint8Array(size);
    let pos = 0;
    for (const parts of obus) {
      for (const part of parts) {
        data.set(part, pos);
        pos += part.length;
      }
    }
    let keyframe: boolean;
    try {
      if (
        sequence !== undefined &&
        (this.#sequence === undefined || !sameBytes(sequence, this.#sequence))
      ) {
        this.#config = buildAv1DecoderConfig(sequence);
        this.#sequence = sequence;
        this.#emitConfig = true;
      }
      keyframe = isAv1KeyFrame(data);
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

function concatParts(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
