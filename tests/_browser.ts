// Headless Chromium for end-to-end playback tests, driven by playwright-core.
import type { Browser } from "playwright-core";
import fs from "node:fs";

// playwright-core's bundled is-wsl probes /proc/sys/fs/binfmt_misc/WSLInterop
// and /run/WSL with fs.existsSync when it loads; Deno answers reads under
// /proc/sys only with --allow-all (and /run is outside the test task's read
// scope), so the probe would throw NotCapable instead of returning false.
// Neither matters to the tests: report them absent, and load playwright only
// after that, so `deno task test` needs no --allow-all.
const existsSync = fs.existsSync;
fs.existsSync =
  ((path: fs.PathLike) =>
    String(path).startsWith("/proc/sys/") || String(path) === "/run/WSL"
      ? false
      : existsSync(path)) as typeof fs.existsSync;
const { chromium } = await import("playwright-core");

/** The flags this workplace needs for Chromium (closed network, root, no GPU). */
export const CHROMIUM_ARGS: string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--autoplay-policy=no-user-gesture-required",
];

/** Launch Debian's Chromium. Caller closes it (use `await using`). */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const browser = await chromium.launch({
    executablePath: Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium",
    args: CHROMIUM_ARGS,
    headless: true,
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      // Bounded: a close that never returns must fail the test that owns
      // the browser, not hang the whole run.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("Chromium did not close within 15 s")),
          15_000,
        );
      });
      try {
        await Promise.race([browser.close(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  });
}

/** Path of an npm package's file inside node_modules (for serving hls.js / mpegts.js to a page). */
export function nodeModuleFile(path: string): string {
  return new URL(`../node_modules/${path}`, import.meta.url).pathname;
}
