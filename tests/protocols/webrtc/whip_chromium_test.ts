// Chromium (fake camera + mic) publishes over WHIP from a page of another
// origin (CORS preflight), and ffprobe decodes the stream over HTTP-FLV from
// the same origin's HTTP handler: H.264 video; through the transcoder's
// Opus → AAC bridge (`live/whip~aac`), H.264 + AAC.
import assert from "node:assert/strict";
import { ffprobe, missing } from "../../_tools.ts";
import { launchFakeMediaChromium } from "./_chromium.ts";
import { startWebRtcOrigin, until } from "./_origin.ts";
import { servePage, WHIP_PAGE } from "./_pages.ts";
import { Engine } from "../../../src/mod.ts";
import { MpegTsDemuxer } from "../../../media/mpegts/mod.ts";
import { TranscodeService } from "../../../transcode/mod.ts";

Deno.test({
  name:
    "whip: Chromium publishes H.264 over WHIP cross-origin; ffprobe reads it over HTTP-FLV",
  ignore: missing("ffmpeg", "ffprobe", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using engine = Engine.builder().build();
    await using service = new TranscodeService({
      host: engine,
      createTsReader: () => new MpegTsDemuxer(),
    });
    await using origin = await startWebRtcOrigin({ engine });
    await using page0 = servePage(WHIP_PAGE);
    await using browser = await launchFakeMediaChromium();
    // A WHIP client retries a session that does not connect (OBS does):
    // under a loaded parallel test run ICE sometimes never completes once.
    let page = await browser.newPage();
    let location = "";
    for (let attempt = 1;; attempt++) {
      await page.goto(page0.url);
      const r = await page.evaluate(
        (url) =>
          (globalThis as unknown as {
            publish(u: string): Promise<Record<string, string>>;
          }).publish(url),
        `${origin.base}/live/whip/whip`,
      );
      assert.equal(Number(r.status), 201, `${r.body}\noffer:\n${r.offer}`);
      assert.match(String(r.location), /^\/live\/whip\/whip\//);
      location = String(r.location);
      try {
        await until(
          () => (origin.engine.getStream("live/whip")?.gopCache.hasVideo ??
            false),
          15_000,
          "a WHIP keyframe",
        );
        break;
      } catch (e) {
        const sent = await page.evaluate(() =>
          (globalThis as unknown as {
            sent(): Promise<Record<string, unknown>>;
          }).sent()
        );
        const why = `${e}: browser ${JSON.stringify(sent)}, sessions ${
          JSON.stringify(origin.webrtc.sessions())
        }\nanswer:\n${r.body}`;
        if (attempt >= 2) throw new Error(why);
        // deno-lint-ignore no-console
        console.log(
          `WHIP attempt ${attempt} did not connect, retrying: ${why}`,
        );
        await page.close();
        page = await browser.newPage();
      }
    }
    const probe = await ffprobe(`${origin.base}/live/whip.flv`, [
      "-probesize",
      "400000",
      "-analyzeduration",
      "2000000",
    ]);
    const video = probe.streams.find((s) => s.codec_type === "video");
    assert.equal(video?.codec_name, "h264", JSON.stringify(probe.streams));
    assert.equal(video?.width, 640);
    const sent = await page.evaluate(() =>
      (globalThis as unknown as { sent(): Promise<Record<string, unknown>> })
        .sent()
    );
    // deno-lint-ignore no-console
    console.log(
      `WHIP: sent ${JSON.stringify(sent)}; streams ${
        JSON.stringify(probe.streams.map((s) => [s.codec_type, s.codec_name]))
      }; stats ${JSON.stringify(origin.webrtc.stats)}`,
    );
    await service.ensureAudio("live/whip", "aac");
    const bridged = await ffprobe(`${origin.base}/live/whip~aac.flv`, [
      "-probesize",
      "400000",
      "-analyzeduration",
      "2000000",
    ]);
    const codecs = bridged.streams.map((s) => s.codec_name).sort();
    assert.deepEqual(codecs, ["aac", "h264"], JSON.stringify(bridged.streams));
    // deno-lint-ignore no-console
    console.log(`WHIP → live/whip~aac over HTTP-FLV: ${codecs.join(" + ")}`);
    const del = await page.evaluate(
      async (url) => (await fetch(url, { method: "DELETE" })).status,
      `${origin.base}${location}`,
    );
    assert.equal(del, 200);
    await until(
      () => origin.engine.getStream("live/whip") === undefined,
      5_000,
      "the stream to end",
    );
  },
});
