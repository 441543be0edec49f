// Chunk-level abuse after `connect`: chunk size 0 and 2^31, 5,000 chunk
// stream ids, a message length over maxMessageBytes, AMF0 strings that claim
// 2^31-1 bytes. Each connection is closed with a handlerError, server-side
// buffers stay bounded, and the legit viewer does not stall.
import assert from "node:assert/strict";
import { chunkAbuse } from "./_attacks.ts";
import { report, rssMiB, startHostileOrigin, watchRtmp } from "./_origin.ts";

const REPEAT = Number(Deno.env.get("HOSTILE_REPEAT") ?? 5);

Deno.test("hostile: chunk-size, chunk-stream-id and huge-AMF abuse is cut off while a viewer watches", async () => {
  await using origin = await startHostileOrigin({
    rtmp: { maxMessageBytes: 1 << 20 },
  });
  await using viewer = await watchRtmp(origin.rtmpUrl, origin.legit);
  viewer.meter.resetMax();
  const rssBefore = rssMiB();
  const errorsBefore = origin.handlerErrors.length;
  const droppedBefore = origin.dropped();
  const results = await chunkAbuse(origin, REPEAT);
  for (const [name, f] of Object.entries(results)) {
    report(
      `${name} x${f.clients}: ${f.stillOpen} open, closed ≤ ${
        f.slowestCloseMs.toFixed(0)
      } ms`,
    );
  }
  report(
    `chunk abuse: rss ${rssBefore.toFixed(1)} → ${
      rssMiB().toFixed(1)
    } MiB, viewer max gap ${viewer.meter.maxGapMs.toFixed(0)} ms`,
  );
  for (const [name, f] of Object.entries(results)) {
    assert.equal(f.stillOpen, 0, `${name}: every client closed`);
    // closed by a violation, not by the 4 s idle timeout
    assert.ok(f.slowestCloseMs < 2_000, `${name}: ${f.slowestCloseMs} ms`);
  }
  const drops = origin.handlerErrors.length - errorsBefore;
  assert.equal(drops, REPEAT * Object.keys(results).length);
  assert.equal(
    origin.dropped() - droppedBefore,
    drops,
    "a clientDropped audit each",
  );
  assert.equal(origin.rtmp.connectionCount, 2);
  assert.ok(viewer.meter.maxGapMs < 1_000);
  assert.ok(rssMiB() - rssBefore < 96);
});
