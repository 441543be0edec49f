// The HLS player matrix of issue 20: Shaka Player 5 beside hls.js in
// Chromium, HLS and LL-HLS (lowLatencyMode), MPEG-TS and fMP4, audio+video,
// audio-only and video-only, against a live origin fed over RTMP. Each
// player must start, play at least 2 s and report no fatal error.
import assert from "node:assert/strict";
import { launchChromium } from "../_browser.ts";
import { missing } from "../_tools.ts";
import { encodeClip } from "./_media.ts";
import {
  pageServer,
  playedBetween,
  type PlayerState,
  publishRealtime,
  START_PLAYER,
  startOrigin,
} from "./_origin.ts";

// Long enough that a player joining late on a loaded machine (six pages
// open one after the other) still has 2 s of media ahead of it.
const SECONDS = 24;
const CONTENT = {
  av: { width: 320, height: 240, fps: 30, seconds: SECONDS },
  audio: { width: 320, height: 240, fps: 30, seconds: SECONDS, video: false },
  video: { width: 320, height: 240, fps: 30, seconds: SECONDS, audio: false },
} as const;

/** Which player plays which stream in which mode (each dimension covered). */
const PLAYS = [
  { player: "shaka", stream: "av", lowLatency: true },
  { player: "shaka", stream: "audio", lowLatency: false },
  { player: "shaka", stream: "video", lowLatency: true },
  { player: "hlsjs", stream: "av", lowLatency: false },
  { player: "hlsjs", stream: "audio", lowLatency: true },
  { player: "hlsjs", stream: "video", lowLatency: false },
] as const;

for (const format of ["fmp4", "ts"] as const) {
  Deno.test({
    name:
      `HLS players (${format}): Shaka Player and hls.js, HLS and LL-HLS, audio+video / audio-only / video-only play >= 2 s without fatal errors`,
    ignore: missing("ffmpeg", "chromium"),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const clips = new Map(
        await Promise.all(
          Object.entries(CONTENT).map(async ([name, clip]) =>
            [name, await encodeClip(clip)] as const
          ),
        ),
      );
      // A 12-segment (12 s) window: six players start together on a 2-core
      // runner; Shaka raised SEGMENT_MISSING (1011) twice in many runs
      // (fifth and eighth sessions) for a player that fell behind the
      // default 6 s window while starved, never with the stream's playlist
      // wrong. The assertions are unchanged.
      await using origin = await startOrigin({
        hls: { format, windowSize: 12 },
      });
      await using browser = await launchChromium();
      await using pages = pageServer(origin.httpUrl);
      const stop = new AbortController();
      const publishing = [...clips].map(([name, frames]) =>
        publishRealtime(origin.rtmpUrl, `${format}-${name}`, frames, {
          signal: stop.signal,
        })
      );
      try {
        // Join once each playlist lists two segments.
        for (const name of clips.keys()) {
          const url = `${origin.httpUrl}/live/${format}-${name}/index.m3u8`;
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            const res = await fetch(url, {
              signal: AbortSignal.timeout(5_000),
            });
            const text = await res.text();
            if ((text.match(/#EXTINF/g)?.length ?? 0) >= 2) break;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        // Pages open one after the other (a loaded machine times out six
        // concurrent navigations); then they play concurrently.
        const opened = [];
        for (const play of PLAYS) {
          const page = await browser.newPage();
          await page.goto(pages.url, { timeout: 20_000 });
          opened.push({ play, page });
        }
        const runs = await Promise.all(opened.map(async ({ play, page }) => {
          const start = await page.evaluate("performance.now()") as number;
          await page.evaluate(
            `(${START_PLAYER})(${
              JSON.stringify({
                player: play.player,
                url: `/live/${format}-${play.stream}/index.m3u8`,
                lowLatency: play.lowLatency,
              })
            })`,
          );
          const deadline = Date.now() + 20_000;
          let state = await page.evaluate("window.playerState") as PlayerState;
          while (Date.now() < deadline) {
            state = await page.evaluate("window.playerState") as PlayerState;
            const now = state.times.at(-1)?.[0] ?? start;
            if (
              playedBetween(state, start, now) >= 2 ||
              state.errors.some((e) => !/sev 1$/.test(e))
            ) break;
            await new Promise((r) => setTimeout(r, 250));
          }
          const played = playedBetween(state, start, Infinity);
          return { ...play, played, errors: state.errors };
        }));
        for (const run of runs) {
          const label = `${run.player} ${
            run.lowLatency ? "LL-HLS" : "HLS"
          } ${format} ${run.stream}`;
          // Shaka's audio-only fMP4 case once failed here (3014/3016) when
          // segments were .m4s: Shaka typed a bare media playlist's first
          // segments as video/mp4 and the later audio/mp4 ones changed the
          // SourceBuffer's type without a new init segment. Segments of an
          // audio-only fMP4 stream are .m4a now.
          assert.deepEqual(
            run.errors.filter((e) => !/sev 1$/.test(e)),
            [],
            `${label}: errors`,
          );
          assert.ok(
            run.played >= 2,
            `${label}: played ${run.played.toFixed(2)} s`,
          );
        }
      } finally {
        stop.abort();
        await Promise.allSettled(publishing);
      }
    },
  });
}
