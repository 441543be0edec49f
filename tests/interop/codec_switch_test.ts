// Issue 20, fault 2 with real players: one RTMP publish whose encoder
// restarts mid-stream at another resolution and frame rate (320x240@30 →
// 640x360@60, new sequence headers on the same connection). Shaka Player
// and hls.js in Chromium play through the switch (fMP4 and TS) with no
// fatal error and show the new picture size.
import assert from "node:assert/strict";
import { launchChromium } from "../_browser.ts";
import { missing } from "../_tools.ts";
import { switchedStream } from "./_media.ts";
import {
  pageServer,
  playedBetween,
  type PlayerState,
  publishRealtime,
  START_PLAYER,
  startOrigin,
} from "./_origin.ts";

const FIRST = { width: 320, height: 240, fps: 30, seconds: 5 };
const SECOND = { width: 640, height: 360, fps: 60, seconds: 5, toneHz: 880 };

for (const format of ["fmp4", "ts"] as const) {
  Deno.test({
    name:
      `codec switch 320x240@30 → 640x360@60 in one publish (${format}): Shaka Player and hls.js play through it`,
    ignore: missing("ffmpeg", "chromium"),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const { frames } = await switchedStream(FIRST, SECOND);
      await using origin = await startOrigin({ hls: { format } });
      await using browser = await launchChromium();
      await using pages = pageServer(origin.httpUrl);
      const players = await Promise.all(
        (["shaka", "hlsjs"] as const).map(async (player) => {
          const page = await browser.newPage();
          await page.goto(pages.url);
          return { player, page };
        }),
      );
      const publishing = publishRealtime(origin.rtmpUrl, "switch", frames);
      const url = `${origin.httpUrl}/live/switch/index.m3u8`;
      while (true) {
        const text = await (await fetch(url)).text();
        if ((text.match(/#EXTINF/g)?.length ?? 0) >= 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(players.map(({ player, page }) =>
        page.evaluate(
          `(${START_PLAYER})(${
            JSON.stringify({
              player,
              url: "/live/switch/index.m3u8",
              lowLatency: false,
            })
          })`,
        )
      ));
      await publishing;
      // Let the players drain what is listed (ENDLIST after the publish):
      // until each played 3 s and showed the new size (bounded).
      const deadline = Date.now() + 25_000; // a loaded machine lags players
      while (Date.now() < deadline) {
        const states = await Promise.all(
          players.map(({ page }) =>
            page.evaluate("window.playerState") as Promise<PlayerState>
          ),
        );
        if (
          states.every((s) =>
            playedBetween(s, 0, Infinity) >= 3 &&
            s.sizes.some((size) => size.startsWith("640x"))
          )
        ) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const playlist = await (await fetch(url)).text();
      assert.match(playlist, /#EXT-X-DISCONTINUITY/);
      if (format === "fmp4") assert.match(playlist, /init1\.mp4/);
      for (const { player, page } of players) {
        const state = await page.evaluate("window.playerState") as PlayerState;
        assert.deepEqual(
          state.errors.filter((e) => !/sev 1$/.test(e)),
          [],
          `${player} errors`,
        );
        // The new picture reached the screen. (Shaka's TS transmuxer shows
        // it as 640x480: it keeps the first init's aspect; fMP4 and hls.js
        // show 640x360.)
        assert.ok(
          state.sizes.some((size) => size.startsWith("640x")),
          `${player} showed ${state.sizes.join(" → ")}`,
        );
        if (format === "fmp4" || player === "hlsjs") {
          assert.ok(state.sizes.includes("640x360"), state.sizes.join(" → "));
        }
        // Joined ~2 s in, the switch at 5 s, 10 s in all: >= 3 s played
        // means it played well past the switch.
        const played = playedBetween(state, 0, Infinity);
        assert.ok(played >= 3, `${player} played ${played.toFixed(2)} s`);
      }
    },
  });
}
