// Floods of play requests for keys that do not exist, over HTTP (FLV and HLS
// playlists) and RTMP: each is answered fast with 404 / StreamNotFound, no
// stream, subscription or connection is left behind, and the viewer watches on.
import assert from "node:assert/strict";
import { httpPlayFlood, rtmpPlayFlood } from "./_attacks.ts";
import {
  report,
  rssMiB,
  startHostileOrigin,
  waitFor,
  watchFlv,
} from "./_origin.ts";

const HTTP_N = Number(Deno.env.get("HOSTILE_FLOOD_N") ?? 1_000);
const RTMP_N = Number(Deno.env.get("HOSTILE_RTMP_FLOOD_N") ?? 200);

Deno.test("hostile: play floods for missing keys get fast 404 / StreamNotFound and leave no state", async () => {
  await using origin = await startHostileOrigin();
  await using viewer = await watchFlv(
    `${origin.httpBase}/live/${origin.legit}.flv`,
  );
  viewer.meter.resetMax();
  const rssBefore = rssMiB();
  const stream = origin.engine.getStream(`live/${origin.legit}`)!;
  const subscribersBefore = stream.subscriberCount;

  const t0 = performance.now();
  const http = await httpPlayFlood(origin, HTTP_N);
  const httpRate = HTTP_N / ((performance.now() - t0) / 1000);
  const t1 = performance.now();
  const rtmp = await rtmpPlayFlood(origin, RTMP_N, 10);
  const rtmpRate = RTMP_N / ((performance.now() - t1) / 1000);
  await waitFor(() => origin.rtmp.connectionCount === 1, 3_000, "cleanup");

  report(
    `http play flood x${HTTP_N}: ${http.refused} 404, ${
      httpRate.toFixed(0)
    } req/s, p50 ${http.p50Ms.toFixed(1)} / p99 ${
      http.p99Ms.toFixed(1)
    } / max ${http.maxMs.toFixed(1)} ms`,
  );
  report(
    `rtmp play flood x${RTMP_N} (connect + play each): ${rtmp.refused} StreamNotFound, ${
      rtmpRate.toFixed(0)
    } plays/s, p50 ${rtmp.p50Ms.toFixed(1)} / p99 ${
      rtmp.p99Ms.toFixed(1)
    } ms; ` +
      `rss ${rssBefore.toFixed(0)} → ${
        rssMiB().toFixed(0)
      } MiB, viewer max gap ${viewer.meter.maxGapMs.toFixed(0)} ms`,
  );
  assert.equal(http.refused, HTTP_N);
  assert.equal(rtmp.refused, RTMP_N);
  assert.ok(http.p99Ms < 500 && rtmp.p99Ms < 500);
  // No state left: one stream, same subscribers, only the publisher connected.
  assert.equal(origin.engine.streams().length, 1);
  assert.equal(stream.subscriberCount, subscribersBefore);
  assert.equal(origin.rtmp.connectionCount, 1);
  assert.ok(viewer.meter.maxGapMs < 1_000);
});
