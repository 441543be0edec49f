// MpegTsMuxer against ffprobe/ffmpeg on real encoder output.
import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import {
  makeH264AacFlv,
  makeHevcFrames,
  makeOpusFrames,
  scanTs,
} from "./_fixtures.ts";

/** Mux in segments that start at video keyframes, like the HLS segmenter. */
function muxSegments(
  muxer: MpegTsMuxer,
  frames: readonly MediaFrame[],
): Uint8Array {
  const segments: Uint8Array[] = [];
  let batch: MediaFrame[] = [];
  for (const frame of frames) {
    if (
      frame.kind === "video" && frame.keyframe && !frame.config &&
      batch.length > 0
    ) {
      segments.push(muxer.mux(batch));
      batch = [];
    }
    batch.push(frame);
  }
  segments.push(muxer.mux(batch));
  const out = new Uint8Array(segments.reduce((n, s) => n + s.length, 0));
  let pos = 0;
  for (const s of segments) out.set(s, pos), pos += s.length;
  return out;
}

/** `ffmpeg -v warning` must print nothing for both stream copy and full decode. */
async function assertFfmpegClean(path: string): Promise<void> {
  for (const args of [["-c", "copy"], []]) {
    const r = await run("ffmpeg", [
      "-hide_banner",
      "-v",
      "warning",
      "-i",
      path,
      ...args,
      "-f",
      "null",
      "-",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stderr.trim(),
      "",
      `ffmpeg ${args.join(" ")} stderr:\n${r.stderr}`,
    );
  }
}

interface ProbedPacket {
  codec_type: string;
  pts: number;
  dts: number;
  size: number;
  flags: string;
}

async function probePackets(path: string): Promise<ProbedPacket[]> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_packets",
    "-of",
    "json",
    path,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { packets: Record<string, unknown>[] })
    .packets.map((p) => ({
      codec_type: String(p.codec_type),
      pts: Number(p.pts),
      dts: Number(p.dts),
      size: Number(p.size),
      flags: String(p.flags),
    }));
}

Deno.test({
  name:
    "MpegTsMuxer output of an ffmpeg H.264+AAC FLV is read cleanly by ffprobe and ffmpeg",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-ts-");
    const flvPath = await makeH264AacFlv(dir.path);
    const { frames, truncated } = readFlvFile(await Deno.readFile(flvPath));
    assert.equal(truncated, false);
    const video = frames.filter((f) => f.kind === "video" && !f.config);
    assert.equal(video.length, 50);

    const ts = muxSegments(new MpegTsMuxer(), frames);
    const { pes } = scanTs(ts); // sync bytes + continuity counters across segments
    assert.equal(pes.filter((p) => p.pid === 0x100).length, 50);
    assert.ok(pes.filter((p) => p.pid === 0x100).every((p) => p.pcr === p.dts));
    const tsPath = `${dir.path}/out.ts`;
    await Deno.writeFile(tsPath, ts);

    const probe = await ffprobe(tsPath, ["-count_frames"]);
    const v = probe.streams.find((s) => s.codec_type === "video")!;
    const a = probe.streams.find((s) => s.codec_type === "audio")!;
    assert.equal(v.codec_name, "h264");
    assert.equal(v.width, 64);
    assert.equal(v.height, 64);
    assert.equal(v.nb_read_frames, "50");
    assert.equal(a.codec_name, "aac");
    assert.equal(a.sample_rate, "44100");
    assert.equal(a.channels, 2);
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - 2) < 0.1, `duration ${duration}`);
    await assertFfmpegClean(tsPath);

    // Every packet keeps its payload size (Annex B = AVCC size + AUD/params) and
    // its exact timestamps: FLV milliseconds × 90.
    const inPackets = await probePackets(flvPath);
    const outPackets = await probePackets(tsPath);
    for (const kind of ["video", "audio"]) {
      const a = inPackets.filter((p) => p.codec_type === kind);
      const b = outPackets.filter((p) => p.codec_type === kind);
      assert.equal(b.length, a.length, kind);
      const offset = b[0]!.dts - a[0]!.dts * 90;
      b.forEach((p, i) => {
        assert.equal(p.pts - offset, a[i]!.pts * 90, `${kind} pts #${i}`);
        assert.equal(p.dts - offset, a[i]!.dts * 90, `${kind} dts #${i}`);
        assert.equal(p.flags[0], a[i]!.flags[0], `${kind} key flag #${i}`);
      });
    }
  },
});

Deno.test({
  name:
    "MpegTsMuxer inserts VPS/SPS/PPS before each HEVC IRAP and ffprobe decodes it",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-ts-hevc-");
    const frames = await makeHevcFrames(dir.path);
    assert.equal(frames.filter((f) => !f.config).length, 50);
    const ts = muxSegments(new MpegTsMuxer(), frames);
    const tsPath = `${dir.path}/out.ts`;
    await Deno.writeFile(tsPath, ts);
    const probe = await ffprobe(tsPath, ["-count_frames"]);
    const v = probe.streams[0]!;
    assert.equal(v.codec_name, "hevc");
    assert.equal(v.width, 64);
    assert.equal(v.nb_read_frames, "50");
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - 2) < 0.1, `duration ${duration}`);
    await assertFfmpegClean(tsPath);
    // Keyframes carry the random access indicator.
    const { pes } = scanTs(ts);
    const keys = frames.filter((f) => !f.config).map((f) => f.keyframe);
    assert.deepEqual(pes.map((p) => p.randomAccess), keys);
  },
});

Deno.test({
  name:
    "MpegTsMuxer carries Opus that ffprobe identifies and ffmpeg decodes cleanly",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-ts-opus-");
    const frames = await makeOpusFrames(dir.path);
    assert.ok(frames.length > 90);
    const muxer = new MpegTsMuxer();
    const ts = new Uint8Array([
      ...muxer.mux(frames.slice(0, 50)),
      ...muxer.mux(frames.slice(50)),
    ]);
    const tsPath = `${dir.path}/out.ts`;
    await Deno.writeFile(tsPath, ts);
    const probe = await ffprobe(tsPath, ["-count_frames"]);
    const a = probe.streams[0]!;
    assert.equal(a.codec_name, "opus");
    assert.equal(a.channels, 2);
    assert.equal(a.sample_rate, "48000");
    assert.equal(a.nb_read_frames, String(frames.length - 1));
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - 2) < 0.1, `duration ${duration}`);
    await assertFfmpegClean(tsPath);
  },
});
