// End to end in a real browser: ffmpeg publishes over RTMP, Chromium opens
// the dashboard once per delivery mode and plays the stream via LL-HLS
// (fMP4), plain HLS (TS and fMP4) and HTTP-FLV (mpegts.js), one after the
// other. Each must get `video.currentTime` past 3 s. The publish-to-play
// latency of each is measured and written with a screenshot per mode to
// E2E_OUT_DIR (default: a temp dir). docs/dashboard.png comes from
// tests/e2e/dashboard_test.ts.
//
// Latency = wall clock now - wall clock at which the frame on screen reached
// the server. The test maps stream time to arrival time with the smallest
// (arrival - dts) offset seen. HTTP-FLV: mpegts.js starts its clock at the
// first media tag, whose stream time the server sends in X-Arcly-Start-Dts.
// HLS: hls.js maps the playhead to EXT-X-PROGRAM-DATE-TIME (`playingDate`),
// which the packager anchors on its first frame; that frame's extra delay
// (the publisher's start-up burst) is added back.
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../_browser.ts";
import { missing } from "../_tools.ts";
import { type Origin, startOrigin } from "./_origin.ts";

interface Mode {
  name: string;
  key: string;
  via: "hls" | "llhls" | "flv" | "ws";
  /** Latency bound asserted (generous for busy CI; the goal is in bench/results/http.md). */
  boundMs: number;
}

const MODES: Mode[] = [
  { name: "LL-HLS (fMP4)", key: "ll/cam", via: "llhls", boundMs: 4_000 },
  { name: "HLS (TS)", key: "ts/cam", via: "hls", boundMs: 12_000 },
  { name: "HLS (fMP4)", key: "fmp4/cam", via: "hls", boundMs: 12_000 },
  { name: "HTTP-FLV", key: "ll/cam", via: "flv", boundMs: 4_000 },
  // WebSocket-FLV through the origin's own server (RFC 6455 upgrade, one
  // binary message per shared batch). Playwright does not expose the 101's
  // X-Arcly-Start-Dts, so this mode's latency is the dashboard's own readout
  // (the player's buffer: buffered end - currentTime), bounded loosely.
  { name: "WS-FLV", key: "ll/cam", via: "ws", boundMs: 4_000 },
];

const PLAY_TIMEOUT_MS = 25_000;
const SETTLE_MS = 1_500;
/** Distance to the live edge (s) below which an HLS player is considered settled. */
const EDGE_SETTLED_S: Record<string, number> = { ll: 2, ts: 5, fmp4: 5 };
const LATENCY_SAMPLES = 5;

type PageGlobals = {
  document: { querySelector(s: string): { currentTime: number } };
  arcly: {
    error: string | null;
    player: { playingDate?: Date | null; latency?: number };
    /** The page's latency readout, seconds. */
    latency: number | null;
  };
};

function currentTime(page: Page): Promise<number> {
  return page.evaluate(() =>
    (globalThis as unknown as PageGlobals).document.querySelector("video")
      .currentTime
  );
}

async function waitForPlayback(page: Page, seconds: number): Promise<number> {
  const deadline = Date.now() + PLAY_TIMEOUT_MS;
  let t = 0;
  while (Date.now() < deadline) {
    t = await currentTime(page);
    if (t > seconds) return t;
    await page.waitForTimeout(250);
  }
  const error = await page.evaluate(() =>
    (globalThis as unknown as PageGlobals).arcly.error
  );
  throw new Error(`currentTime stuck at ${t} s (player error: ${error})`);
}

interface Result {
  mode: string;
  currentTime: number;
  latencyMs: number[];
  edgeMs: number[];
  screenshot: string;
}

