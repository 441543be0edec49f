// Headless Chromium for end-to-end playback tests, driven by playwright-core.
import { type Browser, chromium } from "playwright-core";

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
      await browser.close();
    },
  });
}

/** Path of an npm package's file inside node_modules (for serving hls.js / mpegts.js to a page). */
export function nodeModuleFile(path: string): string {
  return new URL(`../node_modules/${path}`, import.meta.url).pathname;
}
