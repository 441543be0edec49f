// engine.clients with real peers on every connection protocol: ffmpeg
// publishes over RTMP; ffmpeg readers over SRT and RTSP are listed as
// viewers (with bytes sent) and a kick ends their connection (ffmpeg
// exits); an SRT publisher is listed and a kick ends its publish.
import assert from "node:assert/strict";
import { Engine } from "../../src/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import { SrtHandler } from "../../protocols/srt/mod.ts";
import { RtspHandler } from "../../protocols/rtsp/mod.ts";
import { HttpHandler } from "../../protocols/http/mod.ts";
import { missing } from "../_tools.ts";

const SAMPLE = new URL("../../examples/assets/sample.flv", import.meta.url)
  .pathname;

function ffmpeg(args: string[]): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: ["-v", "error", ...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function until<T>(
  what: string,
  probe: () => T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** ms until `child` exits, or Infinity after `timeoutMs`. */
async function exitWithin(
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<number> {
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const exited = await Promise.race([
    child.status.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return exited ? performance.now() - t0 : Infinity;
}

Deno.test({
  name:
    "clients: SRT and RTSP ffmpeg readers and a WS-FLV viewer listed and kicked, SRT publisher kicked",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const engine = Engine.builder().build();
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const srt = new SrtHandler({ hostname: "127.0.0.1", port: 0 });
  const rtsp = new RtspHandler({
    hostname: "127.0.0.1",
    port: 0,
    udpRtpPort: 0,
  });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    dashboard: false,
  });
  const controller = new AbortController();
  const served = engine.serve([rtmp, srt, rtsp, http], controller.signal);
  const children: Deno.ChildProcess[] = [];
  const spawn = (args: string[]) => {
    const child = ffmpeg(args);
    children.push(child);
    return child;
  };
  try {
    const [m, s, r, h] = await Promise.all([
      rtmp.listening,
      srt.listening,
      rtsp.listening,
      http.listening,
    ]);
    spawn([
      "-re",
      "-stream_loop",
      "-1",
      "-i",
      SAMPLE,
      "-c",
      "copy",
      "-f",
      "flv",
      `rtmp://127.0.0.1:${m.port}/live/cam`,
    ]);
    await until(
      "live/cam",
      () =>
        engine.getStream("live/cam")?.gopCache.configFrames().length
          ? true
          : undefined,
    );
    const publisher = engine.clients.list().find((c) => c.kind === "publisher");
    assert.equal(publisher?.protocol, "rtmp");

    const report: string[] = [];
    for (
      const [protocol, args] of [
        ["srt", [
          "-i",
          `srt://127.0.0.1:${s.port}?streamid=read:live/cam&mode=caller`,
        ]],
        ["rtsp", [
          "-rtsp_transport",
          "tcp",
          "-i",
          `rtsp://127.0.0.1:${r.port}/live/cam`,
        ]],
      ] as const
    ) {
      const reader = spawn([...args, "-f", "null", "-"]);
      const viewer = await until(
        `the ${protocol} reader`,
        () =>
          engine.clients.list().find((c) =>
            c.kind === "viewer" && c.protocol === protocol && c.bytesSent > 0
          ),
      );
      assert.equal(viewer.stream, "live/cam");
      assert.match(viewer.remoteAddr ?? "", /127\.0\.0\.1/);
      assert.deepEqual(engine.clients.countsByProtocol("live/cam"), {
        [protocol]: 1,
      });
      assert.equal(engine.clients.kick(viewer.id), true);
      const ms = await exitWithin(reader, 10_000);
      report.push(`${protocol} reader exited ${ms.toFixed(0)} ms after kick`);
      assert.ok(ms < 10_000, `${protocol}: ffmpeg kept reading after the kick`);
      assert.deepEqual(engine.clients.countsByProtocol("live/cam"), {});
    }

    // A WS-FLV viewer: listed, a kick closes the WebSocket.
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/live/cam.flv`);
    ws.binaryType = "arraybuffer";
    const wsClosed = new Promise<number>((resolve) => {
      ws.onclose = () => resolve(performance.now());
      ws.onerror = () => {};
    });
    const wsViewer = await until(
      "the WS-FLV viewer",
      () =>
        engine.clients.list().find((c) =>
          c.protocol === "ws-flv" && c.bytesSent > 0
        ),
    );
    const kickedAt = performance.now();
    assert.equal(engine.clients.kick(wsViewer.id), true);
    const closedAt = await Promise.race([
      wsClosed,
      new Promise<number>((r) => setTimeout(() => r(Infinity), 5_000)),
    ]);
    report.push(
      `WS-FLV socket closed ${(closedAt - kickedAt).toFixed(0)} ms after kick`,
    );
    assert.ok(closedAt - kickedAt < 1_000, "WS-FLV stayed open after the kick");

    // An SRT publisher: listed (bytes received), kicked, its publish ends.
    const srtPublisher = spawn([
      "-re",
      "-stream_loop",
      "-1",
      "-i",
      SAMPLE,
      "-c",
      "copy",
      "-f",
      "mpegts",
      `srt://127.0.0.1:${s.port}?streamid=publish:live/srt&mode=caller`,
    ]);
    const pub = await until(
      "the SRT publisher",
      () =>
        engine.clients.list().find((c) =>
          c.kind === "publisher" && c.stream === "live/srt" &&
          c.bytesReceived > 0
        ),
    );
    assert.equal(pub.protocol, "srt");
    assert.equal(engine.clients.kick(pub.id), true);
    assert.equal(engine.getStream("live/srt"), undefined);
    const ms = await exitWithin(srtPublisher, 10_000);
    report.push(`SRT publisher exited ${ms.toFixed(0)} ms after kick`);
    // deno-lint-ignore no-console
    console.log(report.join("; "));
    assert.ok(ms < 10_000, "ffmpeg kept publishing over SRT after the kick");
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    }
    controller.abort();
    await engine.shutdown({ deadlineMs: 0 });
    await served;
  }
});
