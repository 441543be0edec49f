// Test helper: decode a moof (+ mdat) written by Fmp4Muxer into plain objects,
// reading every field the spec defines for the flags Fmp4Muxer may set.
import { readBoxes } from "../../../media/fmp4/mod.ts";

/** One trun sample. */
export interface ParsedSample {
  duration: number;
  size: number;
  flags: number;
  compositionOffset: number;
  /** The sample bytes, located through data_offset (relative to moof). */
  data: Uint8Array;
}

/** One traf. */
export interface ParsedTraf {
  trackId: number;
  tfhdFlags: number;
  defaultSampleFlags: number | undefined;
  baseMediaDecodeTime: number;
  trunVersion: number;
  trunFlags: number;
  samples: ParsedSample[];
}

/** One moof + mdat. */
export interface ParsedFragment {
  sequenceNumber: number;
  trafs: ParsedTraf[];
}

/** Parse the moof at the start of `fragment` (moof then mdat). */
export function parseFragment(fragment: Uint8Array): ParsedFragment {
  const [moof, mdat] = readBoxes(fragment);
  if (moof?.type !== "moof" || mdat?.type !== "mdat") {
    throw new Error("not moof+mdat");
  }
  const moofStart = fragment.byteOffset + moof.offset;
  let sequenceNumber = -1;
  const trafs: ParsedTraf[] = [];
  for (const box of readBoxes(moof.body)) {
    const v = new DataView(
      box.body.buffer,
      box.body.byteOffset,
      box.body.byteLength,
    );
    if (box.type === "mfhd") sequenceNumber = v.getUint32(4);
    if (box.type !== "traf") continue;
    const traf: ParsedTraf = {
      trackId: 0,
      tfhdFlags: 0,
      defaultSampleFlags: undefined,
      baseMediaDecodeTime: -1,
      trunVersion: -1,
      trunFlags: 0,
      samples: [],
    };
    for (const b of readBoxes(box.body)) {
      const d = new DataView(
        b.body.buffer,
        b.body.byteOffset,
        b.body.byteLength,
      );
      const version = d.getUint8(0);
      const flags = d.getUint32(0) & 0xffffff;
      if (b.type === "tfhd") {
        traf.tfhdFlags = flags;
        traf.trackId = d.getUint32(4);
        let p = 8;
        if (flags & 0x1) p += 8;
        if (flags & 0x2) p += 4;
        if (flags & 0x8) p += 4;
        if (flags & 0x10) p += 4;
        if (flags & 0x20) traf.defaultSampleFlags = d.getUint32(p);
      } else if (b.type === "tfdt") {
        traf.baseMediaDecodeTime = version === 1
          ? d.getUint32(4) * 2 ** 32 + d.getUint32(8)
          : d.getUint32(4);
      } else if (b.type === "trun") {
        traf.trunVersion = version;
        traf.trunFlags = flags;
        const count = d.getUint32(4);
        let p = 8;
        let dataOffset = 0;
        if (flags & 0x1) (dataOffset = d.getInt32(p)), (p += 4);
        if (flags & 0x4) p += 4;
        let at = moofStart + dataOffset;
        for (let i = 0; i < count; i++) {
          const s = {
            duration: 0,
            size: 0,
            flags: traf.defaultSampleFlags ?? 0,
            compositionOffset: 0,
          };
          if (flags & 0x100) (s.duration = d.getUint32(p)), (p += 4);
          if (flags & 0x200) (s.size = d.getUint32(p)), (p += 4);
          if (flags & 0x400) (s.flags = d.getUint32(p)), (p += 4);
          if (flags & 0x800) {
            s.compositionOffset = version === 1
              ? d.getInt32(p)
              : d.getUint32(p);
            p += 4;
          }
          const data = new Uint8Array(fragment.buffer, at, s.size);
          at += s.size;
          traf.samples.push({ ...s, data });
        }
      }
    }
    trafs.push(traf);
  }
  return { sequenceNumber, trafs };
}
