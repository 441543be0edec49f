// The kernel fed with a real encoder's output: ffmpeg encodes a short
// H.264 + AAC FLV, the FLV reader turns it into frames, Engine.pumpSource
// publishes them, and what the kernel learned and delivered is compared with
// ffprobe's view of the same file.
import assert from "node:assert/strict";
import { Engine, ManualClock, type MediaFrame } from "../../mod.ts";
import { FlvWriterStream, readFlvFile } from "../../media/flv/mod.ts";
import { ffprobe, missing, run, tempDir } from "../_tools.ts";

async function encode(dir: string): Promise<string> {
  const file = `${dir}/clip.flv`;
  const r = await run("ffmpeg", [
    "-v",
    "error",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=320x180:rate=25:duration=3",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=48000:duration=3",
    "-ac",
    "2",
    "-c:v",
    "libx264",
    "-g",
    "25",
    "-bf",
    "2",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "64k",
    "-f",
    "flv",
    file,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return file;
}

Deno.test({
  name:
    "a real ffmpeg stream: metadata matches ffprobe, every subscriber gets every frame, a late joiner starts at config + keyframe",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const file = await encode(dir.path);
    const probe = await ffprobe(file);
    const { frames } = readFlvFile(await Deno.readFile(file));
    const video = probe.streams.find((s) => s.codec_type === "video")!;
    const audio = probe.streams.find((s) => s.codec_type === "audio")!;

    await using engine = Engine.builder().clock(new ManualClock()).build();
    const decodeErrors: unknown[] = [];
    engine.events.on("decodeError", (e) => decodeErrors.push(e.error));
    let lateReplay: MediaFrame[] = [];
    const early: MediaFrame[] = [];
    let reading: Promise<void> | undefined;
    engine.events.on("published", (e) => {
      const sub = engine.getStream(e.key)!.subscribe();
      reading = (async () => {
        for await (const f of sub) early.push(f);
      })();
    });
    let published = 0;
    const pumped = engine.pumpSource("live/clip", {
      name: "ffmpeg-flv",
      async *frames() {
        for (const f of frames) {
          yield f;
          await Promise.resolve();
          if (++published === 60) {
            const stream = engine.getStream("live/clip")!;
            const meta = stream.metadataSnapshot();
            assert.equal(meta.video?.width, video.width);
            assert.equal(meta.video?.height, video.height);
            assert.match(meta.video?.codecString ?? "", /^avc1\.[0-9a-f]{6}$/);
            assert.equal(meta.audio?.sampleRate, Number(audio.sample_rate));
            assert.equal(meta.audio?.channels, audio.channels);
            assert.equal(meta.audio?.codecString, "mp4a.40.2");
            const late = stream.subscribe();
            lateReplay = late.takeAll();
            late.close();
          }
        }
      },
    });
    assert.equal(await pumped, frames.length);
    await reading;
    assert.deepEqual(decodeErrors, []);
    assert.equal(early.length, frames.length);
    for (let i = 0; i < frames.length; i++) assert.equal(early[i], frames[i]);
    // Replay: script data, then configs (video first), then the GOP from its keyframe.
    const firstMedia = lateReplay.findIndex((f) =>
      !f.config && f.kind !== "data"
    );
    assert.ok(firstMedia > 0);
    assert.deepEqual(
      lateReplay.slice(0, firstMedia).filter((f) => f.config).map((f) =>
        f.kind
      ),
      ["video", "audio"],
    );
    const firstVideo = lateReplay.slice(firstMedia).find((f) =>
      f.kind === "video"
    );
    assert.equal(firstVideo?.keyframe, true);
  },
});

Deno.test({
  name:
    "a late joiner piped into an FLV file (readable.pipeTo) decodes from its first frame, per ffprobe",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const source = await encode(dir.path);
    const { frames } = readFlvFile(await Deno.readFile(source));
    await using engine = Engine.builder().clock(new ManualClock()).build();
    const stream = engine.startPublish("live/clip");
    // Join mid-stream: 1.5 s in, in the middle of a 1 s GOP.
    const join = frames.findIndex((f) => f.kind === "video" && f.dts >= 1500);
    for (const f of frames.slice(0, join)) stream.publishFrame(f);
    const sub = stream.subscribe();
    const out = `${dir.path}/late.flv`;
    const file = await Deno.open(out, { write: true, create: true });
    const piped = sub.readable.pipeThrough(new FlvWriterStream()).pipeTo(
      file.writable,
    );
    for (const f of frames.slice(join)) stream.publishFrame(f);
    stream.end();
    await piped;
    const videoCount = (list: MediaFrame[]) =>
      list.filter((f) => f.kind === "video" && !f.config).length;
    const keyAt = frames.slice(0, join).findLastIndex((f) =>
      f.kind === "video" && f.keyframe && !f.config
    );
    const expected = videoCount(frames.slice(keyAt));
    // ffmpeg decodes every video frame without errors: the file starts at config + keyframe.
    const decode = await run("ffmpeg", [
      "-v",
      "error",
      "-i",
      out,
      "-map",
      "0:v",
      "-f",
      "null",
      "-",
    ]);
    assert.equal(decode.code, 0, decode.stderr);
    assert.equal(decode.stderr.trim(), "");
    const probe = await ffprobe(out, ["-count_frames", "-select_streams", "v"]);
    assert.equal(Number(probe.streams[0]?.nb_read_frames), expected);
  },
});
