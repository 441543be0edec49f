// Interop: real ffmpeg-encoded bitstreams muxed by Fmp4Muxer (init + fragments
// concatenated into one file) must be read by ffprobe with the expected codecs,
// every packet at its exact timestamp, and decode with no warning at all.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { MediaFrame } from "../../../media/frame.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import { muxFragments } from "./_fragmenter.ts";
import { ffmpegFrames } from "./_mp4_source.ts";

const SOURCE = [
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=320x240:rate=30",
  "-f",
  "lavfi",
  "-i",
  "sine=frequency=440:sample_rate=48000",
  "-t",
  "2",
  "-pix_fmt",
  "yuv420p",
];

interface Case {
  name: string;
  encode: string[];
  codecs: [string, string];
  milliseconds: boolean;
}

const CASES: Case[] = [
  {
    name: "H.264 with B-frames + AAC, RTMP millisecond timestamps",
    encode: ["-c:v", "libx264", "-bf", "2", "-g", "30", "-c:a", "aac"],
    codecs: ["h264", "aac"],
    milliseconds: true,
  },
  {
    name: "H.265 with B-frames + AAC",
    encode: [
      "-c:v",
      "libx265",
      "-x265-params",
      "log-level=none:bframes=3:keyint=30:open-gop=0",
      "-tag:v",
      "hvc1",
      "-c:a",
      "aac",
    ],
    codecs: ["hevc", "aac"],
    milliseconds: false,
  },
  {
    name: "VP9 + Opus, RTMP millisecond timestamps",
    encode: [
      "-c:v",
      "libvpx-vp9",
      "-deadline",
      "realtime",
      "-cpu-used",
      "8",
      "-g",
      "30",
      "-c:a",
      "libopus",
    ],
    codecs: ["vp9", "opus"],
    milliseconds: true,
  },
  {
    name: "AV1 + Opus",
    encode: [
      "-c:v",
      "libaom-av1",
      "-cpu-used",
      "8",
      "-usage",
      "realtime",
      "-g",
      "30",
      "-c:a",
      "libopus",
    ],
    codecs: ["av1", "opus"],
    milliseconds: false,
  },
];

interface ProbedPacket {
  codec_type: string;
  pts: number;
  dts: number;
  size: string;
  flags: string;
}

/** Mux, write, and check ffprobe streams, packets and a silent decode. */
async function checkInterop(
  dir: string,
  frames: MediaFrame[],
  codecs: readonly string[],
): Promise<void> {
  const { file, fragments, muxer } = muxFragments(frames, 1000);
  assert.ok(fragments.length >= 2, "several fragments");
  const out = join(dir, "out.mp4");
  await Deno.writeFile(out, file);

  const probe = await ffprobe(out, ["-show_packets"]);
  assert.equal(probe.stderr, "");
  assert.deepEqual(probe.streams.map((s) => s.codec_name), codecs);

  const packets = (probe as unknown as { packets: ProbedPacket[] }).packets;
  for (const [index, kind] of (["video", "audio"] as const).entries()) {
    const track = muxer.tracks[index]!;
    const source = frames.filter((f) => f.kind === kind && !f.config);
    const probed = packets.filter((p) => p.codec_type === kind);
    assert.equal(probed.length, source.length, `${kind} packet count`);
    const rescale = (t: number, ts: number) =>
      Math.round((t * track.timescale) / ts);
    assert.deepEqual(
      probed.map((
        p,
      ) => [
        Number(p.dts),
        Number(p.pts),
        Number(p.size),
        p.flags.startsWith("K"),
      ]),
      source.map((f) => [
        rescale(f.dts, f.timescale),
        rescale(f.pts, f.timescale),
        f.data.length,
        f.keyframe,
      ]),
      `${kind} packets`,
    );
    const last = source.at(-1)!;
    const end = rescale(last.dts, last.timescale) / track.timescale;
    const duration = Number(probe.streams[index]!.duration);
    assert.ok(
      duration > end && duration < end + 0.05,
      `${kind} duration ${duration} vs last dts ${end}`,
    );
  }

  // The whole file (what a recorder writes: init once, then every fragment)
  // lasts as long as its tracks: at least each stream's duration, at most the
  // latest presentation end (ffmpeg counts some durations from 0, some from start_time).
  const fileDuration = Number(probe.format.duration);
  const longest = Math.max(...probe.streams.map((s) => Number(s.duration)));
  const latestEnd = Math.max(
    ...probe.streams.map((s) => Number(s.start_time) + Number(s.duration)),
  );
  assert.ok(
    fileDuration >= longest && fileDuration <= latestEnd + 0.001,
    `file duration ${fileDuration} outside [${longest}, ${latestEnd}]`,
  );

  const decode = await run("ffmpeg", [
    "-v",
    "warning",
    "-i",
    out,
    "-f",
    "null",
    "-",
  ]);
  assert.equal(decode.code, 0);
  assert.equal(decode.stderr, "", "ffmpeg decodes without a warning");
}

for (const c of CASES) {
  Deno.test({
    name: `Fmp4Muxer output is read by ffprobe and ffmpeg: ${c.name}`,
    ignore: missing("ffmpeg", "ffprobe"),
    async fn() {
      await using dir = await tempDir("arcly-fmp4-");
      const frames = await ffmpegFrames(
        [...SOURCE, ...c.encode],
        join(dir.path, "src.mp4"),
        {
          milliseconds: c.milliseconds,
        },
      );
      await checkInterop(dir.path, frames, c.codecs);
    },
  });
}

Deno.test({
  name:
    "Fmp4Muxer output is read by ffprobe and ffmpeg: the FLV sample clip through FlvReader",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-fmp4-");
    const flv = await Deno.readFile(
      new URL("../../../examples/assets/sample.flv", import.meta.url),
    );
    const frames = readFlvFile(flv).frames.filter((f) => f.kind !== "data");
    await checkInterop(dir.path, frames, ["h264", "aac"]);
  },
});
