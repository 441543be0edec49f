import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import {
  HlsSegmenter,
  type HlsSegmenterEvent,
} from "../../../media/hls/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import { avStream, pushAll, RecordingMuxer, text } from "./_fixtures.ts";

type MediaPlaylist = HLS.types.MediaPlaylist;

/** Durations rounded to the millisecond (end-of-stream durations are estimates). */
function durations(playlist: MediaPlaylist): number[] {
  return playlist.segments.map((s) => Math.round(s.duration * 1000) / 1000);
}

function parseMedia(playlist: string): MediaPlaylist {
  const parsed = HLS.parse(playlist);
  assert.equal(parsed.isMasterPlaylist, false);
  return parsed as MediaPlaylist;
}

Deno.test("HlsSegmenter cuts at keyframes at the target and slides the window", async () => {
  const storage = new MemoryStorage();
  const events: HlsSegmenterEvent[] = [];
  const muxer = new RecordingMuxer();
  const hls = new HlsSegmenter({
    storage,
    muxer,
    prefix: "live/cam",
    targetDurationMs: 2000,
    windowSize: 3,
    wallClock: () => Date.UTC(2026, 0, 1),
    onEvent: (e) => events.push(e),
  });
  await pushAll(hls, avStream({ seconds: 20, gopFrames: 30 }));
  const playlist = parseMedia(hls.playlist());
  assert.equal(playlist.targetDuration, 2);
  assert.equal(playlist.endlist, false);
  assert.equal(playlist.segments.length, 3);
  // 20 s of 1 s GOPs: segments 0..8 complete (9 is open), window = 6, 7, 8.
  assert.equal(playlist.mediaSequenceBase, 6);
  assert.deepEqual(playlist.segments.map((s) => s.uri), [
    "seg6.ts",
    "seg7.ts",
    "seg8.ts",
  ]);
  for (const segment of playlist.segments) assert.equal(segment.duration, 2);
  assert.equal(
    playlist.segments[0]!.programDateTime?.toISOString(),
    "2026-01-01T00:00:12.000Z",
  );
  // Every segment starts with the video keyframe and holds audio too.
  for (const call of muxer.calls) {
    assert.equal(call.frames[0]!.kind, "video");
    assert.equal(call.frames[0]!.keyframe, true);
    assert.ok(call.frames.some((f) => f.kind === "audio"));
  }
  assert.equal(muxer.calls[0]!.options?.nextDts, 2000);
  // Storage holds the playlist and the window plus its grace segments.
  assert.equal(await text(storage, "live/cam/index.m3u8"), hls.playlist());
  const stored = await storage.list("live/cam/seg");
  assert.ok(!stored.includes("live/cam/seg0.ts"));
  assert.ok(stored.includes("live/cam/seg8.ts"));
  const deleted = events.filter((e) => e.type === "segmentDeleted").map((e) =>
    e.msn
  );
  assert.ok(deleted.length >= 1 && deleted[0] === 0);
  assert.equal(hls.segmentState("seg0.ts"), "gone");
  assert.equal(hls.segmentState("seg8.ts"), "live");
  assert.equal(hls.segmentState("seg99.ts"), "unknown");
  assert.equal(hls.segmentState("seg8.m4s"), "unknown");
  assert.equal(hls.segmentState("../index.m3u8"), "unknown");
  await hls.end();
});

Deno.test("HlsSegmenter.end() flushes the last segment and writes EXT-X-ENDLIST", async () => {
  const storage = new MemoryStorage();
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "a/b",
    targetDurationMs: 2000,
  });
  await pushAll(hls, avStream({ seconds: 5, gopFrames: 30 }));
  await hls.end();
  await hls.end(); // idempotent
  const playlist = parseMedia(await text(storage, "a/b/index.m3u8"));
  assert.equal(playlist.endlist, true);
  assert.deepEqual(durations(playlist), [2, 2, 1]);
  await assert.rejects(hls.push(avStream({ seconds: 1 })[2]!), {
    code: "Closed",
  });
});

Deno.test("HlsSegmenter event and vod playlists keep every segment", async () => {
  for (const playlistType of ["event", "vod"] as const) {
    const storage = new MemoryStorage();
    const hls = new HlsSegmenter({
      storage,
      muxer: new RecordingMuxer(),
      prefix: "dvr/cam",
      targetDurationMs: 1000,
      windowSize: 2,
      playlistType,
    });
    await pushAll(hls, avStream({ seconds: 10 }));
    let playlist = parseMedia(hls.playlist());
    assert.equal(playlist.playlistType, "EVENT");
    assert.equal(playlist.segments.length, 9);
    await hls.end();
    playlist = parseMedia(hls.playlist());
    assert.equal(
      playlist.playlistType,
      playlistType === "vod" ? "VOD" : "EVENT",
    );
    assert.equal(playlist.segments.length, 10);
    assert.equal((await storage.list("dvr/cam/seg")).length, 10);
  }
});

