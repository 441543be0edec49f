// The dashboard of the real origin (the CLI's startOrigin, in process) in
// Chromium with three streams published by ffmpeg (two over RTMP, one over
// SRT): at 800, 1280 and 1920 px nothing overflows, nothing is clipped and
// every control is reachable and uncovered; the transcoder's thumbnail shows
// up; the WHEP player plays the RTMP-published stream (video advances) with a
// latency readout; a viewer kicked from the client list (admin token) is
// disconnected. Screenshots go to E2E_OUT_DIR (default: a temp dir);
// UPDATE_DASHBOARD_PNG=1 also writes the 1280 px one to docs/dashboard.png.
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { launchChromium } from "../_browser.ts";
import { missing, tempDir } from "../_tools.ts";
import { parseOriginArgs } from "../../cli/options.ts";
import { startOrigin } from "../../cli/origin.ts";
import {
  layoutProblems,
  openAllDetails,
  WIDTHS,
} from "../protocols/http/_dashboard_layout.ts";

const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";

function publish(inputs: string[], out: string[]): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...inputs,
      ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"],
      ...["-g", "30", "-bf", "0", "-pix_fmt", "yuv420p", "-b:v", "600k"],
      ...["-c:a", "aac", "-b:a", "64k"],
      ...out,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function picture(text: string, pattern: string): string[] {
  return [
    ...["-f", "lavfi", "-i", `${pattern}=size=640x360:rate=30`],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
    ...[
      "-vf",
      `drawtext=fontfile=${FONT}:text='${text} %{localtime\\:%T}':x=20:y=20:fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6`,
    ],
  ];
}

type Globals = {
  document: {
    querySelector(s: string): { currentTime: number } | null;
    querySelectorAll(s: string): ArrayLike<unknown>;
  };
  arcly: { error: string | null; latency: number | null };
};

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  page?: Page,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
  const error = page
    ? await page.evaluate(() => (globalThis as unknown as Globals).arcly.error)
    : null;
  throw new Error(`Timed out waiting for ${what} (player error: ${error})`);
}

