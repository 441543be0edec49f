// Fault: RTMP's 32-bit millisecond timestamps wrap (RTMP §5.3.1.2.1, every
// ~49.7 days of a stream). A real clip is published with RtmpClient so that
// its timestamps cross 2^32 ms on the wire. The kernel must see the original,
// monotonic timeline (TimestampUnwrapper per track), the RTMP player its own
// timeline from its join (the published one shifted by one epoch), the
// HTTP-FLV tags must stay continuous modulo 2^32 (FLV has 32-bit timestamps),
// and HLS must not see a jump: no EXT-X-DISCONTINUITY, segment durations as
// published, and ffprobe reads the fMP4 output with monotonic timestamps.
import assert from "node:assert/strict";
import { readFlvFile } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { missing, run } from "../_tools.ts";
import {
  flvViewer,
  playlistText,
  startOrigin,
  until,
  within,
} from "./_origin.ts";

const WRAP = 0x100000000;
const OFFSET = WRAP - 3000; // the wrap happens 3 s into the clip
const CLIP = readFlvFile(
  Deno.readFileSync(
    new URL("../../examples/assets/sample.flv", import.meta.url),
  ),
).frames
  .filter((f) => f.config || f.dts < 8000)
  .map((f) => ({ ...f, dts: f.dts + OFFSET, pts: f.pts + OFFSET }));
const media = (frames: readonly MediaFrame[], kind: "video" | "audio") =>
  frames.filter((f) => f.kind === kind && !f.config).map((f) => f.dts);

Deno.test({
  name:
    "fault: RTMP timestamps crossing 2^32 ms stay monotonic in the kernel, RTMP, HTTP-FLV and HLS",
  ignore: missing("ffprobe"),
  async fn() {
    const storage = new MemoryStorage();
    await using origin = await startOrigin({ storage });
    const client = await RtmpClient.connect(origin.rtmpUrl);
    const publisher = await client.publish("cam");
    const head = CLIP.filter((f) => f.config || f.dts < OFFSET + 1000);
    await publisher.writeFrames(head);
    await until(
      () => origin.engine.getStream("live/cam") !== undefined,
      5000,
      "publish",
    );
    const kernel = origin.engine.getStream("live/cam")!.subscribe();
    const seen: MediaFrame[] = [];
    const collecting = (async () => {
      for await (const f of kernel) seen.push(f);
    })();
    const viewer = flvViewer(`${origin.httpUrl}/live/cam.flv`);
    const rtmpViewer = await RtmpClient.connect(origin.rtmpUrl);
    const player = await rtmpViewer.play("cam");
    const played: MediaFrame[] = [];
    const playing = (async () => {
      for await (const f of player) played.push(f);
    })();
    await until(
      () => viewer.received() > 0 && played.length > 0,
      5000,
      "viewers",
    );
    await publisher.writeFrames(CLIP.slice(head.length));
    const last = CLIP.at(-1)!.dts;
    await until(
      () => seen.some((f) => f.dts === last),
      5000,
      "last frame in the kernel",
    );
    await until(
      async () =>
        (await playlistText(origin, "live/cam")).split("#EXTINF").length >= 7,
      8000,
      "segments",
    );
    await publisher.close();
    await client.close();
    await within(collecting, 10_000, "kernel subscriber end");
    assert.equal(await within(viewer.done, 10_000, "HTTP-FLV end"), "ended");
    await within(playing, 10_000, "RTMP player end");
    await rtmpViewer.close();

    const rtmpEpochs = new Set<number>();
    for (const kind of ["video", "audio"] as const) {
      const sent = media(CLIP, kind);
      // Kernel: exactly the published (unwrapped) timeline, from its first frame.
      const got = media(seen, kind);
      assert.deepEqual(
        got,
        sent.slice(sent.indexOf(got[0]!)),
        `kernel ${kind} timeline`,
      );
      assert.ok(
        got.some((d) => d < WRAP) && got.some((d) => d > WRAP),
        `kernel ${kind} crosses 2^32`,
      );
      // RTMP player: its own timeline from its join (issue 20 fault 4), the
      // published one shifted by one epoch for both kinds, across the wrap.
      const rtmp = media(played, kind);
      const tail = sent.slice(sent.length - rtmp.length);
      const epoch = tail[0]! - rtmp[0]!;
      rtmpEpochs.add(epoch);
      assert.ok(rtmp[0]! < 1000, `RTMP player ${kind} starts at ${rtmp[0]}`);
      assert.deepEqual(
        rtmp,
        tail.map((d) => d - epoch),
        `RTMP player ${kind} timeline`,
      );
      assert.ok(tail.some((d) => d > WRAP), `RTMP player ${kind} crosses 2^32`);
      // HTTP-FLV: 32-bit tag timestamps, continuous modulo 2^32.
      const flv = media(readFlvFile(viewer.bytes()).frames, kind);
      const expected = sent.slice(sent.findIndex((d) => d % WRAP === flv[0]));
      assert.deepEqual(
        flv,
        expected.map((d) => d % WRAP),
        `HTTP-FLV ${kind} tag timestamps`,
      );
    }
    assert.equal(
      rtmpEpochs.size,
      1,
      "one epoch for the RTMP player's video and audio",
    );

    // HLS: no discontinuity, durations as published, ffprobe sees monotonic time.
    const playlist = await playlistText(origin, "live/cam");
    assert.doesNotMatch(playlist, /#EXT-X-DISCONTINUITY\b/, playlist);
    assert.equal(
      origin.hlsEvents.filter(({ event }) => event.type === "discontinuity")
        .length,
      0,
    );
    const segs = playlist.split("\n").filter((l) => /^seg\d+\.m4s$/.test(l));
    const durations = [...playlist.matchAll(/#EXTINF:([\d.]+)/g)].map((m) =>
      Number(m[1])
    );
    for (const d of durations.slice(0, -1)) {
      assert.ok(d > 0.5 && d <= 1.5, `segment duration ${d} s`);
    }
    const parts = [await storage.get("live/cam/init.mp4")];
    for (const s of segs) parts.push(await storage.get(`live/cam/${s}`));
    const file = await Deno.makeTempFile({ suffix: ".mp4" });
    try {
      await Deno.writeFile(
        file,
        new Uint8Array(parts.flatMap((p) => [...(p ?? [])])),
      );
      const probe = await run("ffprobe", [
        "-v",
        "error",
        "-select_streams",
        "v:0",
        "-show_entries",
        "packet=dts",
        "-of",
        "csv=p=0",
        file,
      ]); // deno-fmt-ignore
      assert.equal(probe.code, 0, probe.stderr);
      const dts = probe.stdout.trim().split("\n").map(Number);
      assert.ok(dts.length > 100, `${dts.length} video packets`);
      for (let i = 1; i < dts.length; i++) {
        const step = dts[i]! - dts[i - 1]!;
        assert.ok(
          step > 0 && step < 200 * 90,
          `ffprobe dts step ${step} at packet ${i}`,
        ); // 90 kHz
      }
    } finally {
      await Deno.remove(file);
    }
    assert.deepEqual(origin.errors, []);
  },
});