Deno.test("HlsSegmenter drops frames before the first video keyframe", async () => {
  const muxer = new RecordingMuxer();
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer,
    prefix: "x/y",
    targetDurationMs: 1000,
  });
  const frames = avStream({ seconds: 3, gopFrames: 30 });
  // Remove the first keyframe: the stream starts mid-GOP.
  await pushAll(
    hls,
    frames.filter((f) => !(f.kind === "video" && f.dts === 0 && !f.config)),
  );
  await hls.end();
  const first = muxer.calls[0]!.frames[0]!;
  assert.equal(first.kind, "video");
  assert.equal(first.dts, 1000);
  assert.equal(muxer.configured.length, 2);
});

Deno.test("HlsSegmenter cuts between keyframes when the GOP is longer than the target allows", async () => {
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 1000,
  });
  await pushAll(hls, avStream({ seconds: 9, gopFrames: 90 }));
  await hls.end();
  const text = hls.playlist();
  const playlist = parseMedia(text);
  for (const segment of playlist.segments) {
    assert.ok(
      Math.round(segment.duration) <= playlist.targetDuration,
      `${segment.duration}`,
    );
  }
  assert.ok(!text.includes("#EXT-X-INDEPENDENT-SEGMENTS"));
});

Deno.test("HlsSegmenter uses a shorter segment when waiting for the next keyframe would overshoot", async () => {
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 2000,
  });
  await pushAll(hls, avStream({ seconds: 9, gopFrames: 45, audio: false })); // 1.5 s GOPs
  await hls.end();
  const playlist = parseMedia(hls.playlist());
  assert.deepEqual(durations(playlist), [
    1.5,
    1.5,
    1.5,
    1.5,
    1.5,
    1.5,
  ]);
  assert.ok(hls.playlist().includes("#EXT-X-INDEPENDENT-SEGMENTS"));
});

Deno.test("HlsSegmenter marks a publisher restart with EXT-X-DISCONTINUITY", async () => {
  const events: HlsSegmenterEvent[] = [];
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 1000,
    windowSize: 4,
    onEvent: (e) => events.push(e),
  });
  await pushAll(hls, avStream({ seconds: 3, startMs: 50_000 }));
  await pushAll(hls, avStream({ seconds: 3 })); // timestamps restart at 0
  let playlist = parseMedia(hls.playlist());
  assert.deepEqual(playlist.segments.map((s) => s.discontinuity ?? false), [
    false,
    false,
    true,
    false,
  ]);
  assert.equal(durations(playlist)[1], 1);
  assert.equal(events.filter((e) => e.type === "discontinuity").length, 1);
  await hls.discontinuity(); // explicit
  await pushAll(hls, avStream({ seconds: 3 }));
  await hls.end();
  playlist = parseMedia(hls.playlist());
  assert.equal(playlist.discontinuitySequenceBase, 1); // the first one left the window
  assert.deepEqual(playlist.segments.map((s) => s.discontinuity ?? false), [
    false,
    true,
    false,
    false,
  ]);
});

Deno.test("HlsSegmenter reports storage failures and keeps the stream and playlist going", async () => {
  const storage = new MemoryStorage({ maxBytes: 50 });
  const events: HlsSegmenterEvent[] = [];
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 1000,
    onEvent: (e) => {
      events.push(e);
      throw new Error("observer bug must not stop the stream");
    },
  });
  await pushAll(hls, avStream({ seconds: 4 }));
  await hls.end();
  const errors = events.filter((e) => e.type === "storageError");
  assert.ok(errors.length > 0);
  for (const e of errors) assert.equal(e.error.code, "Storage");
  // No segment could be stored: none is reported written, all four stay in
  // the timeline as EXT-X-GAP (RFC 8216bis §4.4.4.7) and are not served.
  assert.equal(events.filter((e) => e.type === "segment").length, 0);
  const listed = parseMedia(hls.playlist()).segments;
  assert.equal(listed.length, 4);
  assert.equal(hls.playlist().match(/#EXT-X-GAP\n#EXTINF/g)?.length, 4);
  for (const segment of listed) {
    assert.equal(hls.segmentState(segment.uri), "unknown");
  }
  assert.equal(events.at(-1)?.type, "ended");
});

Deno.test("HlsSegmenter reports muxer failures as muxError and continues", async () => {
  const muxer = new RecordingMuxer();
  const events: HlsSegmenterEvent[] = [];
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer,
    prefix: "x/y",
    targetDurationMs: 1000,
    onEvent: (e) => events.push(e),
  });
  const frames = avStream({ seconds: 3, audio: false });
  await pushAll(hls, frames.slice(0, 40));
  muxer.fail = true;
  await pushAll(hls, frames.slice(40, 70));
  muxer.fail = false;
  await pushAll(hls, frames.slice(70));
  await hls.end();
  assert.equal(events.filter((e) => e.type === "muxError").length, 1);
  assert.equal(parseMedia(hls.playlist()).segments.length, 3);
});

