// The CLI with --record, as a user runs it: ffmpeg publishes twice over RTMP
// (two recording files), then GET /api/v1/recordings lists the stream, a
// 10 s range of one file downloads as an MP4 ffprobe reads as ~10 s, a range
// spanning both files downloads as one MP4 (ffmpeg decodes it without
// error) whose duration is the recorded media in the range, and the VOD
// playlist of the range plays in ffmpeg (byte ranges of the files); DELETE
// needs --api-token (401 without, 403 wrong, 204 deletes the older file); with
// --hls-retention 3s the ended stream's live HLS folder is deleted and its
// playlist answers 404.
import assert from "node:assert/strict";
import { missing, run, spawnLogged, tempDir } from "../../../_tools.ts";

const CLI = new URL("../../../../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../../../../", import.meta.url).pathname;

async function publish(rtmp: string, seconds: number): Promise<void> {
  const r = await run("ffmpeg", [
    "-v",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=320x240:rate=25",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=44100",
    "-t",
    String(seconds),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "25",
    "-c:a",
    "aac",
    "-f",
    "flv",
    rtmp,
  ], { timeoutMs: (seconds + 20) * 1000 });
  assert.equal(r.code, 0, r.stderr);
}

async function probeDuration(path: string): Promise<number> {
  const r = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    path,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** Decode every frame; returns ffmpeg's error output (empty when clean). */
async function decodeErrors(input: string): Promise<string> {
  const r = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    input,
    "-f",
    "null",
    "-",
  ], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stderr.trim();
}

