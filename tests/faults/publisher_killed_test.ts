// Fault: the publisher dies mid-GOP (ffmpeg SIGKILLed; an RtmpClient whose
// socket is closed abruptly). Every viewer must get a clean end — the RTMP
// player's iterator finishes, the HTTP-FLV body ends on a tag boundary — and
// the HLS playlist gets EXT-X-ENDLIST. A republish to the same key must not
// hand players a segment URI that already meant other bytes (segments are
// served `immutable`): either new URIs or an EXT-X-DISCONTINUITY.
import assert from "node:assert/strict";
import { readFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { missing } from "../_tools.ts";
import {
  flvViewer,
  type Origin,
  playlistText,
  startOrigin,
  until,
  within,
} from "./_origin.ts";

const CLIP = readFlvFile(
  Deno.readFileSync(
    new URL("../../examples/assets/sample.flv", import.meta.url),
  ),
).frames;

function ffmpegPublisher(url: string): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-re",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=160x90:rate=30",
      "-f",
      "lavfi",
      "-i",
      "sine=frequency=440:sample_rate=44100",
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-tune",
      "zerolatency",
      "-g",
      "30",
      "-keyint_min",
      "30",
      "-sc_threshold",
      "0",
      "-c:a",
      "aac",
      "-b:a",
      "64k",
      "-t",
      "20",
      "-f",
      "flv",
      url,
    ], // deno-fmt-ignore
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Resolves once the live stream is mid-GOP (≥ 2 keyframes seen, then 8–20 frames into a GOP). */
async function midGop(origin: Origin, key: string): Promise<number> {
  await until(
    () => origin.engine.getStream(key) !== undefined,
    10_000,
    "publish",
  );
  const sub = origin.engine.getStream(key)!.subscribe({
    replay: false,
    waitForKeyframe: false,
  });
  let keyframes = 0;
  let sinceKey = 0;
  try {
    for await (const frame of sub) {
      if (frame.kind !== "video" || frame.config) continue;
      if (frame.keyframe) {
        keyframes++;
        sinceKey = 0;
      } else sinceKey++;
      if (keyframes >= 2 && sinceKey >= 8 && sinceKey <= 20) return sinceKey;
    }
  } finally {
    sub.close();
  }
  throw new Error("stream ended before mid-GOP");
}

/** Segment URIs of a playlist. */
function uris(playlist: string): string[] {
  return playlist.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
}

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const res = await fetch(url);
  if (!res.ok) {
    await res.body?.cancel();
    return null;
  }
  return new Uint8Array(await res.arrayBuffer());
}

async function republishAndCheckPlaylist(
  origin: Origin,
  before: string,
): Promise<string> {
  const oldUris = uris(before);
  const oldBytes = new Map<string, Uint8Array | null>();
  for (const uri of oldUris) {
    oldBytes.set(uri, await fetchBytes(`${origin.httpUrl}/live/cam/${uri}`));
  }
  const client = await RtmpClient.connect(origin.rtmpUrl);
  const publisher = await client.publish("cam");
  // Another session of the same source: its timestamps start 10 s later.
  await publisher.writeFrames(
    CLIP.filter((f) => f.dts < 3500).map((f) => ({
      ...f,
      dts: f.dts + 10_000,
      pts: f.pts + 10_000,
    })),
  );
  await until(
    async () => uris(await playlistText(origin, "live/cam")).length >= 2,
    8000,
    "republished segments",
  );
  const after = await playlistText(origin, "live/cam");
  assert.doesNotMatch(
    after,
    /#EXT-X-ENDLIST/,
    "the republished playlist is live",
  );
  const reused: string[] = [];
  for (const uri of uris(after)) {
    const was = oldBytes.get(uri);
    if (was === undefined || was === null) continue;
    const now = await fetchBytes(`${origin.httpUrl}/live/cam/${uri}`);
    if (
      now !== null &&
      (now.length !== was.length || now.some((b, i) => b !== was[i]))
    ) reused.push(uri);
  }
  await publisher.close();
  await client.close();
  assert.ok(
    reused.length === 0 || /#EXT-X-DISCONTINUITY\b/.test(after),
    `republish reused segment URIs with new bytes and no EXT-X-DISCONTINUITY: ${
      reused.join(", ")
    }\nbefore:\n${before}\nafter:\n${after}`,
  );
  return after;
}

