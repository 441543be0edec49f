// The regression test for werift's DTLS-role pitfall: with the browser and the
// origin in two different network namespaces (a veth pair, not loopback),
// Chromium plays an RTMP-published H.264 stream over WHEP. As DTLS client,
// werift lost all media in exactly this setup; the origin answers
// `a=setup:passive`. Needs root (`ip netns`): skipped when not permitted
// locally, mandatory in CI (which runs as root).
import assert from "node:assert/strict";
import { inCi, missing, run, spawnLogged } from "../../_tools.ts";
import { launchFakeMediaChromium } from "./_chromium.ts";
import { startWhep, viewerState } from "./_pages.ts";

const tag = crypto.getRandomValues(new Uint8Array(2));
const NS_ORIGIN = `arcly-o-${tag[0]}-${tag[1]}`;
const NS_BROWSER = `arcly-b-${tag[0]}-${tag[1]}`;
const SUBNET = `10.231.${tag[0]}`;

async function ip(...args: string[]): Promise<void> {
  const r = await run("ip", args, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

/** Create the two namespaces joined by a veth pair; false when not permitted. */
async function setUp(): Promise<boolean> {
  try {
    await ip("netns", "add", NS_ORIGIN);
  } catch (e) {
    if (inCi) throw e;
    return false;
  }
  await ip("netns", "add", NS_BROWSER);
  const a = `vo${tag[0]}x${tag[1]}`;
  const b = `vb${tag[0]}x${tag[1]}`;
  await ip("link", "add", a, "type", "veth", "peer", "name", b);
  await ip("link", "set", a, "netns", NS_ORIGIN);
  await ip("link", "set", b, "netns", NS_BROWSER);
  await ip("-n", NS_ORIGIN, "addr", "add", `${SUBNET}.1/24`, "dev", a);
  await ip("-n", NS_BROWSER, "addr", "add", `${SUBNET}.2/24`, "dev", b);
  for (const [ns, dev] of [[NS_ORIGIN, a], [NS_BROWSER, b]] as const) {
    await ip("-n", ns, "link", "set", dev, "up");
    await ip("-n", ns, "link", "set", "lo", "up");
  }
  return true;
}

async function tearDown(): Promise<void> {
  await run("ip", ["netns", "del", NS_ORIGIN]).catch(() => {});
  await run("ip", ["netns", "del", NS_BROWSER]).catch(() => {});
}

Deno.test({
  name:
    "webrtc netns: Chromium in one namespace plays WHEP from the origin in another (DTLS server, veth, not loopback)",
  ignore: missing("ffmpeg", "chromium", "ip") || (Deno.uid?.() !== 0 && !inCi),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    if (!(await setUp())) {
      // deno-lint-ignore no-console
      console.log("ip netns not permitted here: skipped (mandatory in CI)");
      return;
    }
    const origin = spawnLogged("ip", [
      "netns",
      "exec",
      NS_ORIGIN,
      Deno.execPath(),
      "run",
      "--allow-all",
      new URL("./_netns_origin.ts", import.meta.url).pathname,
      `${SUBNET}.1`,
    ], Deno.cwd());
    try {
      const ready = JSON.parse(
        (await origin.waitFor(/\{"http".*\}/, 60_000))[0],
      ) as {
        http: number;
        udp: number;
      };
      await using browser = await launchFakeMediaChromium({
        netns: NS_BROWSER,
      });
      const page = await browser.newPage();
      const answer = await startWhep(
        page,
        `http://${SUBNET}.1:${ready.http}/live/cam/whep`,
      );
      assert.equal(answer.status, 201, answer.body);
      assert.match(answer.body, /a=setup:passive/);
      assert.match(
        answer.body,
        new RegExp(`${SUBNET.replace(/\./g, "\\.")}\\.1 ${ready.udp} typ host`),
      );
      const deadline = Date.now() + 25_000;
      let state = await viewerState(page);
      while (
        Date.now() < deadline &&
        !(state.framesDecoded > 30 && state.currentTime > 1)
      ) {
        await page.waitForTimeout(250);
        state = await viewerState(page);
      }
      assert.ok(
        state.framesDecoded > 30,
        `${JSON.stringify(state)}\norigin: ${origin.out}${origin.err}`,
      );
      assert.ok(state.currentTime > 1, JSON.stringify(state));
      // deno-lint-ignore no-console
      console.log(`across namespaces: ${JSON.stringify(state)}`);
      await t.step(
        "the origin reports the WHEP session connected and sending",
        async () => {
          const [line] = await origin.waitFor(
            /\{"sessions":\[\{[^\n]*"connected":true[^\n]*\n/,
            10_000,
          );
          assert.match(line, /"type":"whep"/);
          assert.match(line, /"packetsSent":[1-9]/);
        },
      );
    } finally {
      await origin.stop("SIGKILL");
      await tearDown();
    }
  },
});
