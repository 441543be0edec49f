// Codec parser targets: NAL splitting, BitReader Exp-Golomb, H.264/H.265/VVC
// parameter sets and decoder configs, AV1 OBUs/sequence header/av1C, VP9
// frame header/superframe/vpcC, ADTS, AudioSpecificConfig, OpusHead, and the
// parseCodecConfig / isRandomAccess dispatchers. Seeds are real encoder
// output (tests/testdata/codec and tests/fuzz/corpus).
import * as codec from "../../../media/codec/mod.ts";
import type { CodecId, MediaFrame } from "../../../media/frame.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";

const data = (name: string) => readTestFile(`testdata/codec/${name}`);

function box(bytes: Uint8Array, type: string): Uint8Array {
  const t = [...type].map((c) => c.charCodeAt(0));
  for (let i = 4; i + 4 <= bytes.length; i++) {
    if (t.every((b, k) => bytes[i + k] === b)) {
      const size = new DataView(bytes.buffer, bytes.byteOffset + i - 4, 4)
        .getUint32(0);
      return bytes.subarray(i + 4, i - 4 + size);
    }
  }
  throw new Error(`no ${type} box`);
}

function frame(
  codecId: CodecId,
  bytes: Uint8Array,
  config: boolean,
): MediaFrame {
  const kind = codecId === "aac" || codecId === "opus" ? "audio" : "video";
  return {
    kind,
    codec: codecId,
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: config,
    config,
    data: bytes,
  };
}

