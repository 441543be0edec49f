// nginx (examples/deploy/nginx.conf) in front of an LL-HLS origin: players'
// blocking playlist requests for the same next part reach the origin about
// once, parts once, and hls.js plays through the cache.
import assert from "node:assert/strict";
import { Engine, type HttpRouteProvider, StreamKey } from "../../mod.ts";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { HlsPackaging, HttpHandler } from "../../protocols/http/mod.ts";
import { loadClip, loopingClipSource } from "../../cli/demo_source.ts";
import { missing } from "../_tools.ts";
import { launchChromium } from "../_browser.ts";
import { startNginx } from "./_nginx.ts";

/** Counts what reaches the origin, per path + query; answers nothing itself. */
function originCounter(): HttpRouteProvider & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    name: "counter",
    counts,
    fetch(request) {
      const url = new URL(request.url);
      const k = url.pathname + url.search;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      return null;
    },
  };
}

async function startLlOrigin() {
  const engine = Engine.builder().build();
  const storage = new MemoryStorage();
  const packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    lowLatency: true,
    targetDurationMs: 1000,
    partTargetMs: 334,
  });
  const counter = originCounter();
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage,
    hls: packaging,
    extraRoutes: [counter],
  });
  const controller = new AbortController();
  const served = engine.serve([http], controller.signal);
  const { port } = await http.listening;
  const frames = await loadClip();
  const pumping = engine.pumpSource(
    StreamKey.parse("live/cam"),
    loopingClipSource(frames),
    { signal: controller.signal },
  ).catch(() => {});
  return {
    port,
    counter,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await served;
      await pumping;
      await packaging.close();
    },
  };
}

async function untilText(
  url: string,
  re: RegExp,
  ms = 10_000,
): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await fetch(url);
    const text = await r.text();
    if (r.ok && re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${url}: no ${re} in time`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

Deno.test({
  name:
    "nginx cache: 200 players' blocking reloads for the next part reach the origin about once; parts once",
  ignore: missing("nginx"),
  async fn() {
    await using origin = await startLlOrigin();
    const nginx = await startNginx([origin.port]);
    try {
      const base = `http://127.0.0.1:${nginx.port}/live/cam`;
      const playlist = await untilText(
        `${base}/index.m3u8`,
        /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg(\d+)\.(\d+)\.m4s"/,
      );
      // Plain playlists are never cached: each reload reaches the origin.
      const before = origin.counter.counts.get("/live/cam/index.m3u8") ?? 0;
      await (await fetch(`${base}/index.m3u8`)).text();
      await (await fetch(`${base}/index.m3u8`)).text();
      assert.equal(
        origin.counter.counts.get("/live/cam/index.m3u8"),
        before + 2,
        "plain playlists pass through",
      );

      const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg(\d+)\.(\d+)\.m4s"/
        .exec(playlist)!;
      const [msn, part] = [Number(hint[1]), Number(hint[2])];
      const query = `?_HLS_msn=${msn}&_HLS_part=${part}`;
      const players = 200;
      const answers = await Promise.all(
        Array.from({ length: players }, async () => {
          const r = await fetch(`${base}/index.m3u8${query}`);
          return { status: r.status, text: await r.text() };
        }),
      );
      const ok = answers.filter((a) => a.status === 200);
      assert.equal(ok.length, players, "every blocked player got the playlist");
      for (const a of ok) {
        assert.match(a.text, new RegExp(`seg${msn}\\.${part}\\.m4s`));
      }
      const originSaw =
        origin.counter.counts.get(`/live/cam/index.m3u8${query}`) ??
          0;
      // deno-lint-ignore no-console
      console.log(
        `${players} blocking reloads through nginx → ${originSaw} origin request(s)`,
      );
      assert.ok(originSaw >= 1 && originSaw <= 2, `origin saw ${originSaw}`);

      // The part itself: 100 players fetch it, the origin serves it once.
      const partPath = `/live/cam/seg${msn}.${part}.m4s`;
      const parts = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const r = await fetch(`http://127.0.0.1:${nginx.port}${partPath}`);
          return {
            status: r.status,
            bytes: (await r.arrayBuffer()).byteLength,
          };
        }),
      );
      assert.ok(parts.every((p) => p.status === 200 && p.bytes > 0));
      assert.equal(origin.counter.counts.get(partPath), 1, "part served once");
    } finally {
      await nginx.stop();
    }
  },
});

Deno.test({
  name: "nginx cache: hls.js in Chromium plays LL-HLS through nginx past 3 s",
  ignore: missing("nginx", "chromium"),
  async fn() {
    await using origin = await startLlOrigin();
    const nginx = await startNginx([origin.port]);
    try {
      await untilText(
        `http://127.0.0.1:${nginx.port}/live/cam/index.m3u8`,
        /#EXTINF/,
      );
      await using browser = await launchChromium();
      const page = await browser.newPage();
      await page.goto(
        `http://127.0.0.1:${nginx.port}/?play=live/cam&via=hls`,
      );
      const deadline = Date.now() + 20_000;
      let t = 0;
      while (Date.now() < deadline && t <= 3) {
        t = await page.evaluate(() =>
          (globalThis as unknown as {
            document: {
              querySelector(s: string): { currentTime: number } | null;
            };
          }).document.querySelector("video")?.currentTime ?? 0
        );
        await page.waitForTimeout(250);
      }
      assert.ok(t > 3, `currentTime ${t}`);
      const blocking = [...origin.counter.counts.keys()].filter((k) =>
        k.includes("_HLS_msn=")
      );
      assert.ok(blocking.length > 0, "hls.js used blocking reloads");
      await page.close();
    } finally {
      await nginx.stop();
    }
  },
});
