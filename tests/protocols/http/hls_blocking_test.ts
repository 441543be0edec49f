// Issue 20, fault 3: blocking playlist reload per RFC 8216bis §6.2.5.2.
// The Advance Part Limit is 3 ÷ PART-TARGET when PART-TARGET < 1 s (9 parts
// at 334 ms); a part index past a segment's last part means part 0 of the
// next segment. Up to the limit the request waits and answers 200; beyond
// it, 400 at once. Driven through hlsRoutes with a real HlsSegmenter.
import assert from "node:assert/strict";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import {
  advancePartLimit,
  blockingDecision,
  hlsRoutes,
  playlistPosition,
} from "../../../protocols/http/mod.ts";
import { avStream, RecordingMuxer } from "../../media/hls/_fixtures.ts";

Deno.test("advancePartLimit() is 3 ÷ PART-TARGET under one second, else 3", () => {
  assert.equal(advancePartLimit(0.334), 9);
  assert.equal(advancePartLimit(0.25), 12);
  assert.equal(advancePartLimit(1), 3);
  assert.equal(advancePartLimit(0), 3);
});

Deno.test("blockingDecision(): up to the Advance Part Limit waits, beyond is refused; past a segment's last part is the next segment", () => {
  const position = {
    lastMsn: 4,
    lastPart: 1,
    lastSegmentParts: 6,
    targetDuration: 2,
    partTarget: 0.334,
    ended: false,
    canBlock: true,
  };
  const decide = (msn: number, part?: number) =>
    blockingDecision({ msn, part, skip: false }, position);
  assert.equal(decide(5, 1), "now");
  assert.equal(decide(5, 2), "wait");
  assert.equal(decide(5, 6), "wait", "five parts past the last one");
  assert.equal(decide(5, 10), "wait", "nine parts past: the limit");
  assert.match(decide(5, 11), /Advance Part Limit 9/);
  // Segment 6 part 0 is (6 - 1 - 1) + 0 + 1 = 5 parts ahead at 6 per segment.
  assert.equal(decide(6, 0), "wait");
  assert.equal(typeof decide(6, 5), "string"); // 10 ahead
  // Part 6 of complete segment 4 (it has 0..5) is part 0 of segment 5: there.
  assert.equal(decide(4, 6), "now");
  assert.equal(
    blockingDecision({ msn: 4, part: 6, skip: false }, {
      ...position,
      lastPart: -1,
    }),
    "wait",
    "part 0 of segment 5 is not there yet",
  );
  assert.equal(decide(4, 3), "now");
});

/** A live LL-HLS segmenter (2 s segments, 334 ms parts) and its routes. */
function live() {
  const storage = new MemoryStorage();
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer("mpegts"),
    prefix: "live/cam",
    targetDurationMs: 2000,
    partTargetMs: 334,
  });
  const app = hlsRoutes({
    storage,
    source: { segmenter: (key) => (key === "live/cam" ? hls : undefined) },
    blockingReloadTimeoutMs: 5_000,
  });
  const frames = avStream({ seconds: 8, fps: 30, gopFrames: 60 });
  let next = 0;
  /** Push frames until `done()` holds. */
  const pushUntil = async (done: () => boolean) => {
    while (!done() && next < frames.length) await hls.push(frames[next++]!);
  };
  return { hls, app, pushUntil };
}

Deno.test("hlsRoutes: a blocking reload nine parts ahead (PART-TARGET 334 ms) waits and answers 200; ten ahead is 400", async () => {
  const { hls, app, pushUntil } = live();
  const position = () => playlistPosition(hls.playlist());
  await pushUntil(() => position().lastMsn === 0 && position().lastPart === 0);
  assert.equal(position().lastSegmentParts, 6);

  const refused = await app.request(
    "/live/cam/index.m3u8?_HLS_msn=1&_HLS_part=10",
  );
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /Advance Part Limit 9/);

  // Segment 1 will have parts 0..5: part 9 of it is part 0 of segment 2.
  let answered = false;
  const held = Promise.resolve(
    app.request("/live/cam/index.m3u8?_HLS_msn=1&_HLS_part=9"),
  )
    .then((res) => {
      answered = true;
      return res;
    });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(answered, false, "held, not answered at once");
  await pushUntil(() => position().lastMsn === 1 && position().lastPart === 0);
  const res = await held;
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.match(text, /URI="seg2\.0\.ts"/, "answered with part 0 of segment 2");
  await hls.end();
});

Deno.test("HlsSegmenter.waitFor(): a part past a complete segment's last part resolves with part 0 of the next", async () => {
  const { hls, pushUntil } = live();
  const position = () => playlistPosition(hls.playlist());
  await pushUntil(() => position().lastMsn === 0 && position().lastPart === -1);
  let done = false;
  const waiting = hls.waitFor(0, 6).then((ok) => (done = ok));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(done, false, "segment 0 has parts 0..5; part 0 of 1 not yet");
  await pushUntil(() => position().lastPart === 0);
  assert.equal(await waiting, true);
  assert.equal(await hls.waitFor(0, 2), true, "an existing part: at once");
  await hls.end();
});

Deno.test("EXT-X-PRELOAD-HINT names only parts that come (never a part of a segment being closed)", async () => {
  const storage = new MemoryStorage();
  const hints: string[] = [];
  const put = storage.put.bind(storage);
  storage.put = (key, bytes, options) => {
    if (key.endsWith("index.m3u8")) {
      const hint = /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(
        new TextDecoder().decode(bytes),
      );
      if (hint) hints.push(hint[1]!);
    }
    return put(key, bytes, options);
  };
  const hls = new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer("mpegts"),
    prefix: "live/cam",
    targetDurationMs: 2000,
    partTargetMs: 334,
    playlistType: "event",
  });
  for (const frame of avStream({ seconds: 9, fps: 30, gopFrames: 60 })) {
    await hls.push(frame);
  }
  // Hints written while the stream ends name what would have come next.
  const live = hints.slice(0, -1);
  await hls.end();
  assert.ok(live.length > 20);
  for (const hint of live) {
    assert.ok(await storage.get(`live/cam/${hint}`), `hinted ${hint} exists`);
  }
});
