// ABR over HLS end to end: a 720p source with a 480p,240p ladder, packaged
// (LL-HLS, TS) by HlsPackaging and served by createHttpApp with the
// ABR-aware packagers (AbrPlaylists.wrap). Checked: the multivariant
// playlist parses with hls-parser and lists 3 variants at their
// resolutions in one audio group; a rendition's LL-HLS playlist carries
// EXT-X-RENDITION-REPORTs; the same media sequence number starts at the
// same PTS in every variant (ffprobe on the segments); hls.js in Chromium
// plays the master playlist with 3 levels, its ABR controller moves down to
// 240p under CDP network throttling (the level it loads next) and back up
// once it is lifted (hls.js in its plain HLS mode:
// with lowLatencyMode its bandwidth estimate from 1/3 s parts stayed too low
// to switch back up within 30 s).
import assert from "node:assert/strict";
import HLS from "hls-parser";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { HlsPackaging } from "../../pipelines/hls_packaging.ts";
import { createHttpApp } from "../../protocols/http/mod.ts";
import { Engine } from "../../src/mod.ts";
import {
  AbrPlaylists,
  parseLadder,
  TranscodeService,
} from "../../transcode/mod.ts";
import { launchChromium, nodeModuleFile } from "../_browser.ts";
import { missing, run, tempDir } from "../_tools.ts";
import { publishPaced, sourceFrames, until } from "./_source.ts";

const PAGE =
  `<!doctype html><html><body><video muted autoplay playsinline></video>
<script src="/hls.js"></script><script>
const video = document.querySelector("video");
const hls = new Hls({ lowLatencyMode: false, abrEwmaDefaultEstimate: 5e6, capLevelToPlayerSize: false });
window.arcly = { hls, levels: [], switches: [], error: null };
hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => { arcly.levels = d.levels.map((l) => l.height); });
hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => arcly.switches.push(hls.levels[d.level].height));
hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) arcly.error = d.details; });
hls.loadSource("/live/cam/master.m3u8");
hls.attachMedia(video);
video.play().catch(() => {});
</script></body></html>`;

async function firstVideoPts(path: string): Promise<number> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "packet=pts",
    "-read_intervals",
    "%+#50",
    "-of",
    "csv=p=0",
    path,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const first = r.stdout.split("\n").map((l) => l.replace(/,$/, "").trim())
    .find((l) => /^\d+$/.test(l));
  return Number(first);
}

