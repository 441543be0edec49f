// The CLI as a user runs it: a subprocess, ffmpeg publishing over RTMP, HTTP
// playback checked with ffprobe, then SIGINT and a check that the playlist is
// closed with EXT-X-ENDLIST and the recording is complete.
import assert from "node:assert/strict";
import { ffprobe, missing, run, spawnLogged, tempDir } from "../_tools.ts";
import { launchChromium } from "../_browser.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

async function poll<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

Deno.test({
  name:
    "cli: ffmpeg publishes over RTMP, HLS plays over HTTP, SIGINT ends the playlist and finalises the recording",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir();
  const origin = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    `--allow-read=${ROOT},${dir.path}`,
    `--allow-write=${dir.path}`,
    CLI,
    "--rtmp",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
    "--hls-dir",
    `${dir.path}/hls`,
    "--hls-format",
    "ts",
    "--segment",
    "1",
    "--record",
    `${dir.path}/rec`,
    "--record-format",
    "mp4",
    "--publish-token",
    "pub-secret",
  ], dir.path);
  let ffmpeg: Deno.ChildProcess | undefined;
  try {
    const rtmpPort = (await origin.waitFor(/rtmp:\/\/[^:]+:(\d+)\//))[1];
    const httpPort =
      (await origin.waitFor(/dashboard\s+http:\/\/[^:]+:(\d+)\//))[1];
    const base = `http://127.0.0.1:${httpPort}`;

    // A publish without the token is refused.
    const refused = await run("ffmpeg", [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x120:rate=25",
      "-t",
      "1",
      "-c:v",
      "libx264",
      "-f",
      "flv",
      `rtmp://127.0.0.1:${rtmpPort}/live/cam`,
    ], { timeoutMs: 20_000 });
    assert.notEqual(refused.code, 0, "publishing without the token must fail");

    ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "6",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-f",
        "flv",
        `rtmp://127.0.0.1:${rtmpPort}/live/cam?token=pub-secret`,
      ],
      stdout: "null",
      stderr: "piped",
      stdin: "null",
    }).spawn();

    // The stream shows up in the API with its codecs.
    const info = await poll("the stream in /api/streams", async () => {
      const body = await (await fetch(`${base}/api/streams`)).json() as {
        streams: Record<string, unknown>[];
      };
      return body.streams.find((s) => s.key === "live/cam" && s.video !== null);
    });
    assert.equal((info.video as { codec: string }).codec, "h264");

    // The playlist fills with segments; fetch one and probe it.
    const playlist = await poll("two HLS segments", async () => {
      const r = await fetch(`${base}/live/cam/index.m3u8`);
      const text = await r.text();
      return r.ok && (text.match(/^seg\d+\.ts$/gm) ?? []).length >= 2
        ? text
        : undefined;
    });
    const segment = playlist.match(/^(seg\d+\.ts)$/m)![1]!;
    const segResponse = await fetch(`${base}/live/cam/${segment}`);
    assert.equal(segResponse.status, 200);
    assert.equal(segResponse.headers.get("content-type"), "video/mp2t");
    const segPath = `${dir.path}/probe.ts`;
    await Deno.writeFile(
      segPath,
      new Uint8Array(await segResponse.arrayBuffer()),
    );
    const probe = await ffprobe(segPath);
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);
    assert.equal(probe.stderr, "");

    // HTTP-FLV plays too.
    const flv = await ffprobe(`${base}/live/cam.flv`);
    assert.deepEqual(flv.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);

    // Ctrl-C while the publisher is live.
    origin.child.kill("SIGINT");
    const status = await origin.done();
    assert.equal(status.code, 0, origin.err);
    assert.match(origin.out, /stopped/);

    const final = await Deno.readTextFile(
      `${dir.path}/hls/live/cam/index.m3u8`,
    );
    assert.match(final, /#EXT-X-ENDLIST\s*$/);
    const recordings = [...Deno.readDirSync(`${dir.path}/rec/live`)].map((e) =>
      e.name
    );
    assert.equal(recordings.length, 1);
    assert.match(recordings[0]!, /^cam-.*\.mp4$/);
    const rec = await ffprobe(`${dir.path}/rec/live/${recordings[0]}`);
    assert.deepEqual(rec.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);
    assert.equal(rec.stderr, "");
    assert.ok(
      Number(rec.format.duration) >= 1.5,
      `recording lasts ${rec.format.duration} s`,
    );
  } finally {
    try {
      ffmpeg?.kill("SIGKILL");
    } catch { /* already gone */ }
    await ffmpeg?.status;
    await ffmpeg?.stderr.cancel().catch(() => {});
    try {
      origin.child.kill("SIGKILL");
    } catch { /* already gone */ }
    await origin.done();
  }
});

