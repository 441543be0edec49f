// HEVC over Enhanced RTMP (FourCC hvc1). Debian's ffmpeg 5.1 cannot mux HEVC
// into FLV, so ffmpeg encodes raw HEVC (libx265), our RtmpClient publishes it
// to our server, our client plays it back, and ffprobe decodes the result.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../mod.ts";
import {
  buildHevcDecoderConfig,
  joinLengthPrefixed,
  lengthPrefixedToAnnexB,
  splitAnnexB,
} from "../../../media/codec/mod.ts";
import { chunkFrame, RtmpClient } from "../../../protocols/rtmp/mod.ts";
import { ffprobe, missing, run, tempDir } from "../../_tools.ts";
import { startServer, until } from "./_server.ts";

function hevcFrames(annexB: Uint8Array): MediaFrame[] {
  const vps: Uint8Array[] = [], sps: Uint8Array[] = [], pps: Uint8Array[] = [];
  const units: Uint8Array[][] = [];
  let au: Uint8Array[] | null = null;
  for (const nal of splitAnnexB(annexB)) {
    const type = (nal[0]! >> 1) & 0x3f;
    if (type === 32) vps.push(nal);
    else if (type === 33) sps.push(nal);
    else if (type === 34) pps.push(nal);
    else if (type < 32) {
      const firstSlice = (nal[2]! & 0x80) !== 0;
      if (firstSlice || au === null) units.push(au = []);
      au.push(nal);
    }
  }
  const config: MediaFrame = {
    kind: "video",
    codec: "h265",
    trackId: 0,
    pts: 0,
    dts: 0,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: buildHevcDecoderConfig({
      vps: vps.slice(0, 1),
      sps: sps.slice(0, 1),
      pps: pps.slice(0, 1),
    }),
  };
  return [
    config,
    ...units.map((nals, i): MediaFrame => {
      const type = (nals[0]![0]! >> 1) & 0x3f;
      return {
        kind: "video",
        codec: "h265",
        trackId: 0,
        pts: i * 40,
        dts: i * 40,
        timescale: 1000,
        keyframe: type >= 16 && type <= 21,
        config: false,
        data: joinLengthPrefixed(nals),
      };
    }),
  ];
}

Deno.test({
  name:
    "HEVC over Enhanced RTMP: libx265 frames published by RtmpClient play back as hvc1 and decode in ffprobe",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using dir = await tempDir();
    const raw = `${dir.path}/in.hevc`;
    const enc = await run("ffmpeg", [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc=size=64x64:rate=25",
      "-frames:v",
      "30",
      "-c:v",
      "libx265",
      "-x265-params",
      "keyint=10:bframes=0:log-level=error",
      "-f",
      "hevc",
      raw,
    ]);
    assert.equal(enc.code, 0, enc.stderr);
    const frames = hevcFrames(await Deno.readFile(raw));
    assert.equal(frames.length, 31);
    // on the wire: Enhanced RTMP header with FourCC "hvc1"
    const wire = chunkFrame(frames[1]!, { chunkSize: 60000 });
    assert.equal(new TextDecoder().decode(wire.subarray(13, 17)), "hvc1");
    assert.equal(wire[12]! & 0x80, 0x80); // IsExHeader

    await using server = await startServer();
    const pub = await RtmpClient.connect(server.url);
    const publisher = await pub.publish("hevc");
    await publisher.writeFrames(frames);
    await until(() =>
      (server.engine.getStream("live/hevc")?.gopCache.size ?? 0) > 0
    );
    const sub = await RtmpClient.connect(server.url);
    const got: MediaFrame[] = [];
    const player = await sub.play("hevc");
    for await (const f of player) {
      got.push(f);
      if (got.length === 1 + 10) break; // config + last GOP (keyint 10)
    }
    await pub.close();
    await sub.close();
    assert.equal(got[0]!.codec, "h265");
    assert.equal(got[0]!.config, true);
    assert.deepEqual(got[0]!.data, frames[0]!.data);
    assert.equal(got[1]!.keyframe, true);
    const last = frames.slice(-10);
    // the player's timeline starts at its join (issue 20): dts from 0, same steps
    assert.equal(got[1]!.dts, 0);
    got.slice(1).forEach((f, i) => {
      assert.equal(f.dts, last[i]!.dts - last[0]!.dts);
      assert.deepEqual(f.data, last[i]!.data);
    });
    // decode what we played: Annex B with the parameter sets in front
    const cfg = splitAnnexB(await Deno.readFile(raw)).filter((n) =>
      ((n[0]! >> 1) & 0x3f) >= 32 && ((n[0]! >> 1) & 0x3f) <= 34
    ).slice(0, 3);
    const parts = [
      lengthPrefixedToAnnexB(joinLengthPrefixed(cfg)),
      ...got.slice(1).map((f) => lengthPrefixedToAnnexB(f.data)),
    ];
    const out = `${dir.path}/out.hevc`;
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    await Deno.writeFile(out, bytes);
    const probe = await ffprobe(out, ["-count_frames"]);
    assert.equal(probe.streams[0]!.codec_name, "hevc");
    assert.equal(probe.streams[0]!.width, 64);
    assert.equal(Number(probe.streams[0]!.nb_read_frames), 10);
  },
});
