// Issue 20, fault 1: a publisher that drops for 1.5 s and comes back must
// not end any HLS player. With a publisher grace period the live playlist
// never gets EXT-X-ENDLIST during the gap; ffmpeg's HLS client and Shaka
// Player (fMP4) / hls.js (TS) keep playing after it; once the publisher
// leaves for good, ENDLIST is written after the grace, once, never removed.
import assert from "node:assert/strict";
import { launchChromium } from "../_browser.ts";
import { missing, spawnLogged } from "../_tools.ts";
import { encodeClip } from "./_media.ts";
import {
  pageServer,
  playedBetween,
  type PlayerState,
  PlaylistWatcher,
  publishRealtime,
  START_PLAYER,
  startOrigin,
} from "./_origin.ts";

const GRACE_MS = 3_000;
const GAP_MS = 1_500;
const CLIP = { width: 320, height: 240, fps: 30, seconds: 4 };

for (
  const [format, player] of [["fmp4", "shaka"], ["ts", "hlsjs"]] as const
) {
  Deno.test({
    name:
      `publisher drop of 1.5 s (${format}): no ENDLIST during the gap, ffmpeg's HLS client and ${player} play on; ENDLIST once after the grace`,
    ignore: missing("ffmpeg", "chromium"),
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const frames = await encodeClip(CLIP);
      await using origin = await startOrigin({
        app: { publisherGraceMs: GRACE_MS },
        hls: { format },
      });
      const url = `${origin.httpUrl}/live/drop/index.m3u8`;
      // The browser first: launching it takes seconds on a loaded machine.
      await using browser = await launchChromium();
      await using pages = pageServer(origin.httpUrl);
      const page = await browser.newPage();
      await page.goto(pages.url);
      const pageNow = () =>
        page.evaluate("performance.now()") as Promise<number>;

      // The publisher: a session, a drop (no unpublish), a 1.5 s gap, the
      // same encoder again on a new connection, then a clean unpublish.
      const times = { droppedAt: 0, resumedAt: 0, pageResumedAt: 0 };
      const session = (async () => {
        await publishRealtime(origin.rtmpUrl, "drop", frames, { drop: true });
        times.droppedAt = performance.now();
        await new Promise((r) => setTimeout(r, GAP_MS));
        times.resumedAt = performance.now();
        times.pageResumedAt = await pageNow();
        await publishRealtime(origin.rtmpUrl, "drop", frames);
      })();
      const watcher = new PlaylistWatcher(url);
      // Join once two segments are listed.
      while (
        (watcher.seen.at(-1)?.text.match(/#EXTINF/g)?.length ?? 0) < 2
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const ffmpeg = spawnLogged("ffmpeg", [
        "-v",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        "-i",
        url,
        "-f",
        "null",
        "-",
      ], Deno.cwd());
      let ffmpegExitAt = 0;
      const ffmpegDone = ffmpeg.child.status.then((s) => {
        ffmpegExitAt = performance.now();
        return s;
      });
      await page.evaluate(
        `(${START_PLAYER})(${
          JSON.stringify({
            player,
            url: "/live/drop/index.m3u8",
            lowLatency: false,
          })
        })`,
      );
      await session;
      const leftAt = performance.now();
      const pageLeftAt = await pageNow();
      const { droppedAt, resumedAt, pageResumedAt } = times;

      const status = await Promise.race([
        ffmpegDone,
        new Promise<null>((r) => setTimeout(() => r(null), GRACE_MS + 8_000)),
      ]);
      await ffmpeg.stop("SIGKILL");
      await new Promise((r) => setTimeout(r, 300));
      await watcher.stop();
      const state = await page.evaluate("window.playerState") as PlayerState;

      // The playlist: no ENDLIST before the publisher left for good plus
      // the grace; then ENDLIST, never removed.
      const endedAt = watcher.endedAt;
      assert.ok(endedAt !== undefined, "ENDLIST after the grace");
      assert.ok(
        endedAt >= leftAt + GRACE_MS - 300,
        `ENDLIST ${Math.round(endedAt - droppedAt)} ms after the drop, ${
          Math.round(endedAt - leftAt)
        } ms after the final leave`,
      );
      assert.equal(watcher.endlistRemoved, false, "ENDLIST never removed");
      const last = watcher.seen.at(-1)!.text;
      assert.equal(last.match(/#EXT-X-ENDLIST/g)?.length, 1);
      assert.match(last, /#EXT-X-DISCONTINUITY/, "the republish is marked");

      // ffmpeg's HLS client: still running after the gap, read the second
      // session, then ended cleanly with the playlist.
      assert.ok(status !== null, "ffmpeg ended after ENDLIST");
      assert.equal(status.code, 0, ffmpeg.err);
      assert.ok(
        ffmpegExitAt > resumedAt + 3_000,
        `ffmpeg exited ${
          Math.round(ffmpegExitAt - droppedAt)
        } ms after the drop`,
      );
      const decoded = Math.max(
        ...[...ffmpeg.out.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1])),
      );
      assert.ok(decoded > 120, `ffmpeg decoded ${decoded} video frames`);
      const errors = ffmpeg.err.split("\n").filter((l) =>
        l.trim() !== "" && !l.startsWith("[null @")
      );
      assert.deepEqual(errors, [], "ffmpeg -v error output");

      // The browser player: no fatal error, not ended during the gap, and
      // it played the second session.
      const distinct = watcher.seen.map((s) => s.text).filter((t, i, all) =>
        t !== all[i - 1]
      );
      assert.deepEqual(
        state.errors.filter((e) => !/sev 1$/.test(e)),
        [],
        `${player} errors; the playlists seen:\n${distinct.join("\n---\n")}`,
      );
      // Players run a few segments behind live (and wait out the filler's
      // missing audio): count until the grace ends, when ENDLIST comes.
      const played = playedBetween(
        state,
        pageResumedAt,
        pageLeftAt + GRACE_MS,
      );
      assert.ok(
        played >= 2,
        `${player} played ${played.toFixed(2)} s after the republish`,
      );
    },
  });
}

Deno.test({
  name:
    "publisher drop of 1.5 s: ffmpeg as RTMP and as HTTP-FLV viewer waits through the gap and reads the republished session to the end",
  ignore: missing("ffmpeg"),
  async fn() {
    const frames = await encodeClip({ ...CLIP, seconds: 3 }); // 90 video frames
    await using origin = await startOrigin({
      app: { publisherGraceMs: GRACE_MS },
    });
    const first = publishRealtime(origin.rtmpUrl, "both", frames, {
      drop: true,
    });
    while (origin.engine.getStream("live/both") === undefined) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const viewers = {
      rtmp: `${origin.rtmpUrl}/both`,
      "http-flv": `${origin.httpUrl}/live/both.flv`,
    };
    const running = Object.entries(viewers).map(([name, url]) => ({
      name,
      ffmpeg: spawnLogged("ffmpeg", [
        "-v",
        "error",
        "-nostats",
        "-progress",
        "pipe:1",
        "-i",
        url,
        "-f",
        "null",
        "-",
      ], Deno.cwd()),
    }));
    await first;
    await new Promise((r) => setTimeout(r, GAP_MS));
    assert.ok(origin.engine.getStream("live/both"), "open during the gap");
    await publishRealtime(origin.rtmpUrl, "both", frames);
    for (const { name, ffmpeg } of running) {
      const status = await Promise.race([
        ffmpeg.done(),
        new Promise<null>((r) => setTimeout(() => r(null), GRACE_MS + 8_000)),
      ]);
      if (status === null) await ffmpeg.stop("SIGKILL");
      assert.ok(status !== null, `${name}: ffmpeg ended with the stream`);
      assert.equal(status.code, 0, `${name}: ${ffmpeg.err}`);
      const decoded = Math.max(
        ...[...ffmpeg.out.matchAll(/^frame=(\d+)$/gm)].map((m) => Number(m[1])),
      );
      assert.ok(decoded > 100, `${name}: decoded ${decoded} frames of 2 × 90`);
      const errors = ffmpeg.err.split("\n").filter((l) =>
        l.trim() !== "" && !l.startsWith("[null @")
      );
      assert.deepEqual(errors, [], `${name}: ffmpeg -v error output`);
    }
  },
});
