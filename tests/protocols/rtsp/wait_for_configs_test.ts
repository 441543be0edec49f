// A young stream's first DESCRIBE waits for both audio and video configs
// (they arrive within a few hundred ms of each other, either first), so the
// SDP lists every track; a video-only stream is described once it is 1 s
// old, an audio-only one at 4 s. ManualClock only.
import assert from "node:assert/strict";
import { ManualClock } from "../../../mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import type { StreamHost } from "../../../src/contracts.ts";
import type { StreamHandle } from "../../../src/stream_handle.ts";
import { waitForConfigs } from "../../../protocols/rtsp/_server_stream.ts";
import { audioConfig, videoConfig } from "../../_fakes.ts";

const config = (kind: "audio" | "video"): MediaFrame =>
  kind === "video" ? videoConfig() : audioConfig();

function young(clock: ManualClock) {
  const configs: MediaFrame[] = [];
  const handle = {
    startedAt: clock.now(),
    ended: false,
    gopCache: { configFrames: () => configs },
  } as unknown as StreamHandle;
  const host = { clock } as unknown as StreamHost;
  let done = -1;
  waitForConfigs(host, handle).then(() => done = clock.now());
  return { configs, done: () => done };
}

async function step(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    clock.advance(100);
    await Promise.resolve();
    await Promise.resolve();
  }
}

Deno.test("rtsp waitForConfigs: video first waits for the audio config", async () => {
  const clock = new ManualClock(10_000);
  const s = young(clock);
  await step(clock, 200);
  s.configs.push(config("video"));
  await step(clock, 300);
  assert.equal(s.done(), -1, "video alone at 500 ms: still waiting");
  s.configs.push(config("audio"));
  await step(clock, 100);
  assert.equal(s.done(), 10_600);
});

Deno.test("rtsp waitForConfigs: audio first waits for the video config", async () => {
  const clock = new ManualClock(0);
  const s = young(clock);
  s.configs.push(config("audio"));
  await step(clock, 2000);
  assert.equal(s.done(), -1, "audio alone at 2 s: still waiting");
  s.configs.push(config("video"));
  await step(clock, 100);
  assert.equal(s.done(), 2100);
});

Deno.test("rtsp waitForConfigs: video-only at 1 s, audio-only at 4 s, nothing at 5 s", async () => {
  const clock = new ManualClock(0);
  const v = young(clock);
  v.configs.push(config("video"));
  const a = young(clock);
  a.configs.push(config("audio"));
  const none = young(clock);
  await step(clock, 900);
  assert.equal(v.done(), -1);
  await step(clock, 100);
  assert.equal(v.done(), 1000);
  await step(clock, 3000);
  assert.equal(a.done(), 4000);
  assert.equal(none.done(), -1);
  await step(clock, 1000);
  assert.equal(none.done(), 5000);
  assert.equal(clock.pendingTimers, 0);
});
