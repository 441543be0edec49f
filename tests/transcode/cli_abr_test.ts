// The CLI with an ABR ladder, as a user runs it: `cli.ts --abr 240p,180p`
// (permission scoped: --allow-run=ffmpeg), ffmpeg publishing 640x360 over
// RTMP: /live/cam/index.m3u8 is the multivariant playlist from its first
// answer on (never the media playlist first: the first request is held
// while the renditions start) and lists the source and both renditions,
// /api/transcode lists both ffmpeg jobs with progress, the thumbnail route
// answers a JPEG; a bad ladder is a usage error.
import assert from "node:assert/strict";
import HLS from "hls-parser";
import { parseOriginArgs, UsageError } from "../../cli/options.ts";
import { missing, spawnLogged, tempDir } from "../_tools.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("cli: --abr parses a ladder, --transcode-max a cap, --abr-output the ladder's write mode", () => {
  const o = parseOriginArgs([
    "--abr",
    "480p@800k,240p",
    "--transcode-max",
    "3",
  ]);
  assert.deepEqual(o.abr, [
    { name: "480p", height: 480, videoBitrate: 800_000 },
    { name: "240p", height: 240 },
  ]);
  assert.equal(o.transcodeMax, 3);
  assert.equal(parseOriginArgs([]).abr, null);
  assert.throws(() => parseOriginArgs(["--abr", "480"]), UsageError);
  assert.throws(() => parseOriginArgs(["--transcode-max", "0"]), UsageError);
  assert.equal(parseOriginArgs([]).abrOutput, undefined); // the service picks
  assert.equal(
    parseOriginArgs(["--abr-output", "ticked"]).abrOutput,
    "ticked",
  );
  assert.equal(
    parseOriginArgs(["--abr-output", "buffered"]).abrOutput,
    "buffered",
  );
  assert.throws(
    () => parseOriginArgs(["--abr-output", "lazy"]),
    (e: unknown) =>
      e instanceof UsageError && /--abr-output lazy/.test(e.message),
  );
});

Deno.test({
  name:
    "cli: --abr 240p,180p → index.m3u8 is a multivariant playlist with 3 variants, /api/transcode, thumbnail.jpg",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-cli-abr-");
  const origin = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    `--allow-read=${ROOT},${dir.path}`,
    `--allow-write=${dir.path}`,
    "--allow-run=ffmpeg",
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
    "--abr",
    "240p,180p",
    "--transcode-max",
    "2",
  ], dir.path);
  let ffmpeg: Deno.ChildProcess | undefined;
  try {
    const rtmpPort =
      (await origin.waitFor(/rtmp:\/\/[^:]+:(\d+)\//, 30_000))[1];
    const httpPort =
      (await origin.waitFor(/dashboard\s+http:\/\/[^:]+:(\d+)\//, 30_000))[1];
    const base = `http://127.0.0.1:${httpPort}`;
    ffmpeg = new Deno.Command("ffmpeg", {
      args: [
        "-v",
        "error",
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
        "-t",
        "40",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-f",
        "flv",
        `rtmp://127.0.0.1:${rtmpPort}/live/cam`,
      ],
      stdout: "null",
      stderr: "null",
      stdin: "null",
    }).spawn();
    const deadline = Date.now() + 40_000;
    let master: HLS.types.MasterPlaylist | undefined;
    const counts: number[] = []; // variants of every 200 answer
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/live/cam/index.m3u8`).catch(() =>
        undefined
      );
      const text = res ? await res.text() : "";
      if (res?.ok) {
        const parsed = HLS.parse(text);
        assert.ok(parsed.isMasterPlaylist, `media playlist first:\n${text}`);
        counts.push((parsed as HLS.types.MasterPlaylist).variants.length);
        if (
          parsed.isMasterPlaylist &&
          (parsed as HLS.types.MasterPlaylist).variants.length === 3
        ) {
          master = parsed as HLS.types.MasterPlaylist;
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(
      master,
      `no 3-variant master playlist; origin said:\n${origin.out}\n${origin.err}`,
    );
    assert.deepEqual(master.variants.map((v) => v.resolution?.height), [
      360,
      240,
      180,
    ]);
    assert.equal(master.variants[0]!.uri, "source.m3u8");
    // The first answer was held until both renditions had a segment.
    assert.equal(counts[0], 3, `variants per answer: ${counts}`);
    const media = HLS.parse(
      await (await fetch(`${base}/live/cam/source.m3u8`)).text(),
    );
    assert.ok(!media.isMasterPlaylist);
    const api = await (await fetch(`${base}/api/transcode`)).json();
    assert.deepEqual(
      api.transcoders.map((t: { key: string }) => t.key).sort(),
      ["live/cam~180p", "live/cam~240p"],
    );
    const thumb = await fetch(`${base}/live/cam/thumbnail.jpg`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get("content-type"), "image/jpeg");
    assert.ok((await thumb.arrayBuffer()).byteLength > 1000);
  } finally {
    try {
      ffmpeg?.kill("SIGKILL");
    } catch { /* gone */ }
    await ffmpeg?.status;
    await origin.stop("SIGINT");
  }
});