Deno.test("HlsSegmenter.writable accepts a piped ReadableStream and ends the playlist", async () => {
  const storage = new MemoryStorage();
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer("fmp4"),
    prefix: "p/q",
    targetDurationMs: 1000,
  });
  await ReadableStream.from(avStream({ seconds: 3 })).pipeTo(hls.writable);
  const text = hls.playlist();
  assert.match(text, /#EXT-X-MAP:URI="init.mp4"/);
  assert.equal(parseMedia(text).segments.length, 3);
  assert.deepEqual(
    await storage.get("p/q/init.mp4"),
    new Uint8Array([0x69, 0x6e, 0x69, 0x74]),
  );
  assert.ok(hls.ended);
  assert.equal(hls.segmentState("init.mp4"), "live");
  assert.equal(hls.segmentState("init1.mp4"), "unknown");
});

Deno.test("HlsSegmenter writes a new init segment when the configuration changes", async () => {
  const muxer = new RecordingMuxer("fmp4");
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer,
    prefix: "p/q",
    targetDurationMs: 1000,
  });
  await pushAll(hls, avStream({ seconds: 2 }));
  muxer.init = new Uint8Array([9, 9]);
  await hls.discontinuity();
  await pushAll(hls, avStream({ seconds: 2 }));
  await hls.end();
  const playlist = parseMedia(hls.playlist());
  assert.deepEqual(playlist.segments.map((s) => s.map?.uri), [
    "init.mp4",
    "init.mp4",
    "init1.mp4",
    "init1.mp4",
  ]);
  assert.equal(hls.segmentState("init1.mp4"), "live");
});

Deno.test("HlsSegmenter rejects a bad prefix and bad durations", () => {
  const storage = new MemoryStorage();
  const muxer = new RecordingMuxer();
  assert.throws(() => new HlsSegmenter({ storage, muxer, prefix: "../x" }), {
    code: "InvalidInput",
  });
  assert.throws(
    () =>
      new HlsSegmenter({ storage, muxer, prefix: "x", targetDurationMs: 0 }),
    { code: "InvalidInput" },
  );
  assert.throws(
    () => new HlsSegmenter({ storage, muxer, prefix: "x", partTargetMs: -1 }),
    { code: "InvalidInput" },
  );
});

Deno.test("HlsSegmenter rewrites the playlist once storage recovers", async () => {
  const inner = new MemoryStorage();
  let failing = true;
  const flaky = Object.assign(Object.create(inner) as MemoryStorage, {
    put(key: string, bytes: Uint8Array) {
      return failing
        ? Promise.reject(
          new StreamError("Storage", `Cannot put ${key}: disk full`),
        )
        : inner.put(key, bytes);
    },
  });
  const events: HlsSegmenterEvent[] = [];
  const hls = new HlsSegmenter({
    storage: flaky,
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 1000,
    onEvent: (e) => events.push(e),
  });
  const frames = avStream({ seconds: 4 });
  await pushAll(hls, frames.slice(0, 100));
  assert.equal(await inner.get("x/y/index.m3u8"), null);
  assert.ok(
    events.some((e) => e.type === "storageError" && e.key === "x/y/index.m3u8"),
  );
  failing = false;
  await pushAll(hls, frames.slice(100));
  await hls.end();
  assert.equal(await text(inner, "x/y/index.m3u8"), hls.playlist());
  assert.equal(parseMedia(hls.playlist()).segments.length, 4);
  assert.ok(await inner.get("x/y/seg3.ts"));
});

Deno.test("HlsSegmenter keeps each segment's discontinuity sequence stable across reloads", async () => {
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer: new RecordingMuxer(),
    prefix: "x/y",
    targetDurationMs: 1000,
    windowSize: 3,
  });
  const seen = new Map<number, number>();
  const check = () => {
    for (const s of parseMedia(hls.playlist()).segments) {
      const before = seen.get(s.mediaSequenceNumber);
      if (before !== undefined) {
        assert.equal(
          s.discontinuitySequence,
          before,
          `msn ${s.mediaSequenceNumber}`,
        );
      }
      seen.set(s.mediaSequenceNumber, s.discontinuitySequence);
    }
  };
  for (let run = 0; run < 4; run++) {
    for (
      const frame of avStream({ seconds: 3, startMs: run % 2 ? 0 : 100_000 })
    ) {
      await hls.push(frame);
      if (!frame.config && frame.kind === "video" && frame.keyframe) check();
    }
  }
  await hls.end();
  check();
  assert.equal(seen.get(0), 0);
  assert.equal(seen.get(3), 1);
  assert.equal(seen.get(11), 3);
});
