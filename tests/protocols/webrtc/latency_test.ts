// Latency, measured in Chromium:
// - glass-to-glass WHIP → origin → WHEP: a canvas draws Date.now() as bars,
//   is published over WHIP, played back over WHEP in the same page, and the
//   bars are read back from each decoded frame (p50/p95 over ≥ 60 frames);
// - time to first frame of a new WHEP viewer (createOffer → first decoded
//   frame, requestVideoFrameCallback) of an RTMP-published stream;
// - RTMP → WHEP capture-to-display: ffmpeg draws the wall clock as bars into
//   each frame as it is made, publishes over RTMP, Chromium plays it over
//   WHEP and reads the bars back (see _clock_bars.ts).
// Figures are printed (and appended to $WEBRTC_RESULTS when set); the
// asserted bounds are generous for a loaded CI machine, the goals are in
// bench/results/webrtc.md.
import assert from "node:assert/strict";
import { launchChromium } from "../../_browser.ts";
import { missing } from "../../_tools.ts";
import {
  publishRtmp,
  startWebRtcOrigin,
  stopProcess,
  until,
} from "./_origin.ts";
import { servePage, startWhep, viewerState } from "./_pages.ts";
import { LATENCY_PAGE } from "./_latency_page.ts";
import { CLOCK_BARS_PAGE, clockBarsArgs } from "./_clock_bars.ts";

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function report(line: string): Promise<void> {
  // deno-lint-ignore no-console
  console.log(line);
  const path = Deno.env.get("WEBRTC_RESULTS");
  if (path) await Deno.writeTextFile(path, line + "\n", { append: true });
}

Deno.test({
  name:
    "webrtc latency: glass-to-glass WHIP → WHEP in Chromium (canvas barcode)",
  ignore: missing("chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using origin = await startWebRtcOrigin();
    await using served = servePage(LATENCY_PAGE);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(served.url);
    type Page = {
      whip(u: string): Promise<void>;
      whep(u: string): Promise<void>;
    };
    await page.evaluate(
      (u) => (globalThis as unknown as Page).whip(u),
      `${origin.base}/live/glass/whip`,
    );
    await until(
      () => origin.engine.getStream("live/glass")?.gopCache.hasVideo ?? false,
      20_000,
      "the WHIP keyframe",
    );
    await page.evaluate(
      (u) => (globalThis as unknown as Page).whep(u),
      `${origin.base}/live/glass/whep`,
    );
    const deadline = Date.now() + 30_000;
    let samples: number[] = [];
    while (Date.now() < deadline && samples.length < 90) {
      await page.waitForTimeout(500);
      samples = await page.evaluate(() =>
        (globalThis as unknown as { samples: number[] }).samples
      );
    }
    assert.ok(samples.length >= 30, `${samples.length} barcode frames read`);
    const steady = samples.slice(Math.floor(samples.length / 3)); // after the start-up burst
    const p50 = percentile(steady, 0.5);
    const p95 = percentile(steady, 0.95);
    await report(
      `glass-to-glass WHIP→WHEP (Chromium canvas barcode, ${steady.length} frames): p50 ${p50} ms, p95 ${p95} ms, min ${
        Math.min(...steady)
      } ms`,
    );
    assert.ok(p50 < 1_500, `p50 ${p50} ms`);
  },
});

Deno.test({
  name:
    "webrtc latency: time to first frame of a new WHEP viewer of an RTMP stream",
  ignore: missing("ffmpeg", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using origin = await startWebRtcOrigin();
    const ffmpeg = publishRtmp(`rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`);
    try {
      await until(
        () => origin.engine.getStream("live/cam")?.gopCache.hasVideo ?? false,
        15_000,
        "a keyframe",
      );
      await new Promise((r) => setTimeout(r, 1_500)); // a GOP in progress, as for a real new viewer
      await using browser = await launchChromium();
      const firsts: number[] = [];
      for (let i = 0; i < 3; i++) {
        const page = await browser.newPage();
        const t0 = Date.now();
        const answer = await startWhep(page, `${origin.base}/live/cam/whep`);
        assert.equal(answer.status, 201, answer.body);
        let state = await viewerState(page);
        while (state.firstFrameMs === null && Date.now() - t0 < 15_000) {
          await page.waitForTimeout(20);
          state = await viewerState(page);
        }
        assert.ok(state.firstFrameMs !== null, JSON.stringify(state));
        firsts.push(
          Date.now() - t0 > 0 ? Math.round(state.firstFrameMs + 0) : 0,
        );
        await page.close();
      }
      await report(
        `time to first frame, new WHEP viewer of an RTMP stream (setRemoteDescription → first decoded frame, 3 viewers): ${
          firsts.join(", ")
        } ms`,
      );
      assert.ok(Math.min(...firsts) < 5_000, firsts.join(","));
    } finally {
      await stopProcess(ffmpeg);
    }
  },
});

Deno.test({
  name:
    "webrtc latency: RTMP → WHEP capture-to-display (ffmpeg clock bars, Chromium reads them)",
  ignore: missing("ffmpeg", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using origin = await startWebRtcOrigin();
    const ffmpeg = new Deno.Command("ffmpeg", {
      args: clockBarsArgs(
        `rtmp://127.0.0.1:${origin.rtmpPort}/live/clock`,
        60,
      ),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    try {
      await until(
        () => origin.engine.getStream("live/clock")?.gopCache.hasVideo ?? false,
        15_000,
        "a keyframe",
      );
      await using served = servePage(CLOCK_BARS_PAGE);
      await using browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(served.url);
      await page.evaluate(
        (u) =>
          (globalThis as unknown as { play(u: string): Promise<void> }).play(u),
        `${origin.base}/live/clock/whep`,
      );
      const deadline = Date.now() + 30_000;
      let samples: number[] = [];
      while (Date.now() < deadline && samples.length < 150) {
        await page.waitForTimeout(500);
        samples = await page.evaluate(() =>
          (globalThis as unknown as { samples: number[] }).samples
        );
      }
      const firstFrame = await page.evaluate(() =>
        (globalThis as unknown as { firstFrameMs: number | null }).firstFrameMs
      );
      assert.ok(samples.length >= 30, `${samples.length} clock frames read`);
      const steady = samples.slice(30); // after the keyframe-run burst
      const p50 = percentile(steady, 0.5);
      const p95 = percentile(steady, 0.95);
      await report(
        `RTMP → WHEP capture-to-display (ffmpeg clock bars → x264 → RTMP → origin → WHEP → Chromium, ${steady.length} frames): p50 ${p50} ms, p95 ${p95} ms, min ${
          Math.min(...steady)
        } ms; this viewer's first frame ${
          Math.round(firstFrame ?? -1)
        } ms after its POST; load ${
          Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
        }`,
      );
      assert.ok(p50 < 2_000, `p50 ${p50} ms`);
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* gone */ }
      await ffmpeg.status;
      await ffmpeg.stderr.cancel().catch(() => {});
    }
  },
});
