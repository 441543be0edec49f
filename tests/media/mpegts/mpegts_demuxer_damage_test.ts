// MpegTsDemuxer on damaged real input (ffmpeg-made TS): lost packets, a
// flipped continuity counter and a lost sync byte are reported, the damaged
// access units dropped, video resumes at the next keyframe, every frame that
// comes out is byte-identical to the clean run, and the remuxed FLV decodes
// in ffmpeg with zero errors.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { missing, tempDir } from "../../_tools.ts";
import { bytesEqual, concat, demuxAll } from "./_demux_helpers.ts";
import { assertDecodesClean, ffmpegTs } from "./_demux_interop.ts";

const pidOf = (ts: Uint8Array, p: number) =>
  ((ts[p + 1]! & 0x1f) << 8) | ts[p + 2]!;

/** Index of the first packet of `pid` at or after `from` that starts no PES. */
function midPesPacket(ts: Uint8Array, pid: number, from: number): number {
  for (let p = from * 188; p < ts.length; p += 188) {
    if (pidOf(ts, p) === pid && (ts[p + 1]! & 0x40) === 0) return p / 188;
  }
  throw new Error(`no packet of PID ${pid}`);
}

const key = (f: MediaFrame) => `${f.kind}:${f.trackId}:${f.dts}`;

const CASES = [
  {
    name: "H.264 (B-frames) + AAC",
    video: ["-c:v", "libx264", "-preset", "ultrafast", "-bf", "2", "-g", "10"],
    audio: ["-c:a", "aac"],
    remux: "flv",
  },
  {
    name: "H.265 (CRA + RASL) + Opus",
    video: [
      "-c:v",
      "libx265",
      "-preset",
      "ultrafast",
      "-x265-params",
      "bframes=3:keyint=10:log-level=error",
    ],
    audio: ["-c:a", "libopus"],
    remux: "mp4",
  },
] as const; // deno-fmt-ignore

for (const c of CASES) {
  Deno.test({
    name: `demuxer damage, ${c.name}: lost packets, flipped CC, lost sync → events, no garbled frame, keyframe recovery`,
    ignore: missing("ffmpeg"),
    fn: () => damageRun(c.video, c.audio, c.remux),
  });
}

async function damageRun(
  videoArgs: readonly string[],
  audioArgs: readonly string[],
  remux: "flv" | "mp4",
): Promise<void> {
  {
    await using dir = await tempDir();
    const path = `${dir.path}/clean.ts`;
    await ffmpegTs(path, { video: [...videoArgs], audio: [...audioArgs] });
    const clean = await Deno.readFile(path);
    const reference = demuxAll(clean, 1316);
    const [video, audio] = [
      reference.demuxer.streams.find((s) => s.kind === "video")!.pid,
      reference.demuxer.streams.find((s) => s.kind === "audio")!.pid,
    ];
    const packets = clean.length / 188;
    // 1. five video packets lost in the middle of a PES, at 30 %.
    const lost = midPesPacket(clean, video, Math.floor(packets * 0.3));
    // 2. one audio packet's continuity counter flipped, at 55 %.
    const flipped = midPesPacket(clean, audio, Math.floor(packets * 0.55));
    // 3. 100 bytes cut out of a packet (sync lost), at 80 %.
    const cut = Math.floor(packets * 0.8);
    const damaged = clean.slice();
    damaged[flipped * 188 + 3]! ^= 0x05;
    const ts = concat([
      damaged.subarray(0, lost * 188),
      damaged.subarray((lost + 5) * 188, cut * 188 + 50),
      damaged.subarray(cut * 188 + 150),
    ]);
    const { frames, events, demuxer } = demuxAll(ts, 1316);
    const stats = demuxer.stats;
    const types = events.map((e) => e.type);
    assert.ok(
      events.some((e) => e.type === "continuityError" && e.pid === video),
      `video CC error reported: ${types}`,
    );
    assert.ok(
      events.some((e) => e.type === "continuityError" && e.pid === audio),
      "audio CC error reported",
    );
    assert.ok(events.some((e) => e.type === "resync"), "resync reported");
    assert.ok(stats.resyncs >= 1 && stats.continuityErrors >= 2);
    assert.ok(
      stats.droppedAccessUnits >= 2,
      `dropped ${stats.droppedAccessUnits}`,
    );
    assert.ok(
      events.some((e) => e.type === "pesDropped" && e.reason === "continuity"),
    );

    // No garbled frame: every output frame is the clean run's frame, bytes equal.
    const byKey = new Map(
      reference.frames.filter((f) => !f.config).map((f) => [key(f), f]),
    );
    const media = frames.filter((f) => !f.config);
    for (const f of media) {
      const g = byKey.get(key(f));
      assert.ok(g !== undefined, `frame ${key(f)} not in the clean run`);
      assert.ok(bytesEqual(f.data, g.data), `frame ${key(f)} bytes differ`);
      assert.equal(f.keyframe, g.keyframe);
    }
    // Video resumes at a keyframe after every gap.
    const cleanVideo = reference.frames.filter((f) =>
      f.kind === "video" && !f.config
    );
    const index = new Map(cleanVideo.map((f, i) => [f.dts, i]));
    const outVideo = media.filter((f) => f.kind === "video");
    // A gap either ends at a keyframe (resume after damage) or holds only
    // leading pictures of the keyframe we resumed at (RASL after a CRA: they
    // reference pictures before it, which are gone).
    let gaps = 0;
    let keyPts = -Infinity;
    for (let i = 0; i < outVideo.length; i++) {
      const f = outVideo[i]!;
      const from = i === 0 ? -1 : index.get(outVideo[i - 1]!.dts)!;
      const missing = cleanVideo.slice(from + 1, index.get(f.dts)!);
      if (f.keyframe) {
        if (missing.length > 0 && i > 0) gaps++;
        keyPts = f.pts;
      } else {
        assert.ok(
          missing.every((m) => m.pts < keyPts),
          `video frame #${i} after a gap of non-leading pictures is no keyframe`,
        );
      }
    }
    assert.ok(gaps >= 2, `video gaps: ${gaps}`);
    assert.ok(outVideo.length > cleanVideo.length * 0.5, "video recovered");
    assert.ok(
      outVideo.at(-1)!.dts === cleanVideo.at(-1)!.dts,
      "video runs to the end after the last damage",
    );
    await assertDecodesClean(frames, `${dir.path}/damaged.${remux}`, remux);
  }
}
