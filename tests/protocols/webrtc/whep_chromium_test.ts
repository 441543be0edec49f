// Chromium plays an ffmpeg-RTMP-published H.264 (+AAC) stream over WHEP:
// the video advances (currentTime and framesDecoded grow), through the
// origin's shared UDP port, answered as DTLS server.
import assert from "node:assert/strict";
import { launchChromium } from "../../_browser.ts";
import { missing } from "../../_tools.ts";
import {
  publishRtmp,
  startWebRtcOrigin,
  stopProcess,
  until,
} from "./_origin.ts";
import { startWhep, viewerState } from "./_pages.ts";
import { Engine } from "../../../src/mod.ts";
import { MpegTsDemuxer } from "../../../media/mpegts/mod.ts";
import { TranscodeService } from "../../../transcode/mod.ts";

Deno.test({
  name: "whep: Chromium plays an RTMP-published H.264 stream over WHEP",
  ignore: missing("ffmpeg", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using origin = await startWebRtcOrigin();
    const ffmpeg = publishRtmp(`rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`);
    try {
      await until(
        () => origin.engine.getStream("live/cam") !== undefined,
        15_000,
        "the RTMP publish",
      );
      await until(
        () => (origin.engine.getStream("live/cam")?.gopCache.hasVideo ?? false),
        15_000,
        "a keyframe",
      );
      await using browser = await launchChromium();
      const page = await browser.newPage();
      const answer = await startWhep(page, `${origin.base}/live/cam/whep`);
      assert.equal(answer.status, 201, answer.body);
      assert.match(
        answer.location ?? "",
        /^\/live\/cam\/whep\/[A-Za-z0-9_-]+$/,
      );
      assert.match(answer.body, /a=setup:passive/);
      assert.match(answer.audio ?? "", /AAC source/); // no bridge configured: video only, said so
      assert.match(
        answer.body,
        new RegExp(`127\\.0\\.0\\.1 ${origin.udpPort} typ host`),
      );
      const deadline = Date.now() + 20_000;
      let state = await viewerState(page);
      while (
        Date.now() < deadline &&
        !(state.currentTime > 2 && state.framesDecoded > 30)
      ) {
        await page.waitForTimeout(250);
        state = await viewerState(page);
      }
      assert.ok(
        state.currentTime > 2,
        `currentTime ${state.currentTime} (${JSON.stringify(state)}) sessions ${
          JSON.stringify(origin.webrtc.sessions())
        } mux ${JSON.stringify(origin.webrtc.mux?.stats)} closed ${
          JSON.stringify(origin.webrtc.recentCloseReasons)
        }`,
      );
      assert.ok(state.framesDecoded > 30, JSON.stringify(state));
      // Chromium offers both SRTP profiles; we pick AES_CM_128_HMAC_SHA1_80
      // and send through our own transform (srtp_protect.ts), not werift's.
      const [session] = origin.webrtc.sessions();
      assert.equal(session?.stats.srtpDirect, 1, JSON.stringify(session));
      // With --allow-ffi (the test task grants it) the transform runs in
      // the system's libcrypto, and Chromium decodes what it protects.
      if (Deno.permissions.querySync({ name: "ffi" }).state === "granted") {
        assert.equal(session?.stats.srtpNative, 1, JSON.stringify(session));
      }
      // deno-lint-ignore no-console
      console.log(
        `WHEP viewer: ${JSON.stringify(state)}; stats ${
          JSON.stringify(origin.webrtc.stats)
        }`,
      );
      // DELETE ends the session.
      const del = await fetch(`${origin.base}${answer.location}`, {
        method: "DELETE",
      });
      assert.equal(del.status, 200);
      await del.body?.cancel();
      await until(
        () => origin.webrtc.stats.whepSessions === 0,
        5_000,
        "the session to end",
      );
    } finally {
      await stopProcess(ffmpeg);
    }
  },
});

Deno.test({
  name:
    "whep: an AAC source plays with Opus audio through the ~opus bridge (one per stream)",
  ignore: missing("ffmpeg", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using engine = Engine.builder().build();
    await using service = new TranscodeService({
      host: engine,
      createTsReader: () => new MpegTsDemuxer(),
    });
    await using origin = await startWebRtcOrigin({
      engine,
      webrtc: { ensureOpus: (key) => service.ensureAudio(key, "opus") },
    });
    const ffmpeg = publishRtmp(`rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`);
    try {
      await until(
        () => (origin.engine.getStream("live/cam")?.gopCache.hasVideo ?? false),
        15_000,
        "a keyframe",
      );
      await using browser = await launchChromium();
      const page = await browser.newPage();
      const answer = await startWhep(page, `${origin.base}/live/cam/whep`);
      assert.equal(answer.status, 201, answer.body);
      assert.equal(answer.playing, "live/cam~opus");
      assert.equal(answer.audio, null);
      assert.match(answer.body, /opus\/48000/i);
      const deadline = Date.now() + 20_000;
      let state = await viewerState(page);
      while (
        Date.now() < deadline &&
        !(state.framesDecoded > 30 && state.audioPackets > 50)
      ) {
        await page.waitForTimeout(250);
        state = await viewerState(page);
      }
      assert.ok(state.framesDecoded > 30, JSON.stringify(state));
      assert.ok(state.audioPackets > 50, JSON.stringify(state));
      // deno-lint-ignore no-console
      console.log(`WHEP via ~opus: ${JSON.stringify(state)}`);
    } finally {
      await stopProcess(ffmpeg);
    }
  },
});
