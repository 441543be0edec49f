// Fault: storage becomes full or read-only mid-stream, then recovers.
// Expected: a typed StreamError (code Storage) reaches the HLS onEvent hook;
// live HTTP-FLV and RTMP viewers keep receiving every frame (no gap — they
// never touch storage); HLS writes segments again once space returns, and the
// playlist never lists a segment that cannot be fetched (unless marked GAP).
import assert from "node:assert/strict";
import { readFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { FsStorage, MemoryStorage } from "../../media/storage/mod.ts";
import { StreamError } from "../../media/stream_error.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { FlakyStorage, type StorageFault } from "./_flaky_storage.ts";
import {
  flvViewer,
  type Origin,
  playlistText,
  startOrigin,
  until,
  within,
} from "./_origin.ts";

const CLIP = readFlvFile(
  Deno.readFileSync(
    new URL("../../examples/assets/sample.flv", import.meta.url),
  ),
).frames;
const videoDts = (frames: readonly MediaFrame[]) =>
  frames.filter((f) => f.kind === "video" && !f.config).map((f) => f.dts);

function segmentsWritten(origin: Origin, fromEvent = 0): number[] {
  return origin.hlsEvents.slice(fromEvent).flatMap(({ event }) =>
    event.type === "segment" ? [event.msn] : []
  );
}

/** Every segment URI in the live playlist is fetchable, unless marked EXT-X-GAP. */
async function assertListedSegmentsFetchable(origin: Origin): Promise<void> {
  const live = await playlistText(origin, "live/cam");
  const lines = live.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const uri = lines[i]!;
    if (uri === "" || uri.startsWith("#")) continue;
    if (lines[i - 1] === "#EXT-X-GAP" || lines[i - 2] === "#EXT-X-GAP") {
      continue;
    }
    const res = await fetch(`${origin.httpUrl}/live/cam/${uri}`);
    await res.body?.cancel();
    assert.equal(
      res.status,
      200,
      `listed segment ${uri} is fetchable after recovery\n${live}`,
    );
  }
}

async function storageFaultScenario(
  fault: StorageFault,
  checkListedSegments = false,
): Promise<void> {
  const storage = new FlakyStorage(new MemoryStorage());
  await using origin = await startOrigin({ storage });
  const client = await RtmpClient.connect(origin.rtmpUrl);
  const publisher = await client.publish("cam");
  const phase = (from: number, to: number) =>
    CLIP.filter((f) =>
      (f.config && from === 0) || (!f.config && f.dts >= from && f.dts < to)
    );
  await publisher.writeFrames(phase(0, 2200));
  await until(() => segmentsWritten(origin).length >= 1, 5000, "first segment");

  // Viewers join while storage is healthy.
  const viewer = flvViewer(`${origin.httpUrl}/live/cam.flv`);
  const rtmpViewer = await RtmpClient.connect(origin.rtmpUrl);
  const player = await rtmpViewer.play("cam");
  const played: MediaFrame[] = [];
  const playing = (async () => {
    for await (const frame of player) played.push(frame);
  })();
  await until(
    () => viewer.received() > 0 && played.length > 0,
    5000,
    "viewers",
  );

  // The disk fills (or turns read-only) mid-stream.
  storage.fault = fault;
  await publisher.writeFrames(phase(2200, 5200));
  await until(() => storage.refused >= 3, 5000, "refused writes");
  const errors = origin.hlsEvents.flatMap(({ event }) =>
    event.type === "storageError" ? [event.error] : []
  );
  assert.ok(errors.length >= 1, "a storageError event");
  for (const error of errors) {
    assert.ok(error instanceof StreamError);
    assert.equal(error.code, "Storage");
  }
  assert.equal(
    origin.engine.getStream("live/cam")?.ended,
    false,
    "the stream goes on",
  );

  // Space returns: HLS writes segments again.
  storage.fault = "none";
  const eventsAtRecovery = origin.hlsEvents.length;
  await publisher.writeFrames(phase(5200, 9000));
  await until(
    () => segmentsWritten(origin, eventsAtRecovery).length >= 2,
    8000,
    "segments after recovery",
  );
  const recovered = segmentsWritten(origin, eventsAtRecovery);
  for (const msn of recovered) {
    const res = await fetch(`${origin.httpUrl}/live/cam/seg${msn}.m4s`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200, `seg${msn}.m4s after recovery`);
    assert.ok(bytes.length > 0);
  }
  if (checkListedSegments) await assertListedSegmentsFetchable(origin);

  // End: viewers got every frame from where they joined, without a gap.
  await publisher.close();
  await client.close();
  assert.equal(await within(viewer.done, 10_000, "HTTP-FLV end"), "ended");
  await within(playing, 10_000, "RTMP player end");
  await rtmpViewer.close();
  const published = videoDts(CLIP.filter((f) => f.dts < 9000));
  for (
    const [name, got] of [[
      "HTTP-FLV",
      videoDts(readFlvFile(viewer.bytes()).frames),
    ], ["RTMP", videoDts(played)]] as const
  ) {
    // HTTP-FLV carries the stream's time; RTMP play starts each player's
    // timeline at its join: align on the last frame (the publish's end).
    const expected = published.slice(published.length - got.length);
    const shift = expected[0]! - got[0]!;
    assert.deepEqual(
      got.map((d) => d + shift),
      expected,
      `${name} viewer: every video frame from ${expected[0]} ms on, in order`,
    );
    if (name === "HTTP-FLV") assert.equal(shift, 0, "HTTP-FLV: stream time");
    // It joined before 2,200 ms were published: it has every frame after.
    assert.ok(
      got.length >= published.filter((d) => d >= 2200).length,
      `${name} viewer: ${got.length} frames, joined before 2200 ms`,
    );
  }
  assert.deepEqual(origin.errors, []);
}

Deno.test("fault: disk full mid-stream — typed Storage error, live viewers unaffected, HLS recovers", async () => {
  await storageFaultScenario("full");
});

Deno.test("fault: storage turns read-only mid-stream — typed Storage error, live viewers unaffected, HLS recovers", async () => {
  await storageFaultScenario("readOnly");
});

// A real read-only directory. Root ignores permission bits, so under root the
// wrapper above is the only way to fail writes; the test says so by skipping.
Deno.test({
  name:
    "fault: FsStorage in a chmod 0555 directory fails with a typed Storage error",
  ignore: Deno.uid() === 0 || Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "arcly-ro-" });
    try {
      const storage = new FsStorage({ root: dir });
      await storage.put("live/cam/a.txt", new Uint8Array([1]));
      await Deno.chmod(`${dir}/live/cam`, 0o555);
      await assert.rejects(
        () => storage.put("live/cam/b.txt", new Uint8Array([2])),
        (e: unknown) => e instanceof StreamError && e.code === "Storage",
      );
      await Deno.chmod(`${dir}/live/cam`, 0o755);
      await storage.put("live/cam/b.txt", new Uint8Array([2]));
    } finally {
      await Deno.chmod(`${dir}/live/cam`, 0o755).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// Segments whose writes failed while the disk was full stay in the timeline
// marked EXT-X-GAP (RFC 8216bis §4.4.4.7), so players skip them, not 404.
Deno.test({
  name:
    "fault: after a disk-full episode the playlist lists no unfetchable segment",
  async fn() {
    await storageFaultScenario("full", true);
  },
});
