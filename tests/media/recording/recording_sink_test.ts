import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import type { MediaFrame } from "../../../media/frame.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import {
  type RecordingEvent,
  RecordingSink,
} from "../../../media/recording/mod.ts";
import { FsStorage, MemoryStorage } from "../../../media/storage/mod.ts";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";

async function sampleFrames(): Promise<MediaFrame[]> {
  const url = new URL("../../../examples/assets/sample.flv", import.meta.url);
  return readFlvFile(await Deno.readFile(url)).frames;
}

/** ffprobe a file and check it holds the sample's H.264 + AAC for about `durationS`. */
async function assertRecording(path: string, durationS: number): Promise<void> {
  const probe = await ffprobe(path);
  assert.equal(probe.stderr.trim(), "", probe.stderr);
  assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
    "aac",
    "h264",
  ]);
  const duration = Number(probe.format.duration);
  assert.ok(
    Math.abs(duration - durationS) < 0.12,
    `${path}: duration ${duration}, expected ${durationS}`,
  );
  const decode = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    path,
    "-f",
    "null",
    "-",
  ]);
  assert.equal(decode.code, 0);
  assert.equal(decode.stderr.trim(), "", decode.stderr);
}

for (const format of ["mp4", "flv"] as const) {
  Deno.test({
    name:
      `RecordingSink ${format}: a finished recording plays whole in ffprobe/ffmpeg`,
    ignore: missing("ffprobe", "ffmpeg"),
    async fn() {
      await using dir = await tempDir("arcly-rec-");
      const events: RecordingEvent[] = [];
      const sink = new RecordingSink({
        storage: new FsStorage({ root: dir.path }),
        key: `rec/cam.${format}`,
        format,
        onEvent: (e) => events.push(e),
      });
      await ReadableStream.from(await sampleFrames()).pipeTo(sink.writable);
      assert.equal(sink.fragments, 5);
      assert.equal(events.at(-1)?.type, "finalized");
      assert.equal(events.filter((e) => e.type === "fragment").length, 5);
      assert.equal(
        (await Deno.stat(`${dir.path}/rec/cam.${format}`)).size,
        sink.bytesWritten,
      );
      await assertRecording(`${dir.path}/rec/cam.${format}`, 10);
    },
  });

  Deno.test({
    name:
      `RecordingSink ${format}: killed mid-recording, the file plays up to the last complete fragment`,
    ignore: missing("ffprobe", "ffmpeg"),
    async fn() {
      await using dir = await tempDir("arcly-rec-kill-");
      const sink = new RecordingSink({
        storage: new FsStorage({ root: dir.path }),
        key: `rec/cam.${format}`,
        format,
        sync: true,
      });
      const frames = await sampleFrames();
      // 5.5 s in: fragments [0,2) and [2,4) are complete; [4,5.5) is still buffered.
      for (const frame of frames) {
        if (frame.dts >= 5500) break;
        await sink.push(frame);
      }
      // No end(): this is all a killed process would have left on disk.
      assert.equal(sink.fragments, 2);
      await assertRecording(`${dir.path}/rec/cam.${format}`, 4);
    },
  });
}

for (const format of ["hls-ts", "hls-fmp4"] as const) {
  Deno.test({
    name:
      `RecordingSink ${format}: EVENT playlist while running, VOD with ENDLIST at the end`,
    ignore: missing("ffprobe", "ffmpeg"),
    async fn() {
      await using dir = await tempDir("arcly-rec-hls-");
      const storage = new FsStorage({ root: dir.path });
      const sink = new RecordingSink({
        storage,
        key: "rec/cam",
        format,
        fragmentDurationMs: 4000,
      });
      const frames = await sampleFrames();
      const half = frames.findIndex((f) => f.dts >= 6000 && !f.config);
      for (const frame of frames.slice(0, half)) await sink.push(frame);
      const running = HLS.parse(
        await Deno.readTextFile(`${dir.path}/rec/cam/index.m3u8`),
      ) as HLS.types.MediaPlaylist;
      assert.equal(running.playlistType, "EVENT");
      assert.equal(running.endlist, false);
      assert.equal(running.segments.length, 1);
      for (const frame of frames.slice(half)) await sink.push(frame);
      await sink.end();
      const done = HLS.parse(
        await Deno.readTextFile(`${dir.path}/rec/cam/index.m3u8`),
      ) as HLS.types.MediaPlaylist;
      assert.equal(done.playlistType, "VOD");
      assert.equal(done.endlist, true);
      assert.deepEqual(done.segments.map((s) => Math.round(s.duration)), [
        4,
        4,
        2,
      ]);
      assert.equal(sink.fragments, 3);
      await assertRecording(`${dir.path}/rec/cam/index.m3u8`, 10);
    },
  });
}

Deno.test("RecordingSink reports a full disk once, stops the file and keeps draining", async () => {
  const storage = new MemoryStorage({ maxBytes: 120_000 });
  const events: RecordingEvent[] = [];
  const sink = new RecordingSink({
    storage,
    key: "rec/cam.mp4",
    format: "mp4",
    onEvent: (e) => events.push(e),
  });
  await ReadableStream.from(await sampleFrames()).pipeTo(sink.writable);
  const errors = events.filter((e) => e.type === "storageError");
  assert.equal(errors.length, 1);
  assert.equal(
    errors[0]!.type === "storageError" && errors[0]!.error.code,
    "Storage",
  );
  const stored = await storage.stat("rec/cam.mp4");
  assert.equal(stored?.size, sink.bytesWritten);
  assert.ok(sink.fragments >= 1 && sink.fragments < 5);
});

Deno.test("RecordingSink rejects bad options and pushes after end()", async () => {
  const storage = new MemoryStorage();
  assert.throws(
    () => new RecordingSink({ storage, key: "../x", format: "mp4" }),
    { code: "InvalidInput" },
  );
  assert.throws(
    () => new RecordingSink({ storage, key: "x", format: "avi" as "mp4" }),
    { code: "InvalidInput" },
  );
  assert.throws(
    () =>
      new RecordingSink({
        storage,
        key: "x",
        format: "flv",
        fragmentDurationMs: 0,
      }),
    { code: "InvalidInput" },
  );
  const sink = new RecordingSink({ storage, key: "x.flv", format: "flv" });
  await sink.end();
  await sink.end();
  await assert.rejects(sink.push((await sampleFrames())[0]!), {
    code: "Closed",
  });
  assert.equal(await storage.get("x.flv"), null); // nothing recorded, nothing written
});

Deno.test({
  name:
    "RecordingSink mp4: a SIGKILLed recorder leaves a file that plays up to its last fragment",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-rec-sigkill-");
    const script =
      new URL("./_record_until_killed.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", script, dir.path, "mp4"],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      const { value } = await reader.read();
      assert.equal(value?.trim(), "ready 2");
    } finally {
      child.kill("SIGKILL");
      clearTimeout(timer);
      await reader.cancel();
      await child.status;
    }
    await assertRecording(`${dir.path}/rec/cam.mp4`, 4);
  },
});
