// The dashboard in Chromium against a fake origin that answers the control
// API contract: at 800, 1280 and 1920 px nothing overflows or is clipped and
// every control is reachable; the stream cards show every publish and play
// URL the endpoints allow; kicking a client asks for the admin token once and
// sends it as a Bearer token.
import assert from "node:assert/strict";
import { launchChromium } from "../../_browser.ts";
import { missing } from "../../_tools.ts";
import { startFixtureOrigin } from "./_dashboard_fixture.ts";
import { layoutProblems, openAllDetails, WIDTHS } from "./_dashboard_layout.ts";

Deno.test({
  name:
    "dashboard: no overflow or clipped control at 800/1280/1920 px with three streams (contract fixtures)",
  ignore: missing("chromium"),
  async fn() {
    await using origin = startFixtureOrigin();
    await using browser = await launchChromium();
    const outDir = Deno.env.get("E2E_OUT_DIR") ??
      await Deno.makeTempDir({ prefix: "arcly-dashboard-" });
    for (const width of WIDTHS) {
      const page = await browser.newPage({
        viewport: { width, height: 900 },
      });
      await page.goto(`${origin.base}/`);
      await page.waitForFunction(() =>
        // deno-lint-ignore no-explicit-any
        (globalThis as any).document.querySelectorAll("article.stream")
          .length === 3
      );
      await page.waitForTimeout(4_500); // a few samples in the graphs
      await openAllDetails(page);
      const problems = await layoutProblems(page);
      await page.screenshot({
        path: `${outDir}/fixture_${width}.png`,
        fullPage: true,
      });
      assert.deepEqual(problems, [], `${width} px: ${problems.join("\n")}`);
      if (width === 1280) {
        const urls = await page.$$eval(
          'article[data-key="live/cam"] .url code',
          (codes) => codes.map((c) => c.textContent),
        );
        const host = origin.base.replace("http://", "");
        const h = host.replace(/:\d+$/, "");
        for (
          const expected of [
            `rtmp://${h}:1935/live/cam`,
            `srt://${h}:8890?streamid=publish:live/cam`,
            `rtsp://${h}:8554/live/cam`,
            `http://${host}/live/cam/whip`,
            `http://${host}/live/cam/index.m3u8`,
            `http://${host}/live/cam.flv`,
            `ws://${host}/live/cam.flv`,
            `srt://${h}:8890?streamid=read:live/cam`,
            `http://${host}/live/cam/whep`,
          ]
        ) {
          assert.ok(
            urls.includes(expected),
            `${expected} in ${urls.join(" ")}`,
          );
        }
        const summary = await page.textContent("#server");
        assert.match(summary!, /v0\.2\.0|37 \/ 1000/);
        assert.match(summary!, /3 refused/);
        assert.equal(
          await page.textContent('article[data-key="live/cam"] .chips'),
          "hls 12http-flv 4webrtc 2",
        );
      }
      await page.close();
    }
  },
});

Deno.test({
  name:
    "dashboard: Kick asks for the admin token once, keeps it for the session and sends it as Bearer",
  ignore: missing("chromium"),
  async fn() {
    await using origin = startFixtureOrigin();
    await using browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    let prompts = 0;
    page.on("dialog", (dialog) => {
      prompts++;
      void dialog.accept("admin-secret");
    });
    await page.goto(`${origin.base}/`);
    await page.waitForSelector('#clients .row[data-id="c-7a8b9c"] .kick');
    await page.click('#clients .row[data-id="c-7a8b9c"] .kick');
    await page.waitForSelector("#kick-note:has-text('Disconnected')");
    await page.click('#clients .row[data-id="c-4d5e6f"] .kick');
    for (let i = 0; i < 40 && origin.kicks.length < 2; i++) {
      await page.waitForTimeout(100);
    }
    assert.equal(prompts, 1, "asked once");
    assert.deepEqual(origin.kicks, [
      { id: "c-7a8b9c", authorization: "Bearer admin-secret" },
      { id: "c-4d5e6f", authorization: "Bearer admin-secret" },
    ]);
    await page.close();
  },
});

Deno.test({
  name:
    "dashboard: a long client list is capped at 200 rows (publishers first) and says so",
  ignore: missing("chromium"),
  async fn() {
    await using origin = startFixtureOrigin(1000);
    await using browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 800, height: 900 },
    });
    await page.goto(`${origin.base}/`);
    await page.waitForSelector("#clients-note:has-text('Showing 200 of 1005')");
    assert.equal(await page.locator("#clients .row:not(.head)").count(), 200);
    assert.equal(
      await page.getAttribute("#clients .row:not(.head) >> nth=0", "data-id"),
      "c-1a2b3c",
      "the publisher first",
    );
    await page.close();
  },
});
