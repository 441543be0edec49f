// Interop: Chromium's Media Source Extensions accept Fmp4Muxer output. The
// page checks MediaSource.isTypeSupported(muxer.codecs), appends the init
// segment and every fragment to one SourceBuffer, and plays it muted.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { launchChromium } from "../../_browser.ts";
import { missing, tempDir } from "../../_tools.ts";
import { muxFragments } from "./_fragmenter.ts";
import { ffmpegFrames } from "./_mp4_source.ts";

const SOURCE = [
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=320x240:rate=30",
  "-f",
  "lavfi",
  "-i",
  "sine=frequency=440:sample_rate=48000",
  "-t",
  "2",
  "-pix_fmt",
  "yuv420p",
];

/** What the page reports back. */
interface MseResult {
  supported: boolean;
  errors: string[];
  buffered: [number, number][];
  played: number;
}

/**
 * Runs in the page (plain JavaScript: this file is type-checked without the
 * DOM lib): append every segment, then play muted until `playUntil` seconds.
 */
const APPEND_AND_PLAY = `async ({ mime, segments, playUntil }) => {
  const errors = [];
  const supported = MediaSource.isTypeSupported(mime);
  if (!supported) return { supported, errors, buffered: [], played: 0 };
  const video = document.createElement("video");
  video.muted = true;
  document.body.appendChild(video);
  video.addEventListener("error", () => errors.push("video error " + video.error?.code + " " + video.error?.message));
  const source = new MediaSource();
  video.src = URL.createObjectURL(source);
  await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
  const buffer = source.addSourceBuffer(mime);
  buffer.addEventListener("error", () => errors.push("sourcebuffer error"));
  for (const segment of segments) {
    buffer.appendBuffer(Uint8Array.from(atob(segment), (c) => c.charCodeAt(0)));
    await new Promise((resolve) => buffer.addEventListener("updateend", resolve, { once: true }));
    if (errors.length > 0) break;
  }
  const buffered = [];
  for (let i = 0; errors.length === 0 && i < buffer.buffered.length; i++) {
    buffered.push([buffer.buffered.start(i), buffer.buffered.end(i)]);
  }
  if (errors.length === 0) source.endOfStream();
  await video.play().catch((e) => errors.push("play: " + e));
  const deadline = performance.now() + 8000;
  while (video.currentTime < playUntil && !video.ended && performance.now() < deadline && errors.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const result = { supported, errors, buffered, played: video.currentTime };
  video.remove();
  return result;
}`;

const CASES = [
  {
    name: "H.264 + AAC",
    encode: ["-c:v", "libx264", "-bf", "2", "-g", "30", "-c:a", "aac"],
  },
  {
    name: "VP9 + Opus",
    encode: [
      "-c:v",
      "libvpx-vp9",
      "-deadline",
      "realtime",
      "-cpu-used",
      "8",
      "-g",
      "30",
      "-c:a",
      "libopus",
    ],
  },
  {
    name: "AV1 + Opus",
    encode: [
      "-c:v",
      "libaom-av1",
      "-cpu-used",
      "8",
      "-usage",
      "realtime",
      "-g",
      "30",
      "-c:a",
      "libopus",
    ],
  },
];

Deno.test({
  name:
    "Chromium MSE accepts and plays Fmp4Muxer init + fragments (H.264/AAC, VP9/Opus, AV1/Opus)",
  ignore: missing("ffmpeg", "chromium"),
  async fn(t) {
    await using dir = await tempDir("arcly-fmp4-mse-");
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.setContent("<!doctype html><body></body>");
    for (const c of CASES) {
      await t.step(c.name, async () => {
        const frames = await ffmpegFrames(
          [...SOURCE, ...c.encode],
          join(dir.path, "src.mp4"),
          {
            milliseconds: true,
          },
        );
        const { muxer, init, fragments } = muxFragments(frames, 1000);
        const mime = `video/mp4; codecs="${muxer.codecs}"`;
        const arg = {
          mime,
          segments: [init, ...fragments].map((b) =>
            Buffer.from(b).toString("base64")
          ),
          playUntil: 1,
        };
        const result = await page.evaluate(
          `(${APPEND_AND_PLAY})(${JSON.stringify(arg)})`,
        ) as MseResult;
        assert.ok(result.supported, `isTypeSupported(${mime})`);
        assert.deepEqual(result.errors, []);
        assert.equal(
          result.buffered.length,
          1,
          `one buffered range: ${JSON.stringify(result.buffered)}`,
        );
        assert.ok(
          result.buffered[0]![1] > 1.9,
          `buffered to ${result.buffered[0]![1]}`,
        );
        assert.ok(result.played >= 1, `played to ${result.played}`);
      });
    }
    await page.close();
  },
});
