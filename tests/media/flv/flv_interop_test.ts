// FLV reader and writer against ffmpeg-made files and ffprobe.
import assert from "node:assert/strict";
import {
  decodeAmf0,
  encodeFlvFile,
  FlvReader,
  FlvWriterStream,
  type MediaFrame,
  readFlvFile,
  readFlvStream,
} from "../../../media/flv/mod.ts";
import { missing, run, tempDir } from "../../_tools.ts";
import { makeH264AacFlv, makeHevcFrames } from "../mpegts/_fixtures.ts";

interface Packet {
  codec_type: string;
  pts: string;
  dts: string;
  size: string;
  flags: string;
}

async function packets(path: string): Promise<Packet[]> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_packets",
    "-show_entries",
    "packet=codec_type,pts,dts,size,flags",
    "-of",
    "json",
    path,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { packets: Packet[] }).packets;
}

async function assertClean(path: string): Promise<void> {
  const r = await run("ffmpeg", [
    "-hide_banner",
    "-v",
    "warning",
    "-i",
    path,
    "-f",
    "null",
    "-",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), "", r.stderr);
}

Deno.test({
  name:
    "readFlvFile() maps an ffmpeg H.264+AAC FLV and encodeFlvFile() rewrites it packet-identical",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-flv-");
    const input = await makeH264AacFlv(dir.path);
    const bytes = await Deno.readFile(input);
    const { frames, truncated, header } = readFlvFile(bytes);
    assert.equal(truncated, false);
    assert.deepEqual(header, { hasAudio: true, hasVideo: true });
    const [meta] = frames;
    assert.equal(meta?.kind, "data");
    assert.equal(decodeAmf0(meta!.data)[0], "onMetaData");
    const configs = frames.filter((f) => f.config).map((f) => f.codec).sort();
    assert.deepEqual(configs, ["aac", "h264"]);
    const video = frames.filter((f) => f.kind === "video" && !f.config);
    assert.equal(video.length, 50);
    assert.ok(
      video.some((f) => f.pts !== f.dts),
      "B-frames give composition offsets",
    );
    assert.ok(
      frames.every((f) => f.data.buffer === bytes.buffer),
      "frames view the file bytes",
    );

    const outPath = `${dir.path}/out.flv`;
    await Deno.writeFile(outPath, encodeFlvFile(frames));
    assert.deepEqual(await packets(outPath), await packets(input));
    await assertClean(outPath);
  },
});

Deno.test({
  name:
    "FlvWriterStream rebases a live stream to 0 ms and ffmpeg reads the recording",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir("arcly-flv-rec-");
    const { frames } = readFlvFile(
      await Deno.readFile(await makeH264AacFlv(dir.path)),
    );
    // As from a live subscription: no script tag, timestamps 1 h in.
    const live = frames.filter((f) => f.kind !== "data").map((
      f,
    ): MediaFrame => ({
      ...f,
      pts: f.pts + 3_600_000,
      dts: f.dts + 3_600_000,
    }));
    const path = `${dir.path}/rec.flv`;
    const file = await Deno.open(path, {
      write: true,
      create: true,
      truncate: true,
    });
    await ReadableStream.from(live).pipeThrough(new FlvWriterStream()).pipeTo(
      file.writable,
    );
    const back = readFlvFile(await Deno.readFile(path)).frames;
    const firstMedia = back.find((f) => !f.config && f.kind !== "data");
    assert.equal(firstMedia?.dts, 0);
    assert.equal(back.length, live.length + 1); // + generated onMetaData
    await assertClean(path);
    const probed = await packets(path);
    assert.equal(probed.filter((p) => p.codec_type === "video").length, 50);
  },
});

Deno.test({
  name:
    "FlvReader gives the same frames for any chunking and readFlvStream() reads a file stream",
  ignore: missing("ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-flv-chunks-");
    const path = await makeH264AacFlv(dir.path);
    const bytes = await Deno.readFile(path);
    const whole = readFlvFile(bytes).frames;
    const strip = (fs: MediaFrame[]) =>
      fs.map((f) => ({ ...f, data: [...f.data] }));
    let seed = 7;
    const reader = new FlvReader();
    const chunked: MediaFrame[] = [];
    for (let pos = 0; pos < bytes.length;) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const size = 1 + (seed % 700);
      chunked.push(...reader.push(bytes.subarray(pos, pos + size)));
      pos += size;
    }
    assert.equal(reader.finish().truncated, false);
    assert.deepEqual(strip(chunked), strip(whole));
    const file = await Deno.open(path);
    const streamed = await Array.fromAsync(readFlvStream(file.readable));
    assert.deepEqual(strip(streamed), strip(whole));
    // A truncated tail keeps every complete tag.
    const cut = readFlvFile(bytes.subarray(0, bytes.length - 100));
    assert.equal(cut.truncated, true);
    assert.ok(cut.frames.length > 0 && cut.frames.length < whole.length);
    assert.deepEqual(
      strip(cut.frames),
      strip(whole.slice(0, cut.frames.length)),
    );
  },
});

Deno.test({
  name: "encodeFlvFile() round-trips real HEVC through Enhanced RTMP tags",
  ignore: missing("ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-flv-hevc-");
    const frames = await makeHevcFrames(dir.path);
    const { frames: back } = readFlvFile(encodeFlvFile(frames));
    const media = back.filter((f) => f.kind === "video");
    assert.equal(media.length, frames.length);
    media.forEach((f, i) => {
      assert.equal(f.codec, "h265");
      assert.equal(f.config, frames[i]!.config);
      assert.equal(f.keyframe, frames[i]!.keyframe);
      assert.equal(f.pts, frames[i]!.pts);
      assert.deepEqual(f.data, frames[i]!.data);
    });
  },
});