/** All codec targets. */
export function codecTargets(): FuzzTargetDef[] {
  const h264Files = [
    "h264_high10.h264",
    "h264_main.h264",
    "h264_high444.h264",
    "h264_interlaced.h264",
  ].map(data);
  h264Files.push(readTestFile("fuzz/corpus/small.h264"));
  const h264Units = h264Files.flatMap((f) => codec.splitAnnexB(f));
  const h265Units = [
    data("h265_main10.h265"),
    readTestFile("fuzz/corpus/small.h265"),
  ]
    .flatMap((f) => codec.splitAnnexB(f));
  const h264 = (t: number) =>
    h264Units.filter((u) => (u[0]! & 0x1f) === t).slice(0, 4);
  const h265 = (t: number) =>
    h265Units.filter((u) => codec.h265NalType(u) === t).slice(0, 3);
  const avcC = box(data("h264_high.mp4"), "avcC");
  const hvcC = box(data("h265_main.mp4"), "hvcC");
  const av1C = box(data("av1.mp4"), "av1C");
  const vpcC = box(data("vp9.mp4"), "vpcC");
  const av1 = data("av1.obu").subarray(0, 600);
  const seqObu = codec.splitAv1Obus(data("av1.obu")).find((o) => o.type === 1)!;
  const vp9 = [
    data("vp9.ivf").subarray(44, 160),
    data("vp9_10bit.ivf").subarray(44, 160),
  ];
  const adts = [
    data("aac_lc_stereo.aac").subarray(0, 600),
    readTestFile("fuzz/corpus/small.aac"),
  ];
  const ogg = data("opus_stereo.ogg");
  const opusHead = ogg.subarray(28, 28 + ogg[27]!);
  const asc = [
    new Uint8Array([0x12, 0x10]),
    new Uint8Array([0x2b, 0x11, 0x88, 0]),
    new Uint8Array([0x13, 0x10, 0x56, 0xe5, 0x9d, 0x48, 0x80]),
  ];
  const vvcC = new Uint8Array([
    0xff,
    0,
    0x11,
    0x5f,
    1,
    2,
    83,
    0x80,
    0,
    7,
    0x80,
    4,
    0x38,
    0,
    0,
    0,
  ]);
  const vvcSps = new Uint8Array([
    0x00,
    0x79,
    0x00,
    0x1a,
    0x02,
    0x53,
    0x80,
    0x00,
    0x00,
    0x00,
    0x3c,
    0x02,
    0x02,
    0x20,
    0x0b,
    0x26,
  ]);
  const sample264 = codec.joinLengthPrefixed(h264Units.slice(0, 6));
  const sample265 = codec.joinLengthPrefixed(h265Units.slice(0, 5));
  const vvcSample = codec.joinLengthPrefixed([
    new Uint8Array([0, 0x39, 0x80, 1]),
  ]);
  const targets: FuzzTargetDef[] = [
    simple(
      "codec.splitAnnexB",
      h264Files.map((f) => f.subarray(0, 2000)),
      codec.splitAnnexB,
    ),
    simple(
      "codec.splitLengthPrefixed",
      [sample264, sample265],
      (d, r) => codec.splitLengthPrefixed(d, [1, 2, 4][Math.floor(r() * 3)]!),
    ),
    simple(
      "codec.lengthPrefixedToAnnexB",
      [sample264],
      (d) => codec.lengthPrefixedToAnnexB(d, 4),
    ),
    simple("codec.BitReader", h264(7), (d) => {
      const reader = new codec.BitReader(
        codec.removeEmulationPrevention(d, 64),
      );
      for (let i = 0; i < 8; i++) {
        reader.readUe() + reader.readSe() + reader.readBits(i * 4);
      }
    }),
    simple("codec.parseH264Sps", h264(7), codec.parseH264Sps),
    simple("codec.parseH264PpsIds", h264(8), codec.parseH264PpsIds),
    simple("codec.hasH264RecoveryPoint", [
      ...h264(6),
      new Uint8Array([6, 6, 1, 0xc4, 0x80]),
    ], codec.hasH264RecoveryPoint),
    simple("codec.parseAvcDecoderConfig", [avcC], codec.parseAvcDecoderConfig),
    simple("codec.parseH265Vps", h265(32), codec.parseH265Vps),
    simple("codec.parseH265Sps", h265(33), codec.parseH265Sps),
    simple("codec.parseH265Pps", h265(34), codec.parseH265Pps),
    simple(
      "codec.parseHevcDecoderConfig",
      [hvcC],
      codec.parseHevcDecoderConfig,
    ),
    simple("codec.parseVvcSps", [vvcSps], codec.parseVvcSps),
    simple("codec.parseVvcDecoderConfig", [vvcC], codec.parseVvcDecoderConfig),
    simple(
      "codec.splitAv1Obus",
      [av1, data("av1_10bit.obu")],
      codec.splitAv1Obus,
    ),
    simple(
      "codec.parseAv1SequenceHeader",
      [seqObu.payload],
      codec.parseAv1SequenceHeader,
    ),
    simple("codec.parseAv1DecoderConfig", [av1C], codec.parseAv1DecoderConfig),
    simple(
      "codec.buildAv1DecoderConfig",
      [seqObu.data],
      codec.buildAv1DecoderConfig,
    ),
    simple("codec.parseVp9FrameHeader", vp9, codec.parseVp9FrameHeader),
    simple("codec.splitVp9Superframe", vp9, codec.splitVp9Superframe),
    simple("codec.parseVp9DecoderConfig", [vpcC], codec.parseVp9DecoderConfig),
    simple(
      "codec.parseAudioSpecificConfig",
      asc,
      codec.parseAudioSpecificConfig,
    ),
    simple("codec.parseAdtsHeader", adts, codec.parseAdtsHeader),
    simple("codec.splitAdts", adts, codec.splitAdts),
    simple("codec.parseOpusHead", [opusHead], codec.parseOpusHead),
  ];
  const configs: [CodecId, Uint8Array][] = [
    ["h264", avcC],
    ["h265", hvcC],
    ["vvc", vvcC],
    ["av1", av1C],
    ["vp9", vpcC],
    ["aac", asc[2]!],
    ["opus", opusHead],
  ];
  const ids = configs.map(([id]) => id);
  // One dispatcher target: the first byte picks the codec, so a mutation can
  // also feed one codec's config to another codec's parser.
  targets.push(
    simple(
      "codec.parseCodecConfig",
      configs.map(([, seed], i) => Uint8Array.of(i, ...seed)),
      (d) =>
        codec.parseCodecConfig(
          frame(ids[(d[0] ?? 0) % ids.length]!, d.subarray(1), true),
        ),
    ),
  );
  const media: [CodecId, Uint8Array][] = [
    ["h264", sample264],
    ["h265", sample265],
    ["vvc", vvcSample],
    ["av1", av1],
    ["vp9", vp9[0]!],
  ];
  targets.push(
    simple(
      "codec.isRandomAccess",
      media.map(([, seed], i) => Uint8Array.of(i, ...seed)),
      (d) =>
        codec.isRandomAccess(
          frame(media[(d[0] ?? 0) % media.length]![0], d.subarray(1), false),
        ),
    ),
  );
  return targets;
}
