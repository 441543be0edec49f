// Each example runs as a user would run it, with `deno run`, and its effect is checked.
import assert from "node:assert/strict";
import { ffprobe, missing, run, spawnLogged, tempDir } from "../_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CONFIG = `${ROOT}deno.json`;

Deno.test("examples/minimal_ingest.ts pumps a source through the bus to a subscriber", async () => {
  const r = await run(Deno.execPath(), [
    "run",
    "--config",
    CONFIG,
    `${ROOT}examples/minimal_ingest.ts`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /published 50 frames; subscriber received 50 \(2 keyframes\)/,
  );
  for (
    const event of [
      "published",
      "subscriberJoined",
      "unpublished",
      "subscriberLeft",
    ]
  ) {
    assert.match(r.stdout, new RegExp(`events:.*\\b${event}\\b`));
  }
});

Deno.test({
  name:
    "examples/custom_protocol.ts ingests FLV over TCP and serves MPEG-TS over TCP that ffprobe reads",
  ignore: missing("ffprobe"),
  sanitizeResources: false,
}, async () => {
  // Two adjacent free ports: ingest P, play P+1.
  let port = 0;
  for (let tries = 0; tries < 20 && port === 0; tries++) {
    const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (a.addr as Deno.NetAddr).port;
    try {
      Deno.listen({ hostname: "127.0.0.1", port: p + 1 }).close();
      port = p;
    } catch { /* taken: try another */ }
    a.close();
  }
  const example = spawnLogged(Deno.execPath(), [
    "run",
    "--config",
    CONFIG,
    "--allow-net=127.0.0.1",
    "--allow-read",
    `${ROOT}examples/custom_protocol.ts`,
    String(port),
  ], ROOT);
  try {
    await example.waitFor(/toy-tcp listening/);
    await new Promise((r) => setTimeout(r, 1500)); // let the first keyframe reach the GOP cache
    const result = await ffprobe(`tcp://127.0.0.1:${port + 1}`);
    assert.deepEqual(result.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);
    assert.equal(
      result.streams.find((s) => s.codec_type === "video")?.width,
      640,
    );
  } finally {
    await example.stop();
  }
});

Deno.test({
  name:
    "examples/rtmp_to_hls.ts turns an ffmpeg RTMP publish into ./hls/live/cam/index.m3u8",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
}, async () => {
  await using dir = await tempDir();
  const example = spawnLogged(Deno.execPath(), [
    "run",
    "--config",
    CONFIG,
    "--allow-net",
    "--allow-read",
    "--allow-write=./hls",
    `${ROOT}examples/rtmp_to_hls.ts`,
    "0",
    "0",
  ], dir.path);
  try {
    const rtmp =
      (await example.waitFor(/rtmp:\/\/localhost:(\d+)\/live\/cam/))[1];
    const http =
      (await example.waitFor(/http:\/\/localhost:(\d+)\/live\/cam/))[1];
    const pub = await run("ffmpeg", [
      "-v",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=160x120:rate=25",
      "-f",
      "lavfi",
      "-i",
      "sine",
      "-t",
      "5",
      "-c:v",
      "libx264",
      "-g",
      "25",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-f",
      "flv",
      `rtmp://127.0.0.1:${rtmp}/live/cam`,
    ], { timeoutMs: 30_000 });
    assert.equal(pub.code, 0, pub.stderr);
    // The stream ended with the publisher: the playlist is closed and served over HTTP.
    let playlist = "";
    for (let i = 0; i < 50 && !playlist.includes("#EXT-X-ENDLIST"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      playlist = await Deno.readTextFile(`${dir.path}/hls/live/cam/index.m3u8`)
        .catch(() => "");
    }
    assert.match(playlist, /#EXT-X-ENDLIST/);
    const served = await fetch(`http://127.0.0.1:${http}/live/cam/index.m3u8`);
    assert.equal(served.status, 200);
    await served.body?.cancel();
    const probe = await ffprobe(`${dir.path}/hls/live/cam/index.m3u8`);
    assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
      "aac",
      "h264",
    ]);
    assert.ok(
      Number(probe.format.duration) > 3,
      `duration ${probe.format.duration}`,
    );
  } finally {
    const status = await example.stop();
    assert.equal(status.code, 0, example.err);
  }
});
