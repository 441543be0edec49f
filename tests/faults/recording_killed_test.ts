// Fault: the process recording a live stream is SIGKILLed. A child process
// ingests RTMP and records it (RecordingSink mp4 and flv); the parent
// publishes a real clip, waits for complete fragments, kills the child, and
// ffprobes both files: playable, duration = the complete fragments written,
// file size = the bytes the child reported (nothing lost, nothing torn).
// The file-source variants (in-process kill, mp4 SIGKILL child) live in
// tests/media/recording/recording_sink_test.ts; this one adds the live path
// (RTMP → engine → RecordingSink) and flv in a killed process.
import assert from "node:assert/strict";
import { readFlvFile } from "../../media/flv/mod.ts";
import { readBoxes } from "../../media/fmp4/mod.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { ffprobe, missing, run, tempDir } from "../_tools.ts";

const CLIP = readFlvFile(
  Deno.readFileSync(
    new URL("../../examples/assets/sample.flv", import.meta.url),
  ),
).frames;

Deno.test({
  name:
    "fault: recorder process SIGKILLed during a live recording — mp4 and flv play up to the last complete fragment",
  ignore: missing("ffprobe", "ffmpeg"),
  async fn() {
    await using dir = await tempDir("arcly-fault-rec-");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_live_recorder.ts", import.meta.url).pathname,
        dir.path,
      ],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const watchdog = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const lines: string[] = [];
    const reader = child.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    let buffered = "";
    const nextLine = async (
      match: (line: string) => boolean,
    ): Promise<string> => {
      for (;;) {
        const found = lines.find(match);
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) {
          throw new Error(`recorder exited; output:\n${lines.join("\n")}`);
        }
        buffered += value;
        const parts = buffered.split("\n");
        buffered = parts.pop()!;
        lines.push(...parts);
      }
    };
    try {
      const port = Number(
        (await nextLine((l) => l.startsWith("listening "))).split(" ")[1],
      );
      const client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
      const publisher = await client.publish("cam");
      // 7 s of a clip with 2 s GOPs: fragments [0,2) [2,4) [4,6) complete, [6,7) buffered.
      // Paced like a live source (a burst would make the plain subscription lag).
      const frames = CLIP.filter((f) => f.dts < 7000);
      for (let i = 0; i < frames.length; i += 25) {
        await publisher.writeFrames(frames.slice(i, i + 25));
        await new Promise((r) => setTimeout(r, 25));
      }
      await nextLine((l) => l.startsWith("fragment mp4 3 "));
      await nextLine((l) => l.startsWith("fragment flv 3 "));
      child.kill("SIGKILL");
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      await client.close().catch(() => {});
      for (const format of ["mp4", "flv"] as const) {
        assert.ok(!lines.some((l) => l.startsWith(`fragment ${format} 4 `)));
        const path = `${dir.path}/rec/cam.${format}`;
        const bytes = await Deno.readFile(path);
        // The file ends exactly after the last complete fragment: no torn write.
        if (format === "mp4") {
          const boxes = readBoxes(bytes).map((b) => b.type);
          assert.equal(
            boxes.filter((t) => t === "moof").length,
            3,
            boxes.join(","),
          );
          assert.equal(boxes.at(-1), "mdat");
        } else {
          const read = readFlvFile(bytes);
          assert.equal(read.truncated, false);
          assert.ok(read.frames.at(-1)!.dts < 6000);
        }
        const probe = await ffprobe(path);
        assert.equal(probe.stderr.trim(), "", probe.stderr);
        assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
          "aac",
          "h264",
        ]);
        const duration = Number(probe.format.duration);
        assert.ok(
          Math.abs(duration - 6) < 0.15,
          `${format}: duration ${duration}, expected 6 s (3 complete fragments)`,
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
    } finally {
      clearTimeout(watchdog);
      try {
        child.kill("SIGKILL");
      } catch { /* already dead */ }
      await child.status;
      await reader.cancel().catch(() => {});
    }
  },
});
