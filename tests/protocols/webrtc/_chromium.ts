// Chromium with a fake camera and microphone (WHIP publishing tests).
import type { Browser } from "playwright-core";
import { CHROMIUM_ARGS } from "../../_browser.ts"; // patches fs before playwright loads

const { chromium } = await import("playwright-core");

/** Extra flags for getUserMedia without a device or a prompt. */
export const FAKE_MEDIA_ARGS: string[] = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
];

/** Launch Chromium with a fake camera/mic; `netns` runs it inside a network namespace. */
export async function launchFakeMediaChromium(
  options: { netns?: string } = {},
): Promise<Browser & AsyncDisposable> {
  let executablePath = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
  if (options.netns) {
    // playwright spawns the executable with its flags: a wrapper script enters the namespace first.
    const wrapper = await Deno.makeTempFile({
      prefix: "chromium-netns-",
      suffix: ".sh",
    });
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nexec ip netns exec ${options.netns} ${executablePath} "$@"\n`,
    );
    await Deno.chmod(wrapper, 0o755);
    executablePath = wrapper;
  }
  const browser = await chromium.launch({
    executablePath,
    args: [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS],
    headless: true,
  });
  return Object.assign(browser, {
    async [Symbol.asyncDispose]() {
      await browser.close();
    },
  });
}
