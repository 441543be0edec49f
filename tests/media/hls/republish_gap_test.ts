// HlsSegmenter across a republish (`continueFrom`) and after failed writes
// (EXT-X-GAP): no URI ever names other bytes, MEDIA-SEQUENCE never goes
// back, and nothing listed is unfetchable unless marked GAP (RFC 8216bis
// §4.4.4.7, §6.2.1, §6.2.2).
import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { hlsRoutes } from "../../../protocols/http/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { FlakyStorage } from "../../faults/_flaky_storage.ts";
import { avStream, pushAll, RecordingMuxer } from "./_fixtures.ts";

type MediaPlaylist = HLS.types.MediaPlaylist;

function parseMedia(playlist: string): MediaPlaylist {
  const parsed = HLS.parse(playlist);
  assert.equal(parsed.isMasterPlaylist, false);
  return parsed as MediaPlaylist;
}

/** Every file under the prefix, by name. */
async function files(
  storage: MemoryStorage,
  prefix: string,
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const key of await storage.list(`${prefix}/`)) {
    const bytes = await storage.get(key);
    if (bytes !== null) out.set(key.slice(prefix.length + 1), bytes);
  }
  return out;
}

function session(
  storage: MemoryStorage,
  muxer: RecordingMuxer,
  continueFrom?: HlsSegmenter,
): HlsSegmenter {
  return new HlsSegmenter({
    storage,
    muxer,
    prefix: "live/cam",
    targetDurationMs: 1000,
    windowSize: 4,
    continueFrom,
  });
}

Deno.test("HlsSegmenter continueFrom: a republish goes on from the last sequence numbers, behind EXT-X-DISCONTINUITY", async () => {
  const storage = new MemoryStorage();
  const first = session(storage, new RecordingMuxer("fmp4"));
  await pushAll(first, avStream({ seconds: 3 }));
  await first.end();
  const before = await files(storage, "live/cam");
  const ended = parseMedia(first.playlist());
  assert.deepEqual(ended.segments.map((s) => s.uri), [
    "seg0.m4s",
    "seg1.m4s",
    "seg2.m4s",
  ]);

  // Another encoder: new init bytes, timestamps from 10 s.
  const muxer = new RecordingMuxer("fmp4");
  muxer.init = new Uint8Array([0x6e, 0x65, 0x77]);
  const second = session(storage, muxer, first);
  assert.equal(second.segmentState("seg0.m4s"), "live");
  await pushAll(second, avStream({ seconds: 2.5, startMs: 10_000 }));
  const live = parseMedia(second.playlist());
  assert.equal(live.endlist, false);
  assert.equal(live.mediaSequenceBase, 1, "the window slid by one, never back");
  assert.deepEqual(live.segments.map((s) => s.uri), [
    "seg1.m4s",
    "seg2.m4s",
    "seg3.m4s",
    "seg4.m4s",
  ]);
  assert.deepEqual(live.segments.map((s) => s.discontinuity === true), [
    false,
    false,
    true,
    false,
  ]);
  assert.deepEqual(live.segments.map((s) => s.map?.uri), [
    "init.mp4",
    "init.mp4",
    "init1.mp4",
    "init1.mp4",
  ]);

  // No file that existed before names other bytes now.
  const after = await files(storage, "live/cam");
  for (const [name, bytes] of before) {
    if (name === "index.m3u8") continue;
    const now = after.get(name);
    if (now !== undefined) assert.deepEqual(now, bytes, `${name} rewritten`);
  }
  assert.deepEqual(after.get("init1.mp4"), muxer.init);
  assert.equal(second.segmentState("init.mp4"), "live");
  assert.equal(second.segmentState("init1.mp4"), "live");

  // The old segments slide out and are deleted; the discontinuity moves into
  // EXT-X-DISCONTINUITY-SEQUENCE once its segment has left.
  await pushAll(second, avStream({ seconds: 6, startMs: 12_500 }).slice(2));
  await second.end();
  const final = parseMedia(second.playlist());
  assert.equal(final.discontinuitySequenceBase, 1);
  assert.equal(second.segmentState("seg0.m4s"), "gone");
  assert.equal(await storage.get("live/cam/seg0.m4s"), null);
});

