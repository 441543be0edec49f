// Retention with a ManualClock: recordings by age and by total size (the
// file in progress is kept), ended streams' HLS folders some time after
// their last write (live streams, fresh folders and folders that are not HLS
// output are kept; the packager forgets the ended playlist), and the sweep
// timers run on the injected clock.
import assert from "node:assert/strict";
import { ManualClock } from "../../mod.ts";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { HlsRetention, RecordingRetention } from "../../pipelines/mod.ts";
import { at, keyAt, recordClip } from "../media/recording/_recorded.ts";

const DAY = 86_400_000;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
}

/** Advance `ms` in steps of `step`, letting each sweep finish (it re-arms its timer then). */
async function pass(clock: ManualClock, ms: number, step: number) {
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await settle();
  }
}

Deno.test("recording retention: by age, on the clock's timer", async () => {
  const clock = new ManualClock(at("08:31:00"));
  const storage = new MemoryStorage({ now: () => clock.now() });
  await recordClip(storage, keyAt("08:30:00"));
  clock.advance(DAY);
  await recordClip(storage, keyAt("08:30:15").replace("12-06", "12-07"));
  const deleted: string[] = [];
  const retention = new RecordingRetention({
    storage,
    clock,
    now: () => clock.now(),
    maxAgeMs: DAY / 2,
    intervalMs: 3_600_000,
    onDelete: (d) => deleted.push(`${d.key} ${d.reason}`),
  });
  clock.advance(0); // the first sweep runs at once
  await settle();
  assert.deepEqual(deleted, [`${keyAt("08:30:00")} age`]);
  assert.equal((await storage.list("")).length, 1);
  // a day later the second one goes on the next timer
  await pass(clock, DAY, 3_600_000);
  assert.equal(deleted.length, 2);
  assert.deepEqual(await storage.list(""), []);
  await retention.close();
  assert.equal(clock.pendingTimers, 0);
});

Deno.test("recording retention: by total size, oldest first, never the file in progress", async () => {
  const clock = new ManualClock(at("09:00:00"));
  const storage = new MemoryStorage({ now: () => clock.now() });
  await recordClip(storage, keyAt("08:30:00"));
  await recordClip(storage, keyAt("08:30:15"));
  await recordClip(storage, keyAt("08:30:30"));
  const size = (await storage.stat(keyAt("08:30:00")))!.size;
  clock.advance(60_000);
  // the newest is still being written
  await storage.append(keyAt("08:30:30"), new Uint8Array(0));
  const retention = new RecordingRetention({
    storage,
    clock,
    now: () => clock.now(),
    maxBytes: size, // room for one file
    activeMs: 30_000,
  });
  assert.equal(retention.enabled, true);
  const deleted = await retention.sweep();
  assert.deepEqual(deleted, [keyAt("08:30:00"), keyAt("08:30:15")]);
  assert.deepEqual(await storage.list(""), [keyAt("08:30:30")]);
  await retention.close();
  const off = new RecordingRetention({ storage, clock });
  assert.equal(off.enabled, false);
  assert.equal(clock.pendingTimers, 0); // no limits: no timer
  await off.close();
});

Deno.test("HLS retention: an ended stream's folder goes after the retention, live and foreign folders stay", async () => {
  const clock = new ManualClock(1_000_000_000);
  const storage = new MemoryStorage({ now: () => clock.now() });
  const text = new TextEncoder();
  for (const key of ["live/ended", "live/live", "live/fresh"]) {
    await storage.put(`${key}/index.m3u8`, text.encode("#EXTM3U\n"));
    await storage.put(`${key}/seg0.m4s`, new Uint8Array(10));
  }
  await storage.put("docs/notes/readme.md", new Uint8Array(1)); // not HLS output
  // an HLS recording (--record-format hls-fmp4 into the same folder)
  await storage.put(
    "live/cam-2026-12-06T08-30-00-000Z/index.m3u8",
    text.encode("#EXTM3U\n"),
  );
  await storage.put("docs/notes/index.m3u8", new Uint8Array(1));
  clock.advance(200_000);
  await storage.put("live/fresh/index.m3u8", text.encode("#EXTM3U\n"));
  const forgotten: string[] = [];
  const deleted: string[] = [];
  const retention = new HlsRetention({
    storage,
    clock,
    now: () => clock.now(),
    retentionMs: 300_000,
    isLive: (key) => key === "live/live",
    forget: (key) => forgotten.push(key),
    onDelete: (d) => deleted.push(d.key),
  });
  clock.advance(0); // start-up sweep: nothing is 5 minutes old yet
  await settle();
  assert.deepEqual(deleted, []);
  // sweeps every 60 s: at +320 s the ended folder's last write is 320 s old
  await pass(clock, 120_000, 60_000);
  assert.deepEqual(deleted, ["live/ended"]);
  assert.deepEqual(forgotten, ["live/ended"]);
  assert.deepEqual(await storage.list("live/ended"), []);
  await pass(clock, 180_000, 60_000); // fresh: 300 s since its last write
  assert.deepEqual(deleted, ["live/ended", "live/fresh"]);
  assert.equal((await storage.list("live/live/")).length, 2);
  assert.equal((await storage.list("docs/")).length, 2);
  assert.equal((await storage.list("live/cam-2026")).length, 1);
  await retention.close();
  assert.equal(clock.pendingTimers, 0);
});
