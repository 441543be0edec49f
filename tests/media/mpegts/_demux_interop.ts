// Interop helpers for the demuxer tests: make TS files with ffmpeg and
// GStreamer, read ffprobe's packet list, remux frames and decode with ffmpeg.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { FlvMuxer } from "../../../media/flv/mod.ts";
import { Fmp4Muxer } from "../../../media/fmp4/mod.ts";
import { run } from "../../_tools.ts";
import { concat } from "./_demux_helpers.ts";

/** Video and audio codec arguments for one ffmpeg-made TS. */
export interface TsRecipe {
  video: string[];
  audio: string[];
}

/** `ffmpeg -f lavfi testsrc2 320x240@25 + sine 48 kHz -t 3 <codecs> -f mpegts`. */
export async function ffmpegTs(path: string, recipe: TsRecipe): Promise<void> {
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=f=440:sample_rate=48000",
    "-t",
    "3",
    ...recipe.video,
    "-pix_fmt",
    "yuv420p",
    ...recipe.audio,
    "-f",
    "mpegts",
    path,
  ], { timeoutMs: 120_000 }); // deno-fmt-ignore
  assert.equal(r.code, 0, r.stderr);
}

/** One packet as ffprobe lists it. */
export interface ProbePacket {
  codec_type: string;
  stream_index: number;
  pts: number;
  dts: number;
  size: number;
  keyframe: boolean;
}

/** `ffprobe -show_packets` of a file, with stream kinds. */
export async function probePackets(path: string): Promise<ProbePacket[]> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_packets",
    "-show_streams",
    "-of",
    "json",
    path,
  ]); // deno-fmt-ignore
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as {
    streams: { index: number; codec_type: string }[];
    packets: {
      stream_index: number;
      pts?: number;
      dts?: number;
      size: string;
      flags: string;
    }[];
  };
  const kinds = new Map(json.streams.map((s) => [s.index, s.codec_type]));
  return json.packets.map((p) => ({
    codec_type: kinds.get(p.stream_index) ?? "",
    stream_index: p.stream_index,
    pts: p.pts ?? NaN,
    dts: p.dts ?? NaN,
    size: Number(p.size),
    keyframe: p.flags.startsWith("K"),
  }));
}

/** Remux frames (90 kHz) to FLV or fMP4 and decode with ffmpeg: stderr must be empty. */
export async function assertDecodesClean(
  frames: readonly MediaFrame[],
  path: string,
  format: "flv" | "mp4",
): Promise<void> {
  const muxer = format === "flv" ? new FlvMuxer() : new Fmp4Muxer();
  for (const f of frames) if (f.config) muxer.configure(f);
  const media = frames.filter((f) => !f.config);
  const parts: Uint8Array[] = [];
  // Config frames first (the muxers take them via configure); then media.
  const head = muxer.initSegment();
  if (head !== null) parts.push(head);
  for (let i = 0; i < media.length; i += 50) {
    parts.push(muxer.mux(media.slice(i, i + 50)));
  }
  await Deno.writeFile(path, concat(parts));
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "error",
    "-i",
    path,
    "-f",
    "null",
    "-",
  ]); // deno-fmt-ignore
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", `ffmpeg decode of ${path}:\n${r.stderr}`);
}
