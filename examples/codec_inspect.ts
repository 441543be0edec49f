// deno-lint-ignore-file no-console -- a CLI example: printing is its output
/**
 * codec_inspect: prints the codec string, stream metadata and per-frame
 * random-access classification of an elementary stream file.
 *
 * Inputs: H.264/H.265 Annex B (`.h264`/`.264`, `.h265`/`.265`/`.hevc`, or
 * `--codec h264|h265`), ADTS AAC, IVF (VP9 or AV1), AV1 low-overhead OBU
 * streams (`.obu`) and Ogg Opus (identification header only).
 *
 * Usage: deno run --allow-read examples/codec_inspect.ts <file> [--codec h264|h265]
 *
 * @module
 */
import {
  buildAudioSpecificConfig,
  buildAv1DecoderConfig,
  buildAvcDecoderConfig,
  buildHevcDecoderConfig,
  buildVp9DecoderConfig,
  type CodecId,
  groupAccessUnits,
  h265NalType,
  isRandomAccess,
  joinLengthPrefixed,
  type MediaFrame,
  parseCodecConfig,
  parseVp9FrameHeader,
  splitAdts,
  splitAnnexB,
  splitAv1Obus,
  splitVp9Superframe,
  vp9DecoderConfigFromHeader,
} from "../media/codec/mod.ts";

/** A parsed input: one config frame and the media frames. */
interface Inspected {
  format: string;
  config: MediaFrame;
  frames: MediaFrame[];
}

function frameOf(
  codec: CodecId,
  data: Uint8Array,
  config: boolean,
): MediaFrame {
  const kind = codec === "aac" || codec === "opus" ? "audio" : "video";
  return {
    kind,
    codec,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data,
  };
}

function annexB(data: Uint8Array, codec: "h264" | "h265"): Inspected {
  const units = splitAnnexB(data);
  const type = codec === "h264"
    ? (u: Uint8Array) => u[0]! & 0x1f
    : (u: Uint8Array) => h265NalType(u);
  const ofType = (t: number) => units.filter((u) => type(u) === t).slice(0, 1);
  const config = codec === "h264"
    ? buildAvcDecoderConfig({ sps: ofType(7), pps: ofType(8) })
    : buildHevcDecoderConfig({
      vps: ofType(32),
      sps: ofType(33),
      pps: ofType(34),
    });
  const frames = groupAccessUnits(units, codec).map((au) =>
    frameOf(codec, joinLengthPrefixed(au), false)
  );
  return { format: "annexb", config: frameOf(codec, config, true), frames };
}

function adts(data: Uint8Array): Inspected {
  const frames = splitAdts(data);
  const h = frames[0]!.header;
  const asc = buildAudioSpecificConfig({
    objectType: h.objectType,
    sampleRate: h.sampleRate,
    channelConfiguration: h.channelConfiguration,
  });
  return {
    format: "adts",
    config: frameOf("aac", asc, true),
    frames: frames.map((f) => frameOf("aac", f.payload, false)),
  };
}

function av1(units: Uint8Array[], format: string): Inspected {
  const seq = units.flatMap((u) => splitAv1Obus(u)).find((o) => o.type === 1);
  if (seq === undefined) throw new Error("no AV1 sequence header found");
  return {
    format,
    config: frameOf("av1", buildAv1DecoderConfig(seq.data), true),
    frames: units.map((u) => frameOf("av1", u, false)),
  };
}

function obuStream(data: Uint8Array): Inspected {
  const obus = splitAv1Obus(data);
  const starts = obus.filter((o) => o.type === 2).map((o) =>
    o.data.byteOffset - data.byteOffset
  );
  const units = starts.map((s, i) =>
    data.subarray(s, starts[i + 1] ?? data.length)
  );
  return av1(units, "obu");
}

function ivf(data: Uint8Array): Inspected {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const fourcc = new TextDecoder().decode(data.subarray(8, 12));
  const fps = view.getUint32(16, true) / Math.max(1, view.getUint32(20, true));
  const units: Uint8Array[] = [];
  for (let pos = view.getUint16(6, true); pos + 12 <= data.length;) {
    const size = view.getUint32(pos, true);
    units.push(data.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  if (fourcc === "AV01") return av1(units, "ivf");
  if (fourcc !== "VP90") throw new Error(`unsupported IVF fourcc ${fourcc}`);
  const header = parseVp9FrameHeader(splitVp9Superframe(units[0]!)[0]!);
  const vpcC = buildVp9DecoderConfig(vp9DecoderConfigFromHeader(header, fps));
  return {
    format: "ivf",
    config: frameOf("vp9", vpcC, true),
    frames: units.map((u) => frameOf("vp9", u, false)),
  };
}

function ogg(data: Uint8Array): Inspected {
  const start = 27 + data[26]!;
  let length = 0;
  for (let i = 0; i < data[26]!; i++) length += data[27 + i]!;
  return {
    format: "ogg",
    config: frameOf("opus", data.subarray(start, start + length), true),
    frames: [],
  };
}

function inspect(path: string, data: Uint8Array, codec?: string): Inspected {
  const ascii = new TextDecoder().decode(data.subarray(0, 4));
  if (ascii === "DKIF") return ivf(data);
  if (ascii === "OggS") return ogg(data);
  if (data[0] === 0xff && (data[1]! & 0xf6) === 0xf0) return adts(data);
  if (/\.obu$/i.test(path) || codec === "av1") return obuStream(data);
  if (codec === "h265" || /\.(h265|265|hevc)$/i.test(path)) {
    return annexB(data, "h265");
  }
  if (codec === "h264" || /\.(h264|264|avc)$/i.test(path)) {
    return annexB(data, "h264");
  }
  throw new Error("unknown input: use --codec h264|h265|av1 for raw streams");
}

if (import.meta.main) {
  const [path, flag, value] = Deno.args;
  if (path === undefined) {
    console.error("usage: codec_inspect.ts <file> [--codec h264|h265|av1]");
    Deno.exit(2);
  }
  const result = inspect(
    path,
    Deno.readFileSync(path),
    flag === "--codec" ? value : undefined,
  );
  const info = parseCodecConfig(result.config);
  console.log(`file: ${path}`);
  console.log(`format: ${result.format}  codec: ${info.codec}`);
  console.log(`codec string: ${info.codecString}`);
  const { codec: _c, codecString: _s, ...rest } = info;
  console.log(`info: ${JSON.stringify(rest)}`);
  let keys = 0;
  result.frames.forEach((frame, i) => {
    const key = isRandomAccess(frame);
    if (key) keys++;
    console.log(
      `frame ${i} bytes ${frame.data.length} ${key ? "random-access" : "-"}`,
    );
  });
  console.log(`random-access frames: ${keys} of ${result.frames.length}`);
}