Deno.test({
  name:
    "fault: ffmpeg publisher SIGKILLed mid-GOP — RTMP and HTTP-FLV viewers end cleanly, playlist gets ENDLIST",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startOrigin({ storage: new MemoryStorage() });
    const ffmpeg = ffmpegPublisher(`${origin.rtmpUrl}/cam`);
    try {
      await until(
        () => origin.engine.getStream("live/cam") !== undefined,
        10_000,
        "ffmpeg publish",
      );
      const viewer = flvViewer(`${origin.httpUrl}/live/cam.flv`);
      const client = await RtmpClient.connect(origin.rtmpUrl);
      const player = await client.play("cam");
      const played: MediaFrame[] = [];
      const playing = (async () => {
        for await (const frame of player) played.push(frame);
        return "ended";
      })();
      const into = await midGop(origin, "live/cam");
      ffmpeg.kill("SIGKILL");
      const status = await ffmpeg.status;
      assert.equal(status.signal, "SIGKILL");
      const killedAt = Date.now();
      // Clean ends, promptly (TCP close is seen at once; no idle timeout needed).
      assert.equal(await within(playing, 10_000, "RTMP player end"), "ended");
      assert.equal(await within(viewer.done, 10_000, "HTTP-FLV end"), "ended");
      assert.ok(Date.now() - killedAt < 5000, "viewers ended within 5 s");
      const flv = readFlvFile(viewer.bytes());
      assert.equal(
        flv.truncated,
        false,
        "the HTTP-FLV body ends on a tag boundary",
      );
      assert.ok(
        flv.frames.some((f) => f.kind === "video" && f.keyframe && !f.config),
      );
      assert.ok(
        played.some((f) => f.kind === "video" && !f.config),
        "the RTMP player got live video",
      );
      await until(
        async () =>
          (await playlistText(origin, "live/cam")).includes("#EXT-X-ENDLIST"),
        5000,
        "ENDLIST",
      );
      const before = await playlistText(origin, "live/cam");
      assert.match(before, /#EXT-X-ENDLIST\s*$/);
      assert.ok(into >= 8, "killed mid-GOP");
      await client.close();
      assert.deepEqual(origin.errors, []);
    } finally {
      try {
        ffmpeg.kill("SIGKILL");
      } catch { /* already dead */ }
      await ffmpeg.status;
    }
  },
});

Deno.test("fault: RtmpClient socket closed abruptly mid-GOP — viewers end cleanly, playlist gets ENDLIST", async () => {
  await using origin = await startOrigin({ storage: new MemoryStorage() });
  const client = await RtmpClient.connect(origin.rtmpUrl);
  const publisher = await client.publish("cam");
  const firstGops = CLIP.filter((f) => f.dts < 2500);
  await publisher.writeFrames(firstGops);
  const viewer = flvViewer(`${origin.httpUrl}/live/cam.flv`);
  await until(() => viewer.received() > 0, 5000, "FLV bytes");
  // Half of the next GOP, then the socket goes away without deleteStream.
  const keyAt = CLIP.findIndex((f) =>
    f.dts >= 2500 && f.kind === "video" && f.keyframe && !f.config
  );
  await publisher.writeFrames(CLIP.slice(keyAt, keyAt + 12));
  await until(
    async () => uris(await playlistText(origin, "live/cam")).length >= 1,
    5000,
    "a segment",
  );
  await client.close(); // closes the TCP connection; no FCUnpublish/deleteStream is sent first
  assert.equal(await within(viewer.done, 10_000, "HTTP-FLV end"), "ended");
  const flv = readFlvFile(viewer.bytes());
  assert.equal(flv.truncated, false);
  await until(
    async () =>
      (await playlistText(origin, "live/cam")).includes("#EXT-X-ENDLIST"),
    5000,
    "ENDLIST",
  );
});

// On republish HlsPackaging passes the previous HlsSegmenter as
// `continueFrom`: sequence numbers go on and the new session starts with
// EXT-X-DISCONTINUITY, so seg*.m4s (served `immutable`) never get new bytes
// and MEDIA-SEQUENCE never goes back (RFC 8216bis §6.2.1/§6.2.2).
Deno.test({
  name:
    "fault: republish after a killed publisher never reuses a segment URI for new bytes",
  async fn() {
    await using origin = await startOrigin({ storage: new MemoryStorage() });
    const client = await RtmpClient.connect(origin.rtmpUrl);
    const publisher = await client.publish("cam");
    await publisher.writeFrames(CLIP.filter((f) => f.dts < 3200));
    await until(
      async () => uris(await playlistText(origin, "live/cam")).length >= 2,
      5000,
      "segments",
    );
    await client.close();
    await until(
      async () =>
        (await playlistText(origin, "live/cam")).includes("#EXT-X-ENDLIST"),
      5000,
      "ENDLIST",
    );
    await republishAndCheckPlaylist(
      origin,
      await playlistText(origin, "live/cam"),
    );
  },
});