Deno.test({
  name:
    "recordings: CLI --record, ffmpeg publishes twice → spans, 10 s MP4 download (~10 s in ffprobe), a range across both files, VOD playlist",
  ignore: missing("ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  await using dir = await tempDir("arcly-rec-api-");
  const origin = spawnLogged(Deno.execPath(), [
    "run",
    "--allow-net=127.0.0.1",
    `--allow-read=${ROOT},${dir.path}`,
    `--allow-write=${dir.path}`,
    CLI,
    "--rtmp",
    "127.0.0.1:0",
    "--http",
    "127.0.0.1:0",
    "--rtsp",
    "off",
    "--srt",
    "off",
    "--webrtc-udp",
    "off",
    "--publisher-grace",
    "0",
    "--hls-dir",
    `${dir.path}/hls`,
    "--hls-retention",
    "3s",
    "--api-token",
    "s3cret",
    "--record",
    `${dir.path}/rec`,
  ], dir.path);
  try {
    const rtmpPort =
      (await origin.waitFor(/rtmp:\/\/[^:]+:(\d+)\//, 30_000))[1];
    const httpPort =
      (await origin.waitFor(/dashboard\s+http:\/\/[^:]+:(\d+)\//, 30_000))[1];
    const base = `http://127.0.0.1:${httpPort}`;
    const rtmp = `rtmp://127.0.0.1:${rtmpPort}/live/cam`;
    await publish(rtmp, 14);
    await new Promise((r) => setTimeout(r, 1500)); // the first file is finalised
    await publish(rtmp, 10);
    await new Promise((r) => setTimeout(r, 1500));

    const list = await (await fetch(`${base}/api/v1/recordings`)).json();
    assert.equal(list.recordings.length, 1, JSON.stringify(list));
    assert.equal(list.recordings[0].stream, "live/cam");
    assert.equal(list.recordings[0].spans, 2);
    const { spans } = await (await fetch(`${base}/api/v1/recordings/live/cam`))
      .json();
    assert.equal(spans.length, 2, JSON.stringify(spans));
    for (const span of spans) {
      assert.ok(span.bytes > 10_000, JSON.stringify(span));
      assert.ok(span.downloadUrl.startsWith("/api/v1/recordings/live/cam/"));
    }
    assert.ok(Math.abs(spans[0].duration - 14) < 1.5, JSON.stringify(spans));
    assert.ok(Math.abs(spans[1].duration - 10) < 1.5, JSON.stringify(spans));
    const start0 = Date.parse(spans[0].start);
    const start1 = Date.parse(spans[1].start);

    // 10 s inside the first file.
    const from = new Date(start0 + 2_500).toISOString();
    const res = await fetch(
      `${base}/api/v1/recordings/live/cam/download?start=${from}&duration=10`,
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "video/mp4");
    const one = `${dir.path}/one.mp4`;
    await Deno.writeFile(one, new Uint8Array(await res.arrayBuffer()));
    const d1 = await probeDuration(one);
    assert.ok(Math.abs(d1 - 10) <= 1, `10 s range: ffprobe says ${d1} s`);
    assert.equal(await decodeErrors(one), "");

    // From 6 s before the end of the first file to 3 s into the second.
    const end0 = start0 + spans[0].duration * 1000;
    const spanFrom = new Date(end0 - 6_000).toISOString();
    const spanS = (start1 + 3_000 - (end0 - 6_000)) / 1000;
    const both = await fetch(
      `${base}/api/v1/recordings/live/cam/download?start=${spanFrom}&duration=${spanS}`,
    );
    assert.equal(both.status, 200);
    const expected = Number(both.headers.get("x-recording-duration"));
    assert.ok(Math.abs(expected - 9) <= 1, `media in range ${expected} s`);
    const two = `${dir.path}/two.mp4`;
    await Deno.writeFile(two, new Uint8Array(await both.arrayBuffer()));
    const d2 = await probeDuration(two);
    assert.ok(Math.abs(d2 - expected) <= 1, `across files: ${d2} s`);
    assert.equal(await decodeErrors(two), "");

    // The VOD playlist of the same range plays in ffmpeg.
    const playlistUrl =
      `${base}/api/v1/recordings/live/cam/playlist.m3u8?start=${spanFrom}&duration=${spanS}`;
    const text = await (await fetch(playlistUrl)).text();
    assert.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/);
    assert.match(text, /#EXT-X-ENDLIST/);
    assert.match(text, /#EXT-X-DISCONTINUITY/);
    const d3 = await probeDuration(playlistUrl);
    assert.ok(d3 >= expected - 1 && d3 <= expected + 5, `playlist: ${d3} s`);
    assert.equal(await decodeErrors(playlistUrl), "");

    // Errors and the admin check.
    assert.equal(
      (await fetch(
        `${base}/api/v1/recordings/live/cam/download?start=x&duration=10`,
      )
        .then(async (r) => [r.status, (await r.json()).error.code])).join(),
      "400,bad_request",
    );
    assert.equal(
      (await fetch(
        `${base}/api/v1/recordings/live/cam/download?start=2001-01-01T00:00:00Z&duration=10`,
      ).then(async (r) => [r.status, (await r.json()).error.code])).join(),
      "404,not_found",
    );
    const deleteUrl = `${base}/api/v1/recordings/live/cam?before=${
      new Date(end0 + 500).toISOString()
    }`;
    for (const [auth, status] of [[null, 401], ["Bearer nope", 403]] as const) {
      const del = await fetch(deleteUrl, {
        method: "DELETE",
        ...(auth ? { headers: { authorization: auth } } : {}),
      });
      await del.body?.cancel();
      assert.equal(del.status, status);
    }

    // --hls-retention 3s: the ended stream's HLS folder is deleted 3 s after
    // its last write and its playlist is no longer served.
    const until = Date.now() + 15_000;
    let status = 0;
    let files: string[] = [];
    do {
      await new Promise((r) => setTimeout(r, 500));
      const res = await fetch(`${base}/live/cam/index.m3u8`);
      await res.body?.cancel();
      status = res.status;
      files = [];
      try {
        for await (const e of Deno.readDir(`${dir.path}/hls/live/cam`)) {
          files.push(e.name);
        }
      } catch { /* the folder itself may go */ }
    } while ((status !== 404 || files.length > 0) && Date.now() < until);
    assert.equal(status, 404);
    assert.deepEqual(files, []);
    // recordings are not touched by the HLS retention
    assert.equal(
      (await (await fetch(`${base}/api/v1/recordings`)).json())
        .recordings[0].spans,
      2,
    );
    // the admin deletes the files that ended before the second one started
    const admin = await fetch(deleteUrl, {
      method: "DELETE",
      headers: { authorization: "Bearer s3cret" },
    });
    await admin.body?.cancel();
    assert.equal(admin.status, 204);
    const left = await (await fetch(`${base}/api/v1/recordings/live/cam`))
      .json();
    assert.deepEqual(left.spans.map((s: { start: string }) => s.start), [
      spans[1].start,
    ]);
  } finally {
    await origin.stop();
  }
});