Deno.test({
  name: "cli: --help prints usage and a bad flag exits 2 with a clear error",
  sanitizeResources: false,
}, async () => {
  const help = await run(Deno.execPath(), ["run", CLI, "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--rtmp HOST:PORT/);
  const bad = await run(Deno.execPath(), ["run", CLI, "--hls-format", "avi"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--hls-format avi/);
});

Deno.test({
  name:
    "cli: `deno task demo` publishes the sample clip live and its HLS playlist grows",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  // The task binds the documented default ports; skip locally when they are taken.
  for (const port of [1935, 8080]) {
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
    } catch {
      if (Deno.env.get("CI") === "true") {
        throw new Error(`Cannot run the demo test: port ${port} is in use`);
      }
      return;
    }
  }
  const demo = spawnLogged(Deno.execPath(), ["task", "demo"], ROOT);
  try {
    await demo.waitFor(/demo stream/);
    const base = "http://127.0.0.1:8080";
    const stream = await poll("live/demo in /api/streams", async () => {
      const body = await (await fetch(`${base}/api/streams`)).json() as {
        streams: Record<string, unknown>[];
      };
      return body.streams.find((s) =>
        s.key === "live/demo" && s.video !== null
      );
    });
    assert.equal((stream.video as { width: number }).width, 640);
    const count = async () =>
      ((await (await fetch(`${base}/live/demo/index.m3u8`)).text()).match(
        /^#EXTINF/gm,
      ) ?? []).length;
    const first = await poll(
      "a first segment",
      async () => ((await count()) >= 1 ? await count() : undefined),
    );
    const later = await poll("the playlist to grow", async () => {
      const n = await count();
      return n > first ? n : undefined;
    });
    assert.ok(later > first);

    // What a new user sees: the dashboard plays the demo on its own.
    if (!missing("chromium")) {
      await using browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      // 60 s: the parallel test pass can starve ffmpeg's live encode and
      // Chromium together; on failure say what the video element showed.
      await page.waitForFunction(
        () =>
          ((globalThis as unknown as {
            document: {
              querySelector(s: string): { currentTime: number } | null;
            };
          })
            .document.querySelector("video")?.currentTime ?? 0) > 3,
        null,
        {
          timeout: 60_000,
        },
      ).catch(async (e) => {
        const video = await page.evaluate(`(() => {
          const v = document.querySelector("video");
          return v ? { currentTime: v.currentTime, readyState: v.readyState,
            error: v.error?.message ?? null, src: v.currentSrc,
            status: document.getElementById("status")?.textContent ?? null,
            now: document.getElementById("now")?.textContent ?? null } : null;
        })()`);
        throw new Error(
          `dashboard video did not play 3 s: ${JSON.stringify(video)}`,
          { cause: e },
        );
      });
      const shown = await page.textContent("body");
      assert.match(shown ?? "", /live\/demo/);
    }
  } finally {
    demo.child.kill("SIGINT");
    const status = await demo.done();
    assert.equal(status.code, 0, demo.err);
    await Deno.remove(`${ROOT}/hls/live/demo`, { recursive: true }).catch(
      () => {},
    );
  }
});
