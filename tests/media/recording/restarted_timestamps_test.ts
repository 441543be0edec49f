// A publisher that comes back within the stream's grace period continues
// the same recording with timestamps from 0 again: RecordingSink keeps one
// rising timeline (nothing is dropped, the index sees 20 s), for mp4 and FLV.
import assert from "node:assert/strict";
import { readFlvFile } from "../../../media/flv/mod.ts";
import { RecordingIndex } from "../../../media/recording/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { clipFrames, keyAt, recordClip } from "./_recorded.ts";

Deno.test("recording: timestamps restarting mid-recording keep rising in the file", async () => {
  const frames = clipFrames();
  const twice = [...frames, ...frames]; // configs repeat (same bytes), dts restart at 0
  for (const format of ["mp4", "flv"] as const) {
    const storage = new MemoryStorage();
    const key = keyAt("08:30:00").replace(".mp4", `.${format}`);
    await recordClip(storage, key, { frames: twice, format });
    const [file] = await new RecordingIndex({ storage }).files("live/cam");
    assert.ok(
      Math.abs(file!.durationS - 20) < 0.3,
      `${format}: ${file!.durationS} s`,
    );
    if (format === "mp4") {
      for (let i = 1; i < file!.fragments.length; i++) {
        assert.ok(file!.fragments[i]!.startS > file!.fragments[i - 1]!.startS);
      }
    } else {
      const media = readFlvFile((await storage.get(key))!).frames.filter((f) =>
        !f.config && f.kind === "video"
      );
      for (let i = 1; i < media.length; i++) {
        assert.ok(media[i]!.dts >= media[i - 1]!.dts, `video dts at ${i}`);
      }
      assert.equal(media.length, 600);
    }
  }
});
