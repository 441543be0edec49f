// RecordingIndex + exportRecordingRange + recordingPlaylist over the sample
// clip recorded by RecordingSink (memory storage): the export starts at the
// keyframe at or before the start, ends before the end, joins files on one
// continuous timeline, stops before a file with another decoder setup, is
// streamed one fragment per chunk, and the index follows a growing file.
import assert from "node:assert/strict";
import { readBoxes } from "../../../media/fmp4/mod.ts";
import {
  exportRecordingRange,
  isSyncSample,
  parseFmp4Fragment,
  parseFmp4Init,
  RecordingIndex,
  recordingPlaylist,
  RecordingSink,
} from "../../../media/recording/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { missing, run, tempDir } from "../../_tools.ts";
import { at, clipFrames, keyAt, recordClip } from "./_recorded.ts";

/** Per track: decode times (s), durations, sync flags of an exported MP4. */
function timeline(bytes: Uint8Array) {
  const boxes = readBoxes(bytes);
  const moov = boxes.find((b) => b.type === "moov")!;
  const tracks = parseFmp4Init(bytes.subarray(0, moov.offset + moov.size));
  const out = new Map<
    string,
    { t: number[]; end: number; sync: boolean[] }
  >();
  for (const t of tracks) out.set(t.handler, { t: [], end: 0, sync: [] });
  for (const box of boxes) {
    if (box.type !== "moof") continue;
    const moof = bytes.subarray(box.offset, box.offset + box.size);
    for (const run of parseFmp4Fragment(moof, box.offset, tracks)) {
      const track = tracks.find((t) => t.id === run.trackId)!;
      const entry = out.get(track.handler)!;
      for (const s of run.samples) {
        entry.t.push(s.dts / track.timescale);
        entry.sync.push(isSyncSample(s));
        entry.end = (s.dts + s.duration) / track.timescale;
      }
    }
  }
  return out;
}

async function bodyOf(stream: ReadableStream<Uint8Array>) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) bytes.set(c, pos), pos += c.length;
  return { chunks, bytes };
}

async function twoFiles(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  await recordClip(storage, keyAt("08:30:00"));
  await recordClip(storage, keyAt("08:30:15"));
  await storage.put("live/notes.txt", new Uint8Array(3)); // not a recording
  return storage;
}

Deno.test("recording index: spans per file with start, duration, fragments", async () => {
  const storage = await twoFiles();
  const files = await new RecordingIndex({ storage }).files("live/cam");
  assert.equal(files.length, 2);
  assert.equal(files[0]!.startMs, at("08:30:00"));
  assert.equal(files[1]!.startMs, at("08:30:15"));
  for (const f of files) {
    assert.ok(Math.abs(f.durationS - 10) < 0.2, String(f.durationS));
    assert.equal(f.fragments.length, 5); // 2 s fragments
    assert.deepEqual(f.tracks.map((t) => t.handler), ["vide", "soun"]);
  }
  assert.deepEqual(
    await new RecordingIndex({ storage }).files("live/other"),
    [],
  );
});

Deno.test("recording export: starts at the keyframe at or before start, cut at the end", async () => {
  const storage = await twoFiles();
  const files = await new RecordingIndex({ storage }).files("live/cam");
  const out = await exportRecordingRange(storage, files, at("08:30:03.500"), 4);
  assert.ok(out !== null);
  assert.equal(out.startMs, at("08:30:03")); // keyframe every second
  assert.equal(out.truncated, null);
  assert.ok(Math.abs(out.durationS - 4.5) < 0.05, String(out.durationS));
  const { chunks, bytes } = await bodyOf(out.body);
  // init, then one chunk per source fragment touched (2 s fragments: 3)
  assert.equal(chunks.length, 1 + 3);
  const tl = timeline(bytes);
  const video = tl.get("vide")!;
  assert.equal(video.t[0], 0);
  assert.equal(video.sync[0], true);
  assert.ok(Math.abs(video.end - 4.5) < 0.05, String(video.end));
  const audio = tl.get("soun")!;
  assert.ok(audio.t[0]! >= -0.001 && audio.t[0]! < 0.05, String(audio.t[0]));
  assert.ok(Math.abs(audio.end - 4.5) < 0.05, String(audio.end));
});

Deno.test("recording export: a range across two files is one continuous MP4", async () => {
  const storage = await twoFiles();
  const files = await new RecordingIndex({ storage }).files("live/cam");
  // 08:30:08 → 08:30:18: 2 s of the first file, 3 s of the second
  const out = await exportRecordingRange(storage, files, at("08:30:08"), 10);
  assert.ok(out !== null);
  assert.equal(out.files.length, 2);
  assert.ok(Math.abs(out.durationS - 5) < 0.1, String(out.durationS));
  const tl = timeline((await bodyOf(out.body)).bytes);
  const video = tl.get("vide")!;
  for (let i = 1; i < video.t.length; i++) {
    const step = video.t[i]! - video.t[i - 1]!;
    // at the join the next file starts where the longer track ended
    const limit = Math.abs(video.t[i]! - 2) < 0.2 ? 0.15 : 0.05;
    assert.ok(step > 0 && step < limit, `video step ${step} at ${i}`);
  }
  assert.ok(Math.abs(video.end - 5) < 0.1, String(video.end));
  // the second file starts with its keyframe
  const second = video.t.findIndex((t) => t >= 1.99);
  assert.equal(video.sync[second], true);
});

