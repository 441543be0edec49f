// Enhanced RTMP through the server: AV1 and VP9 by FourCC, Opus audio, and
// v2 multitrack (a second audio track), published and played by RtmpClient.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../mod.ts";
import { RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { startServer, until } from "./_server.ts";

function frame(
  kind: "video" | "audio",
  codec: MediaFrame["codec"],
  dts: number,
  options: { config?: boolean; trackId?: number; bytes: number[] },
): MediaFrame {
  return {
    kind,
    codec,
    trackId: options.trackId ?? 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: options.config ?? false,
    data: new Uint8Array(options.bytes),
  };
}

async function roundTrip(
  name: string,
  frames: MediaFrame[],
): Promise<MediaFrame[]> {
  await using server = await startServer();
  const pub = await RtmpClient.connect(server.url);
  const publisher = await pub.publish(name);
  await publisher.writeFrames(frames);
  await until(() =>
    (server.engine.getStream(`live/${name}`)?.gopCache.size ?? 0) > 0
  );
  const sub = await RtmpClient.connect(server.url);
  const got: MediaFrame[] = [];
  for await (const f of await sub.play(name)) {
    got.push(f);
    if (got.length === frames.length) break;
  }
  await pub.close();
  await sub.close();
  return got;
}

function summary(frames: MediaFrame[]): string[] {
  return frames.map((f) =>
    `${f.kind}/${f.codec}/${f.trackId}/${f.config}/${f.dts}/${[...f.data]}`
  );
}

Deno.test("Enhanced RTMP: AV1 (av01) and Opus round-trip through the server", async () => {
  const frames = [
    frame("video", "av1", 0, { config: true, bytes: [0x81, 0x00, 0x0c, 0x00] }),
    frame("audio", "opus", 0, {
      config: true,
      bytes: [
        0x4f,
        0x70,
        0x75,
        0x73,
        0x48,
        0x65,
        0x61,
        0x64,
        1,
        2,
        0x38,
        1,
        0x80,
        0xbb,
        0,
        0,
        0,
        0,
        0,
      ],
    }),
    frame("video", "av1", 0, { bytes: [0x12, 0x00, 0x32, 0x02, 0x10, 0x00] }),
    frame("audio", "opus", 20, { bytes: [0xfc, 0xff, 0xfe] }),
  ];
  assert.deepEqual(summary(await roundTrip("av1", frames)), summary(frames));
});

Deno.test("Enhanced RTMP: VP9 (vp09) round-trips through the server", async () => {
  const frames = [
    frame("video", "vp9", 0, {
      config: true,
      bytes: [1, 0, 0, 0, 0, 10, 0x80, 1, 1, 1, 0, 0],
    }),
    frame("video", "vp9", 0, { bytes: [0x82, 0x49, 0x83, 0x42, 0x00] }),
  ];
  assert.deepEqual(summary(await roundTrip("vp9", frames)), summary(frames));
});

Deno.test("Enhanced RTMP v2: a second AAC track (multitrack) keeps its track id", async () => {
  const frames = [
    frame("audio", "aac", 0, { config: true, bytes: [0x12, 0x10] }),
    frame("audio", "aac", 0, { config: true, trackId: 1, bytes: [0x11, 0x90] }),
    frame("audio", "aac", 0, { bytes: [1, 2, 3] }),
    frame("audio", "aac", 0, { trackId: 1, bytes: [4, 5, 6] }),
  ];
  assert.deepEqual(summary(await roundTrip("multi", frames)), summary(frames));
});

Deno.test("RTMP play skips frames FLV cannot carry (VVC) and reports it once", async () => {
  await using server = await startServer();
  const handle = server.engine.startPublish("live/mixed");
  handle.publishFrame(
    frame("audio", "aac", 0, { config: true, bytes: [0x12, 0x10] }),
  );
  handle.publishFrame(
    frame("video", "vvc", 0, { config: true, bytes: [1, 2, 3] }),
  );
  handle.publishFrame(frame("video", "vvc", 0, { bytes: [4] }));
  handle.publishFrame(frame("audio", "aac", 0, { bytes: [1] }));
  handle.publishFrame(frame("audio", "aac", 20, { bytes: [2] }));
  const sub = await RtmpClient.connect(server.url);
  const got: MediaFrame[] = [];
  for await (const f of await sub.play("mixed")) {
    got.push(f);
    if (got.length === 3) break;
  }
  assert.deepEqual(got.map((f) => `${f.codec}/${f.config}/${f.dts}`), [
    "aac/true/0",
    "aac/false/0",
    "aac/false/20",
  ]);
  assert.equal(server.errors.length, 1);
  handle.end();
  await sub.close();
});
