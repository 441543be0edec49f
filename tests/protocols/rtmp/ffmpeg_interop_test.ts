// Interop with real ffmpeg/ffprobe: ffmpeg publishes to RtmpHandler, ffprobe
// and ffmpeg play back; our client against ffmpeg's own RTMP listener.
import assert from "node:assert/strict";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import { RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { startServer, until } from "./_server.ts";

function publishArgs(url: string, seconds: number, extra: string[] = []) {
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    `testsrc=size=160x120:rate=25:duration=${seconds}`,
    "-f",
    "lavfi",
    "-i",
    `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-g",
    "25",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-b:a",
    "64k",
    ...extra,
    "-f",
    "flv",
    url,
  ];
}

Deno.test({
  name:
    "ffmpeg publishes H.264+AAC; ffprobe and ffmpeg play it back; the token reaches the authenticator",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    const tokens: string[] = [];
    await using server = await startServer({
      auth: {
        authorize(req) {
          tokens.push(`${req.action}:${req.credentials.token}`);
          return { allowed: true };
        },
      },
    });
    await using dir = await tempDir();
    const publishing = run(
      "ffmpeg",
      publishArgs(`${server.url}/cam?token=abc`, 10), // outlives probe + play on a loaded machine
      { timeoutMs: 30_000 },
    );
    await until(
      () => (server.engine.getStream("live/cam")?.gopCache.size ?? 0) > 0,
      10_000,
    );
    const probe = await ffprobe(`${server.url}/cam?token=p1`);
    const v = probe.streams.find((s) => s.codec_type === "video")!;
    const a = probe.streams.find((s) => s.codec_type === "audio")!;
    assert.equal(v.codec_name, "h264");
    assert.equal(v.width, 160);
    assert.equal(v.height, 120);
    assert.equal(a.codec_name, "aac");
    const out = `${dir.path}/copy.flv`;
    const played = await run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-i",
      `${server.url}/cam`,
      "-t",
      "1.5",
      "-c",
      "copy",
      "-f",
      "flv",
      out,
    ], { timeoutMs: 20_000 });
    assert.equal(played.code, 0, played.stderr);
    const pub = await publishing;
    assert.equal(pub.code, 0, pub.stderr);
    const copy = await ffprobe(out, ["-count_frames"]);
    const cv = copy.streams.find((s) => s.codec_type === "video")!;
    assert.equal(cv.codec_name, "h264");
    assert.ok(Number(cv.nb_read_frames) >= 20, `frames ${cv.nb_read_frames}`);
    assert.ok(copy.streams.some((s) => s.codec_name === "aac"));
    assert.equal(tokens[0], "publish:abc");
    assert.ok(tokens.includes("play:p1"));
    await until(() => server.engine.streams().length === 0);
    assert.deepEqual(server.errors, []);
  },
});

/** A port the OS just handed out on 127.0.0.1 (ffmpeg -listen needs a number). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

Deno.test({
  name: "RtmpClient publishes to ffmpeg's own RTMP listener",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    // produce frames: ffmpeg publishes to our server, we relay them to ffmpeg -listen
    await using server = await startServer();
    const source = run("ffmpeg", publishArgs(`${server.url}/src`, 8), { // outlives ffmpeg -listen start-up under load
      timeoutMs: 30_000,
    });
    await until(
      () => (server.engine.getStream("live/src")?.gopCache.size ?? 0) > 0,
      10_000,
    );
    const port = freePort();
    const out = `${dir.path}/listen.flv`;
    const listener = run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-listen",
      "1",
      "-timeout",
      "10",
      "-i",
      `rtmp://127.0.0.1:${port}/live/relay`,
      "-c",
      "copy",
      "-f",
      "flv",
      out,
    ], { timeoutMs: 30_000 });
    // wait for ffmpeg to listen
    let client: RtmpClient | undefined;
    for (let i = 0; i < 100 && client === undefined; i++) {
      try {
        client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(client, "could not connect to ffmpeg -listen");
    const publisher = await client.publish("relay");
    const player = await RtmpClient.connect(server.url);
    let n = 0;
    for await (const frame of await player.play("src")) {
      await publisher.write(frame);
      if (++n >= 60) break;
    }
    await publisher.close();
    await client.close();
    await player.close();
    await listener;
    await source;
    const probe = await ffprobe(out, ["-count_frames"]);
    const v = probe.streams.find((s) => s.codec_type === "video")!;
    assert.equal(v.codec_name, "h264");
    assert.equal(v.width, 160);
    assert.ok(Number(v.nb_read_frames) > 10);
  },
});

Deno.test({
  name:
    "RtmpClient plays from ffmpeg's own RTMP listener (ffmpeg -f flv -listen 1)",
  ignore: missing("ffmpeg"),
  async fn() {
    const port = freePort();
    const server = run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "quiet",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=64x64:rate=25:duration=3",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-g",
      "25",
      "-pix_fmt",
      "yuv420p",
      "-f",
      "flv",
      "-listen",
      "1",
      `rtmp://127.0.0.1:${port}/live/x`,
    ], { timeoutMs: 30_000 });
    let client: RtmpClient | undefined;
    for (let i = 0; i < 100 && client === undefined; i++) {
      try {
        client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.ok(client, "could not connect to ffmpeg -listen");
    const kinds = new Set<string>();
    let media = 0;
    for await (const f of await client.play("x")) {
      kinds.add(`${f.kind}/${f.codec}/${f.config}`);
      if (!f.config && f.kind === "video" && ++media === 25) break;
    }
    await client.close();
    await server; // ffmpeg stops on the closed socket
    assert.ok(kinds.has("video/h264/true"), [...kinds].join());
    assert.ok(kinds.has("data/amf0/false"));
    assert.equal(media, 25);
  },
});
