// MpegTsDemuxer on TS made by ffmpeg: frames and timestamps match ffprobe's
// packet list, configs match what media/codec parses, and the frames remuxed
// by our FLV/fMP4 muxers decode in ffmpeg with zero errors.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import {
  parseAudioSpecificConfig,
  parseAvcDecoderConfig,
  parseCodecConfig,
  parseHevcDecoderConfig,
  parseOpusHead,
} from "../../../media/codec/mod.ts";
import { ffprobe, missing, tempDir } from "../../_tools.ts";
import { demuxAll } from "./_demux_helpers.ts";
import {
  assertDecodesClean,
  ffmpegTs,
  type ProbePacket,
  probePackets,
  type TsRecipe,
} from "./_demux_interop.ts";

const X264 = [
  "-c:v",
  "libx264",
  "-preset",
  "ultrafast",
  "-bf",
  "2",
  "-g",
  "25",
];
const X265 = [
  "-c:v",
  "libx265",
  "-preset",
  "ultrafast",
  "-x265-params",
  "bframes=2:keyint=25:log-level=error",
]; // deno-fmt-ignore

/** Compare one kind's frames with ffprobe's packets of that kind. */
function assertMatchesProbe(
  frames: readonly MediaFrame[],
  packets: readonly ProbePacket[],
  kind: "video" | "audio",
  adtsBytes = 0,
): void {
  const ours = frames.filter((f) => f.kind === kind && !f.config);
  const theirs = packets.filter((p) => p.codec_type === kind);
  assert.equal(ours.length, theirs.length, `${kind}: frame count vs ffprobe`);
  assert.ok(ours.length > 10, `${kind}: frames demuxed`);
  for (let i = 0; i < ours.length; i++) {
    const f = ours[i]!, p = theirs[i]!;
    assert.equal(f.pts, p.pts, `${kind} #${i} pts`);
    assert.equal(f.dts, p.dts, `${kind} #${i} dts`);
    assert.equal(f.keyframe, p.keyframe, `${kind} #${i} keyframe`);
    if (kind === "audio") {
      assert.equal(f.data.length + adtsBytes, p.size, `${kind} #${i} size`);
    }
  }
}

/** Our config frames, parsed by media/codec, describe what ffprobe reports. */
async function assertConfigsMatchProbe(
  frames: readonly MediaFrame[],
  path: string,
): Promise<void> {
  const probe = await ffprobe(path);
  for (const stream of probe.streams) {
    const kind = stream.codec_type as "video" | "audio";
    const config = frames.find((f) => f.config && f.kind === kind);
    if (config === undefined) continue; // MP3 has no config frame
    const info = parseCodecConfig(config);
    if (kind === "video") {
      assert.deepEqual(
        [info.width, info.height, info.level],
        [stream.width, stream.height, stream.level],
        "video config vs ffprobe",
      );
    } else {
      assert.deepEqual(
        [info.sampleRate, info.channels],
        [Number(stream.sample_rate), stream.channels],
        "audio config vs ffprobe",
      );
    }
  }
}

async function demuxFfmpeg(dir: string, name: string, recipe: TsRecipe) {
  const path = `${dir}/${name}.ts`;
  await ffmpegTs(path, recipe);
  const ts = await Deno.readFile(path);
  const { frames, events, demuxer } = demuxAll(ts, 1316);
  assert.deepEqual(
    events.filter((e) => e.type !== "programChanged"),
    [],
    `${name}: no damage events`,
  );
  assert.equal(demuxer.stats.continuityErrors, 0);
  await assertConfigsMatchProbe(frames, path);
  return { frames, packets: await probePackets(path), ts };
}

Deno.test({
  name: "demuxer interop: ffmpeg TS, H.264 (B-frames) + AAC",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const { frames, packets } = await demuxFfmpeg(dir.path, "h264_aac", {
      video: X264,
      audio: ["-c:a", "aac"],
    });
    assertMatchesProbe(frames, packets, "video");
    assertMatchesProbe(frames, packets, "audio", 7);
    const avcC = parseAvcDecoderConfig(
      frames.find((f) => f.config && f.kind === "video")!.data,
    );
    assert.equal(avcC.lengthSize, 4);
    assert.equal(avcC.sps.length, 1);
    const asc = parseAudioSpecificConfig(
      frames.find((f) => f.config && f.kind === "audio")!.data,
    );
    assert.deepEqual([asc.objectType, asc.sampleRate], [2, 48000]);
    // no AUD/SPS/PPS left in media frames
    for (const f of frames.filter((x) => x.kind === "video" && !x.config)) {
      for (let p = 0; p < f.data.length;) {
        const n = new DataView(f.data.buffer, f.data.byteOffset).getUint32(p);
        assert.ok(![7, 8, 9].includes(f.data[p + 4]! & 0x1f));
        p += 4 + n;
      }
    }
    await assertDecodesClean(frames, `${dir.path}/h264_aac.flv`, "flv");
  },
});

Deno.test({
  name: "demuxer interop: ffmpeg TS, H.265 (B-frames) + Opus",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const { frames, packets } = await demuxFfmpeg(dir.path, "h265_opus", {
      video: X265,
      audio: ["-c:a", "libopus", "-ac", "2"],
    });
    assertMatchesProbe(frames, packets, "video");
    assertMatchesProbe(frames, packets, "audio");
    const hvcC = parseHevcDecoderConfig(
      frames.find((f) => f.config && f.kind === "video")!.data,
    );
    assert.deepEqual(hvcC.arrays.map((a) => a.nalType), [32, 33, 34]);
    const head = parseOpusHead(
      frames.find((f) => f.config && f.kind === "audio")!.data,
    );
    assert.equal(head.channels, 2);
    await assertDecodesClean(frames, `${dir.path}/h265_opus.mp4`, "mp4");
  },
});

Deno.test({
  name: "demuxer interop: ffmpeg TS, H.264 + MP3",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const { frames, packets } = await demuxFfmpeg(dir.path, "h264_mp3", {
      video: X264,
      audio: ["-c:a", "libmp3lame", "-b:a", "128k"],
    });
    assertMatchesProbe(frames, packets, "video");
    assertMatchesProbe(frames, packets, "audio");
    assert.ok(frames.every((f) => f.kind !== "audio" || !f.config));
    await assertDecodesClean(frames, `${dir.path}/h264_mp3.flv`, "flv");
  },
});