Deno.test({
  name:
    "transcode: ABR ladder over HLS: multivariant playlist (hls-parser, 3 variants), aligned PTS per MSN, hls.js switches down and up",
  ignore: missing("ffmpeg", "ffprobe", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-abr-hls-");
  const frames = await sourceFrames(dir.path, { seconds: 60 });
  await using engine = Engine.builder().build();
  const storage = new MemoryStorage();
  await using packaging = new HlsPackaging({
    engine,
    storage,
    format: "ts",
    targetDurationMs: 1000,
  });
  await using service = new TranscodeService({
    host: engine,
    ladders: { live: parseLadder("480p,240p") },
    preset: "ultrafast",
  });
  const abr = new AbrPlaylists({ host: engine, service });
  const app = createHttpApp(engine, { storage, hls: abr.wrap(packaging) });
  const hlsJs = await Deno.readFile(nodeModuleFile("hls.js/dist/hls.min.js"));
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/") {
      return new Response(PAGE, { headers: { "content-type": "text/html" } });
    }
    if (path === "/hls.js") {
      return new Response(hlsJs, {
        headers: { "content-type": "text/javascript" },
      });
    }
    return app.fetch(req);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const stop = new AbortController();
  const publishing = publishPaced(engine, "live/cam", frames, {
    signal: stop.signal,
  });
  try {
    // Wait for every variant to have a few segments.
    await until(
      () =>
        ["live/cam", "live/cam~480p", "live/cam~240p"].every((k) =>
          (packaging.segmenter(k)?.lastSegment()?.msn ?? -1) >= 2
        ),
      30_000,
    );

    // The multivariant playlist.
    const masterText = await (await fetch(`${base}/live/cam/master.m3u8`))
      .text();
    const master = HLS.parse(masterText) as HLS.types.MasterPlaylist;
    assert.ok(master.isMasterPlaylist, masterText);
    assert.equal(master.variants.length, 3, masterText);
    assert.deepEqual(
      master.variants.map((v) =>
        `${v.resolution?.width}x${v.resolution?.height}`
      ),
      ["1280x720", "854x480", "426x240"],
    );
    for (const v of master.variants) {
      assert.ok(
        v.bandwidth > 0 && v.codecs?.startsWith("avc1.") &&
          v.codecs.includes("mp4a.40.2"),
        masterText,
      );
      assert.ok(v.averageBandwidth && v.averageBandwidth > 0, masterText);
      assert.ok(v.frameRate && Math.abs(v.frameRate - 25) < 0.5, masterText);
      assert.equal(v.audio.length, 1, masterText);
    }
    assert.deepEqual(master.variants.map((v) => v.uri), [
      "index.m3u8?variant=source",
      "../cam~480p/index.m3u8",
      "../cam~240p/index.m3u8",
    ]);

    // LL-HLS rendition reports in a variant's media playlist.
    const variantText = await (await fetch(`${base}/live/cam~480p/index.m3u8`))
      .text();
    assert.match(
      variantText,
      /#EXT-X-RENDITION-REPORT:URI="\.\.\/cam\/index\.m3u8\?variant=source",LAST-MSN=\d+/,
    );
    assert.match(
      variantText,
      /#EXT-X-RENDITION-REPORT:URI="\.\.\/cam~240p\/index\.m3u8",LAST-MSN=\d+/,
    );

    // The same MSN starts at the same PTS in every variant.
    const msn = Math.min(
      ...["live/cam", "live/cam~480p", "live/cam~240p"].map((k) =>
        packaging.segmenter(k)!.lastSegment()!.msn
      ),
    );
    const pts: number[] = [];
    for (const k of ["live/cam", "live/cam~480p", "live/cam~240p"]) {
      const bytes = await storage.get(`${k}/seg${msn}.ts`);
      assert.ok(bytes, `${k}/seg${msn}.ts`);
      const path = `${dir.path}/${k.replace("/", "_")}_${msn}.ts`;
      await Deno.writeFile(path, bytes);
      pts.push(await firstVideoPts(path));
    }
    assert.equal(new Set(pts).size, 1, `first PTS of seg${msn}: ${pts}`);

    // hls.js in Chromium: 3 levels, plays, down under throttling, back up.
    await using browser = await launchChromium();
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Network.enable");
    await page.goto(`${base}/`);
    type G = {
      arcly: {
        levels: number[];
        switches: number[];
        error: string | null;
        hls: { levels: { height: number }[]; nextLoadLevel: number };
      };
    };
    const state = () =>
      page.evaluate(() => {
        const a = (globalThis as unknown as G).arcly;
        const level = a.hls.levels[a.hls.nextLoadLevel];
        return {
          levels: a.levels,
          switches: a.switches,
          loading: level?.height ?? 0,
          error: a.error,
        };
      });
    const time = () =>
      page.evaluate(() =>
        (globalThis as unknown as {
          document: { querySelector(s: string): { currentTime: number } };
        })
          .document.querySelector("video").currentTime
      );
    await until(async () => (await time()) > 2 || null, 25_000).catch(
      async () => {
        throw new Error(`not playing: ${JSON.stringify(await state())}`);
      },
    );
    assert.deepEqual((await state()).levels.sort((a, b) => a - b), [
      240,
      480,
      720,
    ]);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 50,
      downloadThroughput: 90_000,
      uploadThroughput: 1_000_000,
    });
    await until(
      async () => (await state()).loading === 240 || null,
      25_000,
    ).catch(async () => {
      throw new Error(`no switch down: ${JSON.stringify(await state())}`);
    });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const lifted = (await state()).switches.length;
    await until(
      async () => {
        const now = await state();
        return now.loading > 240 || now.switches.slice(lifted).some((h) =>
          h > 240
        ) || null;
      },
      30_000,
    ).catch(async () => {
      throw new Error(`no switch up: ${JSON.stringify(await state())}`);
    });
    const final = await state();
    assert.equal(final.error, null);
    // deno-lint-ignore no-console -- the switch sequence is this test's report
    console.log(`hls.js levels ${final.levels}, switches ${final.switches}`);
  } finally {
    stop.abort();
    await publishing;
  }
});
