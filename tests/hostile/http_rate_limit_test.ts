// The RateLimiter wired into HttpHandler (`rateLimiter`): a client over its
// request rate gets 429 with Retry-After before any routing or authorization
// (each refusal audited as clientDropped, with no query string), and the
// HTTP-FLV viewer that was already streaming never notices.
import assert from "node:assert/strict";
import { RateLimiter } from "../../mod.ts";
import { report, sleep, startHostileOrigin, watchFlv } from "./_origin.ts";

const SECRET = "tok-Never-Logged-91b2";

Deno.test("hostile: HTTP request rate per IP answers 429 to a flood; the FLV viewer keeps streaming", async () => {
  const rateLimiter = new RateLimiter({ ratePerSecond: 50, burst: 50 });
  await using origin = await startHostileOrigin({ http: { rateLimiter } });
  await using viewer = await watchFlv(
    `${origin.httpBase}/live/${origin.legit}.flv`,
  );
  viewer.meter.resetMax();
  const droppedBefore = origin.dropped();
  const statuses = new Map<number, number>();
  let retryAfter = "";
  for (let i = 0; i < 500; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, j) => {
        const res = await fetch(
          `${origin.httpBase}/live/missing${i + j}.flv?token=${SECRET}`,
        );
        if (res.status === 429) {
          retryAfter = res.headers.get("retry-after") ?? "";
        }
        await res.body?.cancel();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }),
    );
  }
  const refused = statuses.get(429) ?? 0;
  report(
    `http limiter 50/s burst 50: 500 requests → ${
      JSON.stringify(Object.fromEntries(statuses))
    }, viewer max gap ${viewer.meter.maxGapMs.toFixed(0)} ms`,
  );
  assert.ok(refused >= 350, `429 × ${refused}`);
  assert.equal(retryAfter, "1");
  assert.equal((statuses.get(404) ?? 0) + refused, 500);
  assert.equal(origin.dropped() - droppedBefore, refused);
  assert.ok(!JSON.stringify(origin.audit).includes(SECRET));
  assert.ok(viewer.meter.maxGapMs < 1_000);
  // A second later the client has tokens again.
  await sleep(1_000);
  const after = await fetch(`${origin.httpBase}/healthz`);
  await after.body?.cancel();
  assert.equal(after.status, 200);
});
