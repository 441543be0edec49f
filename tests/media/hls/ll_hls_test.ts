import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import {
  HlsSegmenter,
  type HlsSegmenterEvent,
} from "../../../media/hls/mod.ts";
import {
  FsStorage,
  MemoryStorage,
  type StorageBackend,
} from "../../../media/storage/mod.ts";
import { avStream, pushAll, RecordingMuxer } from "./_fixtures.ts";

type MediaPlaylist = HLS.types.MediaPlaylist;

function llSegmenter(
  events: HlsSegmenterEvent[] = [],
  storage: StorageBackend = new MemoryStorage(),
) {
  return new HlsSegmenter({
    storage,
    muxer: new RecordingMuxer(),
    prefix: "live/ll",
    targetDurationMs: 2000,
    partTargetMs: 334,
    windowSize: 6,
    onEvent: (e) => events.push(e),
  });
}

Deno.test("LL-HLS parts stay within PART-TARGET and key parts are INDEPENDENT", async () => {
  const events: HlsSegmenterEvent[] = [];
  const hls = llSegmenter(events);
  await pushAll(hls, avStream({ seconds: 7, gopFrames: 60 }));
  const text = hls.playlist();
  assert.match(text, /#EXT-X-VERSION:9\n/);
  assert.match(text, /#EXT-X-PART-INF:PART-TARGET=0.334\n/);
  assert.match(
    text,
    /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12,PART-HOLD-BACK=1.002\n/,
  );
  assert.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg3.\d+.ts"\n$/);
  const playlist = HLS.parse(text) as MediaPlaylist;
  assert.equal(playlist.partTargetDuration, 0.334);
  assert.equal(playlist.lowLatencyCompatibility?.canBlockReload, true);
  const parts = events.filter((e) => e.type === "part");
  assert.ok(parts.length > 15);
  for (const part of parts) {
    assert.ok(
      part.durationS <= 0.334 + 1e-9,
      `part ${part.key} lasts ${part.durationS}`,
    );
    assert.equal(part.independent, part.part === 0, part.key);
  }
  // Each complete segment lists parts whose durations sum to its EXTINF.
  for (const segment of playlist.segments.filter((s) => s.uri)) {
    const sum = segment.parts.reduce(
      (total, p) => total + (p.duration ?? 0),
      0,
    );
    assert.ok(
      Math.abs(sum - segment.duration) < 1e-3,
      `${segment.uri}: ${sum} vs ${segment.duration}`,
    );
    assert.equal(segment.parts[0]?.independent, true);
  }
  await hls.end();
  assert.doesNotMatch(hls.playlist(), /PRELOAD-HINT|SERVER-CONTROL/);
});

async function segmentsAreTheirParts(storage: StorageBackend): Promise<void> {
  const events: HlsSegmenterEvent[] = [];
  const hls = llSegmenter(events, storage);
  await pushAll(hls, avStream({ seconds: 5, gopFrames: 60 }));
  await hls.end();
  for (const msn of [0, 1, 2]) {
    const segment = await storage.get(`live/ll/seg${msn}.ts`);
    const partKeys = (await storage.list(`live/ll/seg${msn}.`)).filter((k) =>
      k !== `live/ll/seg${msn}.ts`
    );
    partKeys.sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
    assert.ok(partKeys.length > 1, `seg${msn} has parts`);
    const parts = await Promise.all(partKeys.map((k) => storage.get(k)));
    const joined = new Uint8Array(parts.reduce((n, p) => n + p!.length, 0));
    let offset = 0;
    for (const p of parts) {
      joined.set(p!, offset);
      offset += p!.length;
    }
    assert.deepEqual(segment, joined, `seg${msn}`);
    const listed = events.find((e) => e.type === "segment" && e.msn === msn);
    assert.equal(
      listed?.type === "segment" ? listed.bytes : -1,
      joined.length,
      `seg${msn}'s event counts its bytes`,
    );
    assert.equal(hls.segmentState(`seg${msn}.0.ts`), "live");
  }
}

Deno.test("LL-HLS segment files are the concatenation of their parts (MemoryStorage: putChunks, one stored copy)", async () => {
  await segmentsAreTheirParts(new MemoryStorage());
});

Deno.test("LL-HLS segment files are the concatenation of their parts (FsStorage: putChunks, never joined)", async () => {
  const root = await Deno.makeTempDir({ prefix: "arcly-ll-hls-" });
  try {
    const storage = new FsStorage({ root });
    const putChunks = storage.putChunks.bind(storage);
    let chunked = 0;
    storage.putChunks = (key, chunks, options) => {
      chunked++;
      return putChunks(key, chunks, options);
    };
    let joinedPuts = 0;
    const put = storage.put.bind(storage);
    storage.put = (key, bytes, options) => {
      if (/seg\d+\.ts$/.test(key)) joinedPuts++;
      return put(key, bytes, options);
    };
    await segmentsAreTheirParts(storage);
    assert.ok(chunked >= 3, `segments written from their parts: ${chunked}`);
    assert.equal(joinedPuts, 0, "no segment joined in memory");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("HlsSegmenter.waitFor() resolves when the part is written and not before", async () => {
  const hls = llSegmenter();
  const frames = avStream({ seconds: 4, gopFrames: 60 });
  let resolved: boolean | undefined;
  const waiting = hls.waitFor(1, 2, AbortSignal.timeout(10_000)).then((
    found,
  ) => (resolved = found));
  let pushed = 0;
  while (resolved === undefined && pushed < frames.length) {
    await hls.push(frames[pushed++]!);
    await Promise.resolve();
  }
  assert.equal(await waiting, true);
  // Part 1.2 exists as soon as the frame that closed it was pushed: the playlist now lists it.
  const playlist = HLS.parse(hls.playlist()) as MediaPlaylist;
  const last = hls.playlist().match(/URI="seg1.2.ts"/);
  assert.ok(last, "the playlist lists part 1.2");
  assert.ok(playlist.segments.length >= 1);
  assert.ok(
    frames[pushed - 1]!.dts >= 2000 + 2 * 333,
    `resolved at dts ${frames[pushed - 1]!.dts}`,
  );
  assert.ok(
    frames[pushed - 1]!.dts < 2000 + 3 * 334 + 40,
    `resolved late at dts ${frames[pushed - 1]!.dts}`,
  );
  // Already present: resolves at once; whole-segment waits need the segment complete.
  assert.equal(await hls.waitFor(0, undefined), true);
  assert.equal(await hls.waitFor(1, 0), true);
  await hls.end();
});

Deno.test("HlsSegmenter.waitFor() returns false on abort and when the stream ends", async () => {
  const hls = llSegmenter();
  await pushAll(hls, avStream({ seconds: 1 }));
  const controller = new AbortController();
  const aborted = hls.waitFor(5, 0, controller.signal);
  controller.abort();
  assert.equal(await aborted, false);
  assert.equal(await hls.waitFor(5, 0, AbortSignal.abort()), false);
  const pending = hls.waitFor(9, undefined, new AbortController().signal);
  await hls.end();
  assert.equal(await pending, false);
  assert.equal(await hls.waitFor(99, 0), false);
});

Deno.test("LL-HLS delta update replaces old segments with EXT-X-SKIP", async () => {
  const hls = new HlsSegmenter({
    storage: new MemoryStorage(),
    muxer: new RecordingMuxer(),
    prefix: "live/ll",
    targetDurationMs: 1000,
    partTargetMs: 250,
    windowSize: 10,
    renditionReports:
      () => [{ uri: "../low/index.m3u8", lastMsn: 11, lastPart: 1 }],
  });
  await pushAll(hls, avStream({ seconds: 12 }));
  const full = HLS.parse(hls.playlist()) as MediaPlaylist;
  const delta = HLS.parse(hls.renderPlaylist({ skip: true })) as MediaPlaylist;
  assert.match(
    hls.renderPlaylist({ skip: true }),
    /#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n/,
  );
  assert.equal(delta.skip, 4);
  assert.equal(delta.segments.length, full.segments.length - 4);
  assert.equal(full.renditionReports[0]?.uri, "../low/index.m3u8");
  assert.match(
    hls.playlist(),
    /#EXT-X-RENDITION-REPORT:URI="..\/low\/index.m3u8",LAST-MSN=11,LAST-PART=1\n/,
  );
  // Parts are listed only for the last three target durations.
  const withParts =
    full.segments.filter((s) => s.uri && s.parts.length > 0).length;
  assert.equal(withParts, 3);
  await hls.end();
});