async function playOne(
  browser: Browser,
  base: string,
  mode: Mode,
  origin: Origin,
  outDir: string,
): Promise<Result> {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 720 },
  });
  let startDts: number | undefined;
  page.on("response", (response) => {
    const value = response.headers()["x-arcly-start-dts"];
    if (value !== undefined) startDts = Number(value);
  });
  await page.goto(`${base}/?play=${mode.key}&via=${mode.via}`);
  // The dashboard lists the streams without a reload.
  await page.waitForSelector(`article[data-key="${mode.key}"]`, {
    timeout: 10_000,
  });
  let t: number;
  try {
    t = await waitForPlayback(page, 3);
  } catch (error) {
    await page.screenshot({
      path: `${outDir}/failed_${mode.key.replace("/", "_")}_${mode.via}.png`,
    });
    throw new Error(`${mode.name}: ${(error as Error).message}`);
  }
  await page.waitForTimeout(SETTLE_MS); // let the player reach its steady latency
  if (mode.via === "hls" || mode.via === "llhls") {
    // hls.js may start a few seconds behind the edge; the page jumps to live
    // once the edge is buffered. Wait for that (bounded) before measuring.
    for (let i = 0; i < 20; i++) {
      const toEdge = await page.evaluate(() =>
        (globalThis as unknown as PageGlobals).arcly.player.latency ?? 99
      );
      if (toEdge < EDGE_SETTLED_S[mode.key.split("/")[0]!]!) break;
      await page.waitForTimeout(500);
    }
  }
  const latencyMs: number[] = [];
  const edgeMs: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    await page.waitForTimeout(300);
    if (mode.via === "ws") {
      const readout = await page.evaluate(() =>
        (globalThis as unknown as PageGlobals).arcly.latency
      );
      if (readout !== null) latencyMs.push(Math.round(readout * 1000));
    } else if (mode.via === "hls" || mode.via === "llhls") {
      const [playing, toEdge] = await page.evaluate(() => {
        const player = (globalThis as unknown as PageGlobals).arcly.player;
        return [player.playingDate?.getTime() ?? null, player.latency ?? null];
      });
      if (playing !== null) {
        latencyMs.push(Date.now() - playing + origin.startupSkewMs(mode.key));
      }
      if (toEdge !== null) edgeMs.push(Math.round(toEdge * 1000));
    } else {
      assert.ok(startDts !== undefined, "X-Arcly-Start-Dts seen");
      const now = Date.now();
      const played = (await currentTime(page)) * 1000 + startDts;
      latencyMs.push(Math.round(now - origin.wallClockOf(mode.key, played)));
    }
  }
  const screenshot = `${outDir}/${mode.name.replace(/[^a-z0-9]+/gi, "_")}.png`;
  await page.screenshot({ path: screenshot });
  await page.close();
  return { mode: mode.name, currentTime: t, latencyMs, edgeMs, screenshot };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? NaN;
}

Deno.test({
  name:
    "Chromium plays the dashboard stream via LL-HLS, HLS (TS, fMP4), HTTP-FLV and WS-FLV past 3 s",
  ignore: missing("ffmpeg", "chromium"),
  async fn() {
    await using origin = await startOrigin();
    await using browser = await launchChromium();
    const base = `http://127.0.0.1:${origin.httpPort}`;
    const outDir = Deno.env.get("E2E_OUT_DIR") ??
      await Deno.makeTempDir({ prefix: "arcly-e2e-" });
    // One after the other: four players decoding at once on a small CI box
    // would measure the box, not the server.
    const results: Result[] = [];
    for (const mode of MODES) {
      results.push(
        await playOne(browser, base, mode, origin, outDir),
      );
    }
    await Deno.writeTextFile(
      `${outDir}/latency.json`,
      JSON.stringify(results, null, 2),
    );
    // deno-lint-ignore no-console
    console.log(
      results.map((r) =>
        `${r.mode}: t=${r.currentTime.toFixed(1)} s, latency median ${
          median(r.latencyMs)
        } ms [${r.latencyMs.join(", ")}]` +
        (r.edgeMs.length ? `, to live edge ${median(r.edgeMs)} ms` : "")
      ).join("\n") + `\n(${outDir})`,
    );
    for (const [i, mode] of MODES.entries()) {
      const result = results[i]!;
      assert.ok(result.currentTime > 3, mode.name);
      assert.ok(result.latencyMs.length > 0, `${mode.name}: latency measured`);
      assert.ok(
        median(result.latencyMs) < mode.boundMs,
        `${mode.name} latency ${median(result.latencyMs)} ms`,
      );
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /arcly_streams 3/);
    assert.match(metrics, /arcly_bytes_out_total\{protocol="http-flv"\} [1-9]/);
    assert.match(metrics, /arcly_bytes_out_total\{protocol="ws-flv"\} [1-9]/);
    assert.match(metrics, /arcly_bytes_out_total\{protocol="hls"\} [1-9]/);
    assert.match(metrics, /arcly_hls_segments_written_total [1-9]/);
  },
});
