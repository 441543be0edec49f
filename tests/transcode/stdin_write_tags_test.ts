// The stdin feeder's `writeTags` mode (a ladder's: each media frame's FLV
// tag built at the write, in the reused write buffer) writes the very bytes
// the tag-per-frame mode writes, batch by batch, and counts the same bytes
// against the queue bound.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { StdinFeeder } from "../../transcode/_stdin_feeder.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

async function written(
  writeTags: boolean,
  batches: MediaFrame[][],
): Promise<{ bytes: Uint8Array[]; queued: number[] }> {
  const feeder = new StdinFeeder(
    "flv",
    1 << 20,
    Infinity,
    undefined,
    writeTags,
  );
  const bytes: Uint8Array[] = [];
  const queued: number[] = [];
  let release: (() => void) | undefined;
  const writer = {
    write(chunk: Uint8Array): Promise<void> {
      bytes.push(chunk.slice()); // the buffer is reused after the write
      return new Promise<void>((resolve) => release = resolve);
    },
  } as unknown as WritableStreamDefaultWriter<Uint8Array>;
  const run = feeder.run(writer);
  for (const batch of batches) {
    for (const frame of batch) feeder.push(frame);
    queued.push(feeder.queuedBytes);
    await new Promise((r) => setTimeout(r, 0));
    release?.();
    release = undefined;
    await new Promise((r) => setTimeout(r, 0));
  }
  feeder.close();
  release?.();
  await run;
  return { bytes, queued };
}

Deno.test("stdin queue: tags written at the write (writeTags) are the same bytes, batch by batch", async () => {
  const batches: MediaFrame[][] = [
    [videoConfig(0), audioConfig(0), videoFrame(0, true, { size: 900 })],
    [
      videoFrame(40, false, { size: 300 }),
      videoFrame(80, false, { size: 250 }),
    ],
    [
      videoFrame(120, false, { size: 10 }),
      audioFrame(120, 30),
      videoFrame(160, true, { size: 700 }),
    ],
    [videoFrame(200, false, { size: 5 })],
  ];
  const plain = await written(false, batches);
  const later = await written(true, batches);
  assert.equal(later.bytes.length, plain.bytes.length);
  assert.ok(plain.bytes.length >= 3);
  plain.bytes.forEach((b, i) => assert.deepEqual(later.bytes[i], b));
  assert.deepEqual(later.queued, plain.queued);
});
