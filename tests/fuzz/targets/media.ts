// Container targets: AMF0, FLV tag bodies (legacy and Enhanced RTMP), the
// incremental FlvReader with random chunking, fMP4 readBoxes, and the three
// muxers fed frames demuxed from a mutated FLV capture. There is no MPEG-TS
// demuxer in the library (only a muxer), so TS is covered on the output side.
import {
  Amf0EcmaArray,
  decodeAmf0,
  encodeAmf0,
  flvBodyToFrames,
  FlvMuxer,
  FlvReader,
  readFlvFile,
} from "../../../media/flv/mod.ts";
import { Fmp4Muxer, readBoxes } from "../../../media/fmp4/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import type { Muxer } from "../../../media/muxer.ts";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { feedInPieces } from "../_harness.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";

/** FLV tags of a file: [type, body] (header and previous-tag-size skipped). */
function flvTagBodies(file: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let pos = 13;
  while (pos + 11 <= file.length && out.length < 40) {
    const size = (file[pos + 1]! << 16) | (file[pos + 2]! << 8) |
      file[pos + 3]!;
    if (pos + 11 + size > file.length) break;
    // Seed = tag type byte then body, so mutations may also change the type.
    out.push(
      Uint8Array.of(
        file[pos]!,
        ...file.subarray(pos + 11, pos + 11 + size).subarray(0, 600),
      ),
    );
    pos += 15 + size;
  }
  return out;
}

function walkBoxes(bytes: Uint8Array, depth: number): void {
  for (const box of readBoxes(bytes)) {
    if (depth < 8 && box.body.length >= 8) {
      try {
        walkBoxes(box.body, depth + 1); // every payload is tried as a container
      } catch (error) {
        // Leaf payloads are not box lists: a typed rejection is fine there too.
        if (!(error instanceof StreamError)) throw error;
      }
    }
  }
}

function muxAll(muxer: Muxer, frames: MediaFrame[]): void {
  for (const f of frames) if (f.config) muxer.configure(f);
  muxer.initSegment();
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  for (let i = 0; i < media.length; i += 8) muxer.mux(media.slice(i, i + 8));
}

/** All FLV/AMF0/fMP4/muxer targets. */
export function mediaTargets(): FuzzTargetDef[] {
  const flv = readTestFile("fuzz/corpus/small.flv");
  const sample = readTestFile("../examples/assets/sample.flv").subarray(
    0,
    24_000,
  );
  const frag = readTestFile("fuzz/corpus/small_frag.mp4");
  const mp4s = ["h264_high.mp4", "h265_main.mp4", "av1.mp4", "vp9.mp4"].map((
    n,
  ) => readTestFile(`testdata/codec/${n}`));
  const amfSeeds = [
    encodeAmf0(["connect", 1, {
      app: "live",
      tcUrl: "rtmp://h/live",
      fourCcList: ["hvc1", "av01"],
      objectEncoding: 0,
    }]),
    encodeAmf0([
      "onMetaData",
      new Amf0EcmaArray({
        width: 64,
        height: 64,
        date: new Date(0),
        list: [1, null, undefined, true],
      }),
    ]),
    encodeAmf0(["publish", 5, null, "cam?token=x", "live"]),
    ...flvTagBodies(flv).filter((b) => b[0] === 18).map((b) => b.subarray(1)),
  ];
  const bodies = [...flvTagBodies(flv), ...flvTagBodies(sample)].filter((b) =>
    b[0] !== 18
  );
  // Enhanced RTMP bodies: HEVC sequence start, AV1 coded frames.
  bodies.push(
    Uint8Array.of(
      9,
      0x90,
      0x68,
      0x76,
      0x63,
      0x31,
      1,
      1,
      0x60,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      0x5d,
      0xf0,
      0,
      0xfc,
      0xfd,
      0xf8,
      0xf8,
      0,
      0,
      0x0f,
      0,
    ),
  );
  bodies.push(
    Uint8Array.of(9, 0x97, 2, 0, 0, 5, 0x03, 0x61, 0x76, 0x30, 0x31, 0xaa),
  );
  return [
    simple("flv.decodeAmf0", amfSeeds, decodeAmf0),
    simple("flv.flvBodyToFrames", bodies, (d) => {
      const type = d[0] === 8 || d[0] === 9 || d[0] === 18 ? d[0] : 9;
      flvBodyToFrames(type, d.subarray(1), 1000);
    }),
    simple("flv.FlvReader", [flv, sample.subarray(0, 8000)], (d, random) => {
      const reader = new FlvReader();
      feedInPieces(d, random, 4096, (piece) => reader.push(piece));
      reader.finish();
    }),
    simple("fmp4.readBoxes", [frag, ...mp4s], (d) => walkBoxes(d, 0)),
    simple("mux.fromFlv", [flv], (d, random) => {
      const { frames } = readFlvFile(d);
      const pick = random();
      muxAll(
        pick < 0.34
          ? new MpegTsMuxer()
          : pick < 0.67
          ? new Fmp4Muxer()
          : new FlvMuxer(),
        frames,
      );
    }),
  ];
}