Deno.test({
  name:
    "dashboard: three ffmpeg streams at 800/1280/1920 px without overflow; thumbnails; WHEP plays an RTMP stream; Kick disconnects an HTTP-FLV viewer",
  ignore: missing("ffmpeg", "chromium"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using dir = await tempDir();
    const lines: string[] = [];
    const origin = await startOrigin(
      parseOriginArgs([
        ...["--rtmp", "127.0.0.1:0", "--http", "127.0.0.1:0"],
        ...["--srt", "127.0.0.1:0", "--rtsp", "127.0.0.1:0"],
        ...["--webrtc-udp", "127.0.0.1:0", "--webrtc-host", "127.0.0.1"],
        ...["--hls-dir", `${dir.path}/hls`, "--segment", "1"],
        ...["--api-token", "admin-secret"],
      ]),
      (line) => lines.push(line),
    );
    const publishers: Deno.ChildProcess[] = [];
    try {
      const srtPort = lines.join("\n").match(/srt:\/\/[^:]+:(\d+)\?/)?.[1];
      const rtmp = `rtmp://127.0.0.1:${origin.rtmpPort}`;
      publishers.push(
        publish(picture("cam", "testsrc2"), ["-f", "flv", `${rtmp}/live/cam`]),
        publish(picture("stage", "smptebars"), [
          ...["-f", "flv", `${rtmp}/live/stage`],
        ]),
      );
      if (srtPort !== undefined) {
        publishers.push(
          publish(picture("srt", "testsrc"), [
            ...["-f", "mpegts"],
            `srt://127.0.0.1:${srtPort}?streamid=publish:events/keynote&pkt_size=1316`,
          ]),
        );
      }
      const expected = srtPort === undefined ? 2 : 3;
      await until(
        `${expected} streams`,
        () => Promise.resolve(origin.engine.streams().length >= expected),
        20_000,
      );
      const base = `http://127.0.0.1:${origin.httpPort}`;
      const outDir = Deno.env.get("E2E_OUT_DIR") ??
        await Deno.makeTempDir({ prefix: "arcly-dashboard-" });
      await using browser = await launchChromium();

      // WHEP first (then the layout pages play nothing but the autoplay).
      const page = await browser.newPage({
        viewport: { width: 1280, height: 800 },
      });
      await page.goto(`${base}/?play=live/cam&via=whep`);
      const t = await until(
        "WHEP video past 2 s",
        () =>
          page.evaluate(() => {
            const t = (globalThis as unknown as Globals).document
              .querySelector("#player")!.currentTime;
            return t > 2 ? t : undefined;
          }),
        25_000,
        page,
      );
      const latency = await until(
        "a WHEP latency readout",
        () =>
          page.evaluate(() =>
            (globalThis as unknown as Globals).arcly.latency ?? undefined
          ),
        5_000,
        page,
      );
      await page.screenshot({ path: `${outDir}/whep.png` });
      await page.close();
      // deno-lint-ignore no-console
      console.log(
        `WHEP: currentTime ${
          t.toFixed(1)
        } s, latency readout (jitter buffer + RTT/2) ${
          Math.round(latency * 1000)
        } ms`,
      );
      assert.ok(latency >= 0 && latency < 2, `WHEP latency ${latency} s`);

      for (const width of WIDTHS) {
        const page = await browser.newPage({
          viewport: { width, height: 900 },
        });
        await page.goto(`${base}/`);
        await until(
          `${expected} stream cards (an audio bridge may add one)`,
          () =>
            page.evaluate(
              (n) =>
                (globalThis as unknown as Globals).document.querySelectorAll(
                  "article.stream",
                ).length >= n,
              expected,
            ),
          10_000,
        );
        // The transcoder's thumbnails (ffmpeg, one run per stream) replace
        // the placeholders; the graphs get a few samples.
        const published = ["live/cam", "live/stage", "events/keynote"].slice(
          0,
          expected,
        );
        let shown: string[] = [];
        await until(
          `the thumbnails of ${published.join(", ")}`,
          async () => {
            shown = await page.$$eval(
              "article.stream:has(.thumb img:not([hidden]))",
              (cards) => cards.map((c) => c.getAttribute("data-key")!),
            );
            return published.every((key) => shown.includes(key));
          },
          40_000,
        ).catch((error) => {
          throw new Error(`${error.message}; shown: ${shown.join(", ")}`);
        });
        await page.waitForTimeout(width === 1280 ? 14_000 : 2_500);
        await page.evaluate(() => {
          // The first card's URL list open, as an operator would have it.
          // deno-lint-ignore no-explicit-any
          const d = (globalThis as any).document.querySelector("details");
          if (d) d.open = true;
        });
        const shot = `${outDir}/dashboard_${width}.png`;
        await page.screenshot({ path: shot });
        if (width === 1280 && Deno.env.get("UPDATE_DASHBOARD_PNG") === "1") {
          await Deno.copyFile(
            shot,
            new URL("../../docs/dashboard.png", import.meta.url).pathname,
          );
        }
        await openAllDetails(page);
        const problems = await layoutProblems(page);
        await page.screenshot({
          path: `${outDir}/dashboard_${width}_full.png`,
          fullPage: true,
        });
        assert.deepEqual(problems, [], `${width} px:\n${problems.join("\n")}`);
        await page.close();
      }

      // Kick: the page plays live/cam over HTTP-FLV, finds itself in the
      // client list and disconnects itself with the admin token.
      const viewer = await browser.newPage({
        viewport: { width: 1280, height: 900 },
      });
      viewer.on("dialog", (dialog) => void dialog.accept("admin-secret"));
      await viewer.goto(`${base}/?play=live/cam&via=flv`);
      await until(
        "HTTP-FLV playback",
        () =>
          viewer.evaluate(() =>
            (globalThis as unknown as Globals).document.querySelector(
              "#player",
            )!.currentTime > 1
          ),
        20_000,
        viewer,
      );
      type Client = { id: string; protocol: string; stream: string };
      const flvClients = async () =>
        ((await (await fetch(`${base}/api/v1/clients`)).json())
          .clients as Client[]).filter((c) =>
            c.protocol === "http-flv" && c.stream === "live/cam"
          );
      const [client] = await until(
        "the HTTP-FLV viewer in /api/v1/clients",
        async () => {
          const list = await flvClients();
          return list.length === 1 ? list : undefined;
        },
        5_000,
      );
      await viewer.click(`#clients .row[data-id="${client!.id}"] .kick`);
      await until(
        "the kicked viewer gone from /api/v1/clients",
        async () =>
          (await flvClients()).every((c) => c.id !== client!.id) || undefined,
        5_000,
      );
      // The server drops the client before the page has shown the kick's
      // answer: wait for the note (a loaded CI once read it empty).
      await until(
        "the dashboard's kick note",
        async () =>
          /Disconnected/.test((await viewer.textContent("#kick-note")) ?? "") ||
          undefined,
        5_000,
      );
      assert.match(
        (await viewer.textContent("#kick-note"))!,
        /Disconnected/,
      );
      await viewer.close();
      // deno-lint-ignore no-console
      console.log(`screenshots in ${outDir}`);
    } finally {
      for (const p of publishers) {
        try {
          p.kill("SIGKILL");
        } catch { /* exited */ }
        await p.status;
      }
      await origin.stop();
      await origin.finished;
    }
  },
});