Deno.test("HlsSegmenter continueFrom: waits for a predecessor that has not ended, serving its playlist meanwhile", async () => {
  const storage = new MemoryStorage();
  const first = session(storage, new RecordingMuxer());
  await pushAll(first, avStream({ seconds: 2.5 }));
  const second = session(storage, new RecordingMuxer(), first);
  assert.equal(second.playlist(), first.playlist());
  assert.equal(second.lastSegment()?.uri, "seg1.ts");
  assert.equal(second.segmentState("seg1.ts"), "live");
  const pushed = pushAll(second, avStream({ seconds: 2.5, startMs: 5_000 }));
  await first.end(); // its open segment (seg2) is numbered first
  await pushed;
  await second.end();
  const uris = parseMedia(second.playlist()).segments.map((s) => s.uri);
  assert.deepEqual(uris, ["seg2.ts", "seg3.ts", "seg4.ts", "seg5.ts"]);
  assert.equal(second.segmentState("seg5.ts"), "live");
  assert.match(second.playlist(), /seg2.ts\n#EXT-X-DISCONTINUITY\n/);
});

Deno.test("HlsSegmenter continueFrom refuses a segmenter of another prefix", () => {
  const storage = new MemoryStorage();
  const other = new HlsSegmenter({ storage, format: "ts", prefix: "live/a" });
  assert.throws(
    () =>
      new HlsSegmenter({
        storage,
        format: "ts",
        prefix: "live/b",
        continueFrom: other,
      }),
    (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
  );
});

Deno.test("HlsSegmenter lists a segment whose write failed as EXT-X-GAP and answers 404 for it", async () => {
  const storage = new FlakyStorage(new MemoryStorage());
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "live/cam",
    targetDurationMs: 1000,
  });
  const frames = avStream({ seconds: 4 });
  const at = (ms: number) => frames.findIndex((f) => !f.config && f.dts >= ms);
  await pushAll(hls, frames.slice(0, at(1500)));
  storage.fault = "full";
  await pushAll(hls, frames.slice(at(1500), at(2500)));
  storage.fault = "none";
  await pushAll(hls, frames.slice(at(2500)));
  await hls.end();
  const text = hls.playlist();
  assert.match(text, /#EXT-X-VERSION:8\n/, "EXT-X-GAP needs version 8");
  const segments = parseMedia(text).segments;
  assert.deepEqual(segments.map((s) => s.gap === true), [
    false,
    true,
    false,
    false,
  ]);
  assert.match(text, /#EXT-X-GAP\n#EXTINF:1,\nseg1.ts\n/);
  assert.equal(hls.segmentState("seg1.ts"), "unknown");
  for (const s of segments.filter((s) => !s.gap)) {
    assert.equal(hls.segmentState(s.uri), "live");
    assert.ok(await storage.get(`live/cam/${s.uri}`), s.uri);
  }
});

Deno.test("LL-HLS: a part whose write failed is GAP=YES; a failed segment marks all its parts", async () => {
  const storage = new FlakyStorage(new MemoryStorage());
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "live/cam",
    targetDurationMs: 1000,
    partTargetMs: 250,
  });
  const frames = avStream({ seconds: 3 });
  const at = (ms: number) => frames.findIndex((f) => !f.config && f.dts >= ms);
  await pushAll(hls, frames.slice(0, at(1100)));
  storage.fault = "full"; // the part seg1.0 is cut at 1250 ms, seg1 at 2000 ms
  await pushAll(hls, frames.slice(at(1100), at(1300)));
  storage.fault = "none";
  await pushAll(hls, frames.slice(at(1300), at(1900)));
  storage.fault = "full";
  await pushAll(hls, frames.slice(at(1900), at(2100)));
  storage.fault = "none";
  await pushAll(hls, frames.slice(at(2100)));
  await hls.end();
  const segments = parseMedia(hls.playlist()).segments;
  const seg1 = segments.find((s) => s.uri === "seg1.ts")!;
  assert.equal(seg1.gap, true);
  assert.ok(seg1.parts.length > 0 && seg1.parts.every((p) => p.gap === true));
  const partGaps = segments.flatMap((s) =>
    s.parts.filter((p) => p.gap).map((p) => p.uri)
  );
  assert.ok(partGaps.includes("seg1.0.ts"), partGaps.join());
  for (const uri of partGaps) assert.equal(hls.segmentState(uri), "unknown");
  assert.equal(hls.segmentState("seg1.1.ts"), "unknown", "in a GAP segment");
  assert.equal(hls.segmentState("seg0.ts"), "live");
});

Deno.test("HTTP: a GAP segment and a GAP part answer 404 at once, never 5xx", async () => {
  const storage = new FlakyStorage(new MemoryStorage());
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "live/cam",
    targetDurationMs: 1000,
    partTargetMs: 250,
  });
  const frames = avStream({ seconds: 4 });
  const at = (ms: number) => frames.findIndex((f) => !f.config && f.dts >= ms);
  await pushAll(hls, frames.slice(0, at(1100)));
  storage.fault = "full";
  await pushAll(hls, frames.slice(at(1100), at(2100)));
  storage.fault = "none";
  await pushAll(hls, frames.slice(at(2100), at(3600)));
  const app = hlsRoutes({
    storage,
    source: { segmenter: (key) => key === "live/cam" ? hls : undefined },
    blockingReloadTimeoutMs: 5_000,
  });
  assert.match(hls.playlist(), /GAP=YES/);
  for (const name of ["seg1.ts", "seg1.0.ts", "seg0.ts", "seg2.0.ts"]) {
    const started = performance.now();
    const res = await app.request(`/live/cam/${name}`);
    await res.body?.cancel();
    const gap = name.startsWith("seg1");
    assert.equal(res.status, gap ? 404 : 200, name);
    assert.ok(performance.now() - started < 1_000, `${name} was held`);
  }
  await hls.end();
});