Deno.test("recording export: stops before a file with another decoder setup", async () => {
  const storage = await twoFiles();
  await recordClip(storage, keyAt("08:30:30"), { audioOnly: true });
  const files = await new RecordingIndex({ storage }).files("live/cam");
  assert.equal(files.length, 3);
  const out = await exportRecordingRange(storage, files, at("08:30:20"), 20);
  assert.ok(out !== null);
  assert.equal(out.files.length, 1);
  assert.match(out.truncated ?? "", /another decoder setup/);
  await out.body.cancel();
  assert.equal(
    await exportRecordingRange(storage, files, at("09:00:00"), 5),
    null,
  );
});

Deno.test("recording playlist: VOD byte ranges, a discontinuity between files", async () => {
  const storage = await twoFiles();
  const files = await new RecordingIndex({ storage }).files("live/cam");
  const text = recordingPlaylist(
    files,
    at("08:30:05"),
    15,
    (key) => `files/${key.split("/")[1]}`,
  )!;
  assert.match(text, /^#EXTM3U\n/);
  assert.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
  assert.match(text, /#EXT-X-ENDLIST\n$/);
  assert.equal(text.match(/#EXT-X-DISCONTINUITY\n/g)?.length, 1);
  assert.equal(text.match(/#EXT-X-MAP:URI="files\/cam-2026/g)?.length, 2);
  // fragments [4,6) [6,8) [8,10) of the first, [0,2) [2,4) [4,6) of the second
  assert.equal(text.match(/#EXT-X-BYTERANGE:\d+@\d+/g)?.length, 6);
  assert.equal(recordingPlaylist(files, at("07:00:00"), 15, (k) => k), null);
});

Deno.test("recording index: a file being written is indexed on from where it stopped", async () => {
  const storage = new MemoryStorage();
  const key = keyAt("08:30:00");
  const sink = new RecordingSink({ storage, key, format: "mp4" });
  const index = new RecordingIndex({ storage });
  const frames = clipFrames();
  const half = frames.findIndex((f) => f.dts >= 5000);
  for (const f of frames.slice(0, half)) await sink.push(f);
  const early = (await index.files("live/cam"))[0]!;
  for (const f of frames.slice(half)) await sink.push(f);
  await sink.end();
  const late = (await index.files("live/cam"))[0]!;
  assert.ok(
    early.durationS >= 1.9 && early.durationS <= 5,
    String(early.durationS),
  );
  assert.ok(Math.abs(late.durationS - 10) < 0.2, String(late.durationS));
  assert.ok(late.fragments.length > early.fragments.length);
});

Deno.test({
  name:
    "recording export: FLV recordings are indexed by keyframe and exported as one MP4 ffprobe reads",
  ignore: missing("ffprobe", "ffmpeg"),
}, async () => {
  const storage = new MemoryStorage();
  const first = keyAt("08:30:00").replace(".mp4", ".flv");
  const second = keyAt("08:30:15").replace(".mp4", ".flv");
  await recordClip(storage, first, { format: "flv" });
  await recordClip(storage, second, { format: "flv" });
  const files = await new RecordingIndex({ storage }).files("live/cam");
  assert.deepEqual(files.map((f) => f.format), ["flv", "flv"]);
  assert.ok(
    Math.abs(files[0]!.durationS - 10) < 0.2,
    String(files[0]!.durationS),
  );
  assert.equal(files[0]!.fragments.length, 10); // a keyframe every second
  // 08:30:07.5 → 08:30:18: from the keyframe at 7 s, 3 s + 3 s
  const out = await exportRecordingRange(
    storage,
    files,
    at("08:30:07.500"),
    10.5,
  );
  assert.ok(out !== null);
  assert.equal(out.startMs, at("08:30:07"));
  assert.equal(out.files.length, 2);
  assert.ok(Math.abs(out.durationS - 6) < 0.2, String(out.durationS));
  const { bytes } = await bodyOf(out.body);
  const tl = timeline(bytes);
  const video = tl.get("vide")!;
  assert.equal(video.sync[0], true);
  assert.ok(Math.abs(video.end - 6) < 0.2, String(video.end));
  await using dir = await tempDir("arcly-flv-export-");
  const path = `${dir.path}/out.mp4`;
  await Deno.writeFile(path, bytes);
  const probe = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    path,
  ]);
  assert.ok(
    Math.abs(Number(probe.stdout) - 6) < 0.3,
    probe.stdout + probe.stderr,
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
  assert.equal(decode.stderr.trim(), "");
  // no byte-range playlist for FLV
  assert.equal(recordingPlaylist(files, at("08:30:00"), 30, (k) => k), null);
});

Deno.test("recording index: concurrent requests scan a file once", async () => {
  const storage = await twoFiles();
  const index = new RecordingIndex({ storage });
  const [a, b, c] = await Promise.all([
    index.files("live/cam"),
    index.files("live/cam"),
    index.files(),
  ]);
  for (const files of [a, b, c]) {
    assert.deepEqual(files.map((f) => f.fragments.length), [5, 5]);
  }
});
