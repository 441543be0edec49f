// ABR over HLS end to end: a 720p source with a 480p,240p ladder, packaged
// (LL-HLS, TS) by HlsPackaging and served by createHttpApp with the
// ABR-aware packagers (AbrPlaylists.wrap). Checked: /live/cam/index.m3u8 IS
// the multivariant playlist (master.m3u8 an alias): it parses with
// hls-parser and lists 3 variants at their resolutions in one audio group,
// the source's media playlist at source.m3u8; a rendition's LL-HLS playlist
// carries EXT-X-RENDITION-REPORTs; each variant's segment probes at its
// resolution and the same media sequence number starts at the same PTS in
// every variant (ffprobe on the segments); hls.js in Chromium plays
// index.m3u8 with 3 levels, its ABR controller moves down to
// 240p under CDP network throttling (a 240p fragment is loaded) and back
// up (a higher fragment is loaded) once it is lifted (hls.js in its plain HLS mode:
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
window.arcly = { hls, levels: [], switches: [], frags: [], error: null };
hls.on(Hls.Events.MANIFEST_PARSED, (_, d) => { arcly.levels = d.levels.map((l) => l.height); });
hls.on(Hls.Events.LEVEL_SWITCHED, (_, d) => arcly.switches.push(hls.levels[d.level].height));
hls.on(Hls.Events.FRAG_LOADED, (_, d) => arcly.frags.push(hls.levels[d.frag.level].height));
hls.on(Hls.Events.ERROR, (_, d) => { if (d.fatal) arcly.error = d.details; });
hls.loadSource("/live/cam/index.m3u8");
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

async function videoSize(path: string): Promise<string> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=width,height",
    "-of",
    "csv=p=0:s=x",
    path,
  ]);
  assert.equal(r.code, 0, r.stderr);
  // A TS file lists the stream under its program too: the first line.
  return r.stdout.split("\n").map((l) => l.trim()).find((l) => l) ?? "";
}

Deno.test({
  name:
    "transcode: ABR ladder over HLS: index.m3u8 is the multivariant playlist (hls-parser, 3 variants), segments at each size, aligned PTS per MSN, hls.js switches down and up",
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

    // index.m3u8 is the multivariant playlist.
    const masterText = await (await fetch(`${base}/live/cam/index.m3u8`))
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
      "source.m3u8",
      "../cam~480p/index.m3u8",
      "../cam~240p/index.m3u8",
    ]);
    // master.m3u8 is an alias; source.m3u8 (and index.m3u8 with LL-HLS
    // directives or the older ?variant=source) is the source's media playlist.
    const alias = HLS.parse(
      await (await fetch(`${base}/live/cam/master.m3u8`)).text(),
    ) as HLS.types.MasterPlaylist;
    assert.ok(alias.isMasterPlaylist && alias.variants.length === 3);
    for (
      const uri of [
        "source.m3u8",
        "index.m3u8?variant=source",
        `index.m3u8?_HLS_msn=${
          packaging.segmenter("live/cam")!.lastSegment()!.msn
        }`,
      ]
    ) {
      const text = await (await fetch(`${base}/live/cam/${uri}`)).text();
      const media = HLS.parse(text) as HLS.types.MediaPlaylist;
      assert.ok(!media.isMasterPlaylist && media.segments.length > 0, uri);
    }

    // LL-HLS rendition reports in a variant's media playlist.
    const variantText = await (await fetch(`${base}/live/cam~480p/index.m3u8`))
      .text();
    assert.match(
      variantText,
      /#EXT-X-RENDITION-REPORT:URI="\.\.\/cam\/source\.m3u8",LAST-MSN=\d+/,
    );
    assert.match(
      variantText,
      /#EXT-X-RENDITION-REPORT:URI="\.\.\/cam~240p\/index\.m3u8",LAST-MSN=\d+/,
    );

    // Each variant's segments are at its resolution; the same MSN starts
    // at the same PTS in every variant.
    const msn = Math.min(
      ...["live/cam", "live/cam~480p", "live/cam~240p"].map((k) =>
        packaging.segmenter(k)!.lastSegment()!.msn
      ),
    );
    const pts: number[] = [];
    const sizes: string[] = [];
    for (const k of ["live/cam", "live/cam~480p", "live/cam~240p"]) {
      const bytes = await storage.get(`${k}/seg${msn}.ts`);
      assert.ok(bytes, `${k}/seg${msn}.ts`);
      const path = `${dir.path}/${k.replace("/", "_")}_${msn}.ts`;
      await Deno.writeFile(path, bytes);
      pts.push(await firstVideoPts(path));
      sizes.push(await videoSize(path));
    }
    assert.deepEqual(sizes, ["1280x720", "854x480", "426x240"]);
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
        frags: number[];
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
          frags: a.frags,
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
    // A switch is a fragment of the other level actually loaded.
    const throttledAt = (await state()).frags.length;
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 50,
      downloadThroughput: 90_000,
      uploadThroughput: 1_000_000,
    });
    await until(
      async () =>
        (await state()).frags.slice(throttledAt).includes(240) || null,
      30_000,
    ).catch(async () => {
      throw new Error(`no switch down: ${JSON.stringify(await state())}`);
    });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    const liftedAt = (await state()).frags.length;
    await until(
      async () =>
        (await state()).frags.slice(liftedAt).some((h) => h > 240) || null,
      30_000,
    ).catch(async () => {
      throw new Error(`no switch up: ${JSON.stringify(await state())}`);
    });
    const final = await state();
    assert.equal(final.error, null);
    // deno-lint-ignore no-console -- the switch sequence is this test's report
    console.log(
      `hls.js levels ${final.levels}; fragments loaded (height) ${final.frags}; throttled after #${throttledAt}, lifted after #${liftedAt}`,
    );
  } finally {
    stop.abort();
    await publishing;
  }
});
