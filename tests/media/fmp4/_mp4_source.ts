// Test helper: read a plain (non-fragmented) MP4 written by ffmpeg into MediaFrames,
// so interop tests can feed Fmp4Muxer real H.264/H.265/AV1/VP9/AAC/Opus bitstreams
// with real B-frame timestamps. Minimal on purpose: one stsd entry per track.
import type { CodecId, MediaFrame } from "../../../media/frame.ts";
import { type Mp4Box, readBoxes } from "../../../media/fmp4/mod.ts";
import { run } from "../../_tools.ts";

const CODECS: Record<string, CodecId> = {
  avc1: "h264",
  hvc1: "h265",
  hev1: "h265",
  av01: "av1",
  vp09: "vp9",
  mp4a: "aac",
  Opus: "opus",
};

function child(box: Mp4Box | Uint8Array, path: string): Mp4Box {
  let body = box instanceof Uint8Array ? box : box.body;
  let found: Mp4Box | undefined;
  for (const type of path.split("/")) {
    found = readBoxes(body).find((b) => b.type === type);
    if (found === undefined) throw new Error(`no ${path}`);
    body = found.body;
  }
  return found!;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Entries of a FullBox table (skips version/flags and the count). */
function table(box: Mp4Box | undefined, width: number, skip = 4): DataView[] {
  if (box === undefined) return [];
  const v = view(box.body);
  const count = v.getUint32(skip);
  const rows: DataView[] = [];
  for (let i = 0; i < count; i++) {
    rows.push(
      new DataView(
        box.body.buffer,
        box.body.byteOffset + skip + 4 + i * width,
        width,
      ),
    );
  }
  return rows;
}

function ascFromEsds(esds: Uint8Array): Uint8Array {
  let p = 4; // version/flags
  while (p < esds.length) {
    const tag = esds[p++]!;
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = esds[p++]!;
      size = (size << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tag === 0x03) p += 3;
    else if (tag === 0x04) p += 13;
    else if (tag === 0x05) return esds.subarray(p, p + size);
    else p += size;
  }
  throw new Error("no AudioSpecificConfig");
}

function opusHeadFromDops(d: Uint8Array): Uint8Array {
  const v = view(d);
  const head = new Uint8Array(19 + (d[10] === 0 ? 0 : 2 + d[1]!));
  const h = view(head);
  head.set(new TextEncoder().encode("OpusHead"));
  head[8] = 1;
  head[9] = d[1]!;
  h.setUint16(10, v.getUint16(2), true);
  h.setUint32(12, v.getUint32(4), true);
  h.setInt16(16, v.getInt16(8), true);
  head[18] = d[10]!;
  head.set(d.subarray(11, 11 + head.length - 19), 19);
  return head;
}

/** Options for {@linkcode readMp4Frames}. */
export interface ReadMp4Options {
  /** Convert timestamps to milliseconds, rounded, as RTMP delivers them. */
  milliseconds?: boolean;
}

/** Config frames first, then media frames of all tracks in dts order. */
export function readMp4Frames(
  file: Uint8Array,
  options: ReadMp4Options = {},
): MediaFrame[] {
  const top = readBoxes(file);
  const moov = top.find((b) => b.type === "moov")!;
  const configs: MediaFrame[] = [];
  const media: MediaFrame[] = [];
  const audioIds = new Map<string, number>();
  for (const trak of readBoxes(moov.body).filter((b) => b.type === "trak")) {
    const mdia = child(trak, "mdia");
    const timescale = view(child(mdia, "mdhd").body).getUint32(12);
    const handler = new TextDecoder().decode(
      child(mdia, "hdlr").body.subarray(8, 12),
    );
    const stbl = child(mdia, "minf/stbl");
    const stblBoxes = readBoxes(stbl.body);
    const find = (t: string) => stblBoxes.find((b) => b.type === t);
    const entry = readBoxes(child(stbl, "stsd").body.subarray(8))[0]!;
    const codec = CODECS[entry.type];
    if (codec === undefined) throw new Error(`unsupported ${entry.type}`);
    const kind = handler === "vide" ? "video" : "audio";
    const inner = readBoxes(entry.body.subarray(kind === "video" ? 78 : 28));
    const cfgBox = inner.find((b) =>
      ["avcC", "hvcC", "av1C", "vpcC", "esds", "dOps"].includes(b.type)
    )!;
    const config = cfgBox.type === "esds"
      ? ascFromEsds(cfgBox.body)
      : cfgBox.type === "dOps"
      ? opusHeadFromDops(cfgBox.body)
      : cfgBox.body;
    const ts = options.milliseconds ? 1000 : timescale;
    const conv = (t: number) =>
      options.milliseconds ? Math.round((t * 1000) / timescale) : t;
    const trackId = audioIds.size;
    if (kind === "audio") audioIds.set(entry.type, trackId);
    const base = {
      kind,
      codec,
      trackId: kind === "audio" ? trackId : 0,
      timescale: ts,
    } as const;
    configs.push({
      ...base,
      pts: 0,
      dts: 0,
      keyframe: true,
      config: true,
      data: config,
    });

    const sizes = table(find("stsz"), 4, 8).map((r) => r.getUint32(0));
    const fixedSize = view(find("stsz")!.body).getUint32(4);
    const count = view(find("stsz")!.body).getUint32(8);
    const deltas: number[] = [];
    for (const r of table(find("stts"), 8)) {
      for (let i = 0; i < r.getUint32(0); i++) deltas.push(r.getUint32(4));
    }
    const ctts: number[] = [];
    for (const r of table(find("ctts"), 8)) {
      for (let i = 0; i < r.getUint32(0); i++) ctts.push(r.getInt32(4));
    }
    const stss = find("stss") === undefined
      ? null
      : new Set(table(find("stss"), 4).map((r) => r.getUint32(0) - 1));
    const co64 = find("co64") !== undefined;
    const chunks = table(find(co64 ? "co64" : "stco"), co64 ? 8 : 4).map((r) =>
      co64 ? r.getUint32(0) * 2 ** 32 + r.getUint32(4) : r.getUint32(0)
    );
    const stsc = table(find("stsc"), 12).map((r) =>
      [r.getUint32(0), r.getUint32(4)] as const
    );
    let sample = 0;
    let dts = 0;
    for (let c = 0; c < chunks.length; c++) {
      let perChunk = 0;
      for (const [first, n] of stsc) if (first - 1 <= c) perChunk = n;
      let offset = chunks[c]!;
      for (let k = 0; k < perChunk && sample < count; k++, sample++) {
        const size = fixedSize || sizes[sample]!;
        media.push({
          ...base,
          dts: conv(dts),
          pts: conv(dts + (ctts[sample] ?? 0)),
          keyframe: kind === "audio" || stss === null || stss.has(sample),
          config: false,
          data: file.subarray(offset, offset + size),
        });
        offset += size;
        dts += deltas[sample] ?? 0;
      }
    }
  }
  media.sort((a, b) =>
    a.dts / a.timescale - b.dts / b.timescale || (a.kind === "video" ? -1 : 1)
  );
  return [...configs, ...media];
}

/** Run ffmpeg with `args` writing `out`, then read it. Throws with ffmpeg's stderr. */
export async function ffmpegFrames(
  args: string[],
  out: string,
  options: ReadMp4Options = {},
): Promise<MediaFrame[]> {
  const r = await run("ffmpeg", [
    "-v",
    "error",
    "-y",
    ...args,
    "-f",
    "mp4",
    out,
  ], {
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return readMp4Frames(await Deno.readFile(out), options);
}
