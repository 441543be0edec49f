// HlsSegmenter while the publisher is silent (a dropped encoder within the
// publisher grace period): `idle()` keeps the playlist's timeline at the wall
// clock, with still-picture segments (the last keyframe, on the timeline of
// the media before the gap) for video and EXT-X-GAP segments for audio-only
// streams; media that returns starts with EXT-X-DISCONTINUITY. Checked on
// the bytes the real fMP4 muxer writes (tfdt continuity, one sample per
// still segment lasting the EXTINF) and on the playlist (PDT continuity, no
// ENDLIST). Shaka Player needs this: its live edge runs on the wall clock
// and it evicts every listed segment once the edge passes them.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../../media/frame.ts";
import { HlsSegmenter } from "../../../media/hls/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { ASC_48K_STEREO, AVCC_320X240 } from "../fmp4/_configs.ts";
import { parseFragment } from "../fmp4/_fragment_reader.ts";
import { avStream } from "./_fixtures.ts";
import { demuxAll } from "../mpegts/_demux_helpers.ts";
import { missing } from "../../_tools.ts";

const T0 = 1_800_000_000_000;

/** avStream frames with real configuration records and distinct keyframe bytes. */
function realFrames(
  seconds: number,
  audio: boolean,
  video = true,
): MediaFrame[] {
  return avStream({ seconds, audio }).filter((f) => video || f.kind !== "video")
    .map((f) => {
      if (f.config) {
        return {
          ...f,
          data: f.kind === "video" ? AVCC_320X240 : ASC_48K_STEREO,
        };
      }
      return { ...f, data: new Uint8Array([0, 0, 0, 2, 0x09, f.dts & 0xff]) };
    });
}

interface Listed {
  uri: string;
  durationS: number;
  pdtMs: number;
  gap: boolean;
  discontinuity: boolean;
}

function listed(playlist: string): Listed[] {
  const out: Listed[] = [];
  let pdtMs = NaN;
  let gap = false;
  let discontinuity = false;
  let durationS = NaN;
  for (const line of playlist.split("\n")) {
    if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) {
      pdtMs = Date.parse(line.slice(25));
    } else if (line === "#EXT-X-GAP") gap = true;
    else if (line === "#EXT-X-DISCONTINUITY") discontinuity = true;
    else if (line.startsWith("#EXTINF:")) durationS = parseFloat(line.slice(8));
    else if (line !== "" && !line.startsWith("#")) {
      out.push({ uri: line, durationS, pdtMs, gap, discontinuity });
      gap = false;
      discontinuity = false;
    }
  }
  return out;
}

/** A segmenter on a wall clock the test moves; frames pushed in real time. */
function rig(prefix: string, format: "fmp4" | "ts" = "fmp4") {
  const storage = new MemoryStorage();
  const clock = { now: T0 };
  const hls = new HlsSegmenter({
    storage,
    prefix,
    format,
    targetDurationMs: 1000,
    windowSize: 20,
    wallClock: () => clock.now,
  });
  const play = async (frames: MediaFrame[], wallStart: number) => {
    for (const frame of frames) {
      if (!frame.config) clock.now = wallStart + frame.dts;
      await hls.push(frame);
      await hls.idle(); // media flows: never a gap
    }
  };
  const get = async (uri: string) => (await storage.get(`${prefix}/${uri}`))!;
  return { storage, clock, hls, play, get };
}

Deno.test("HlsSegmenter.idle: a silent publisher's gap is filled with still-picture segments on the old timeline, the next session starts with DISCONTINUITY", async () => {
  const { clock, hls, play, get } = rig("live/drop");
  await play(realFrames(2.5, true), T0);
  const before = listed(hls.playlist());
  assert.equal(before.length, 2, hls.playlist());
  assert.ok(before.every((s) => !s.gap && !s.discontinuity));

  // Silence: nothing before half a target duration, then a still segment
  // from the end of the media up to now, then one per target duration.
  const lastMediaWall = clock.now;
  clock.now = lastMediaWall + 300;
  await hls.idle();
  assert.equal(listed(hls.playlist()).length, 2, "no stall after 0.3 s");
  clock.now = lastMediaWall + 600;
  await hls.idle();
  clock.now += 1000;
  await hls.idle();
  clock.now += 400; // the publisher is back: the rest is listed too
  const resumedAt = clock.now;
  await play(realFrames(2.2, true), resumedAt);
  await hls.idle();

  const all = listed(hls.playlist());
  assert.doesNotMatch(hls.playlist(), /#EXT-X-ENDLIST/);
  // seg0, seg1 (media), seg2 (closed at the drop), seg3..5 (stills), seg6.. (new session)
  const stills = all.slice(3, 6);
  assert.deepEqual(all.slice(0, 6).map((s) => s.discontinuity), [
    false,
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.ok(stills.every((s) => !s.gap), "stills are loadable media");
  assert.equal(all[6]!.discontinuity, true, "the new session is marked");
  assert.equal(all[6]!.gap, false);
  // EXT-X-PROGRAM-DATE-TIME runs on without a jump into the new session.
  for (let i = 1; i <= 6; i++) {
    const prev = all[i - 1]!;
    assert.ok(
      Math.abs(all[i]!.pdtMs - (prev.pdtMs + prev.durationS * 1000)) <= 2,
      `PDT of ${all[i]!.uri} follows ${prev.uri}`,
    );
  }
  assert.ok(Math.abs(all[6]!.pdtMs - resumedAt) <= 2, "new session at now");
  assert.ok(stills.every((s) => s.durationS <= 1), "EXTINF <= TARGETDURATION");

  // The bytes: each still is one video sample (the last keyframe) lasting
  // its EXTINF, its tfdt where the media before it ended.
  const dropped = parseFragment(await get(all[2]!.uri));
  const stillTrack = parseFragment(await get(stills[0]!.uri)).trafs[0]!.trackId;
  const video = dropped.trafs.find((t) => t.trackId === stillTrack)!;
  assert.ok(video.samples.length > 0);
  let expectedTfdt = video.baseMediaDecodeTime +
    video.samples.reduce((sum, s) => sum + s.duration, 0);
  for (const still of stills) {
    const fragment = parseFragment(await get(still.uri));
    assert.equal(fragment.trafs.length, 1, "video only");
    const [traf] = fragment.trafs;
    assert.equal(traf!.trackId, video.trackId);
    assert.equal(traf!.samples.length, 1);
    assert.ok(
      Math.abs(traf!.baseMediaDecodeTime - expectedTfdt) <= 1,
      `${still.uri}: tfdt ${
        traf!.baseMediaDecodeTime
      }, expected ${expectedTfdt}`,
    );
    const sample = traf!.samples[0]!;
    assert.ok(
      Math.abs(sample.duration - still.durationS * 90_000) <= 2,
      `${still.uri}: sample lasts ${sample.duration} of ${still.durationS} s`,
    );
    // The keyframe at 2 s (the fixture's last byte is dts & 0xff).
    assert.deepEqual([...sample.data], [0, 0, 0, 2, 0x09, 2000 & 0xff]);
    expectedTfdt += sample.duration;
  }
  // The new session's media restarts its own timeline behind the marker.
  const next = parseFragment(await get(all[6]!.uri));
  assert.ok(next.trafs.every((t) => t.baseMediaDecodeTime < 90_000));
  await hls.end();
  assert.match(hls.playlist(), /#EXT-X-ENDLIST\n$/);
});

Deno.test("HlsSegmenter: audio-only fMP4 segments are .m4a (Shaka types .m4s as video first); a silent publisher's gap is EXT-X-GAP with an empty file", async () => {
  const { clock, hls, play, get } = rig("live/radio");
  await play(realFrames(2.5, true, false), T0);
  assert.match(hls.playlist(), /#EXT-X-MAP:URI="init\.mp4"\n/);
  const media = listed(hls.playlist());
  assert.ok(media.length >= 2);
  assert.ok(media.every((s) => /^seg\d+\.m4a$/.test(s.uri)), hls.playlist());
  assert.equal(hls.segmentState(media[0]!.uri), "live");
  assert.equal(hls.segmentState("seg0.m4s"), "live"); // same segment number
  assert.equal(hls.segmentState("seg0.ts"), "unknown");
  const fragment = parseFragment(await get(media[0]!.uri));
  assert.equal(fragment.trafs.length, 1);

  clock.now += 1700;
  await hls.idle();
  const all = listed(hls.playlist());
  const gaps = all.filter((s) => s.gap);
  assert.ok(gaps.length >= 2, hls.playlist());
  for (const gap of gaps) {
    assert.equal((await get(gap.uri)).length, 0, `${gap.uri} stored empty`);
    assert.equal(hls.segmentState(gap.uri), "unknown", "GAP: 404 by state");
  }
  const listedEnd = all.at(-1)!.pdtMs + all.at(-1)!.durationS * 1000;
  assert.ok(Math.abs(listedEnd - clock.now) <= 2, "listed up to now");
  assert.doesNotMatch(hls.playlist(), /#EXT-X-ENDLIST/);
  await hls.end();
});

Deno.test("HlsSegmenter.idle (LL-HLS): no playlist published at the stall hints a part of the filler segment; parts go on after the DISCONTINUITY", async () => {
  const storage = new MemoryStorage();
  const published: string[] = [];
  const put = storage.put.bind(storage);
  storage.put = (key, bytes, options) => {
    if (key.endsWith("index.m3u8")) {
      published.push(new TextDecoder().decode(bytes));
    }
    return put(key, bytes, options);
  };
  const clock = { now: T0 };
  const hls = new HlsSegmenter({
    storage,
    prefix: "live/ll",
    format: "fmp4",
    targetDurationMs: 1000,
    partTargetMs: 334,
    windowSize: 20,
    wallClock: () => clock.now,
  });
  for (const frame of realFrames(2.5, true)) {
    if (!frame.config) clock.now = T0 + frame.dts;
    await hls.push(frame);
  }
  const before = published.length;
  clock.now += 1200;
  await hls.idle();
  const atStall = published.slice(before);
  assert.ok(atStall.length >= 2, "the close and the filler are published");
  // The close of the open segment and the fillers: no hint at all (the
  // next segment is a filler without parts, so a hinted part would never
  // come and hls.js fails the playlist that lists the filler instead).
  const fillers = listed(atStall.at(-1)!).filter((seg) =>
    seg.pdtMs >= T0 + 2500
  );
  assert.ok(fillers.length >= 1, atStall.at(-1));
  for (const text of atStall) {
    assert.doesNotMatch(text, /#EXT-X-PRELOAD-HINT/, text);
    // hls.js takes an LL-HLS playlist's last segment for the one being
    // filled when the playlist ends on its URI: a tag (the next segment's
    // date, or the open segment's parts) always follows.
    assert.match(text, /\n#EXT[^\n]+\n$/, text);
  }
  const resumedAt = clock.now;
  for (const frame of realFrames(1.5, true)) {
    if (!frame.config) clock.now = resumedAt + frame.dts;
    await hls.push(frame);
  }
  const after = hls.playlist();
  assert.match(after, /#EXT-X-DISCONTINUITY\n/);
  assert.match(after, /#EXT-X-PRELOAD-HINT:TYPE=PART/);
  await hls.end();
});

Deno.test({
  name:
    "HlsSegmenter.idle (MPEG-TS): a still-picture segment of an audio+video stream carries silent AAC on the audio timeline, so a player joining on it sets up both tracks",
  ignore: missing("ffprobe"),
  async fn() {
    const { clock, hls, play, get } = rig("live/ts-drop", "ts");
    await play(realFrames(2.5, true), T0);
    const lastMediaWall = clock.now;
    clock.now = lastMediaWall + 600;
    await hls.idle();
    clock.now += 1000;
    await hls.idle();
    const all = listed(hls.playlist());
    const media = demuxAll(await get(all[1]!.uri)).frames;
    const stills = all.slice(3);
    assert.ok(stills.length >= 1, hls.playlist());
    let audioEnd = -Infinity;
    for (const frame of media) {
      if (frame.kind === "audio" && !frame.config) {
        audioEnd = Math.max(audioEnd, frame.dts / frame.timescale);
      }
    }
    for (const still of stills) {
      const frames = demuxAll(await get(still.uri)).frames.filter((f) =>
        !f.config
      );
      const audio = frames.filter((f) => f.kind === "audio");
      // ffprobe reads the segment as a player would: one picture, the audio.
      const path = await Deno.makeTempFile({ suffix: ".ts" });
      await Deno.writeFile(path, await get(still.uri));
      const probe = await new Deno.Command("ffprobe", {
        args: [
          "-v",
          "error",
          "-count_packets",
          "-show_entries",
          "stream=codec_type,nb_read_packets",
          "-of",
          "csv=p=0",
          path,
        ],
      }).output();
      await Deno.remove(path);
      // (csv lists each stream once per program and once more: deduplicated)
      const counts = [
        ...new Set(
          new TextDecoder().decode(probe.stdout).split("\n").filter((l) => l),
        ),
      ].sort();
      assert.deepEqual(counts, [`audio,${audio.length}`, "video,1"], still.uri);
      // 48 kHz, 1,024 samples per frame: the EXTINF's worth of silence.
      const expected = still.durationS * 48_000 / 1024;
      assert.ok(
        Math.abs(audio.length - expected) <= 1.5,
        `${still.uri}: ${audio.length} silent frames for ${still.durationS} s`,
      );
      assert.ok(
        audio.every((f) => f.codec === "aac" && f.data.length === 7),
        "silent stereo AAC-LC raw frames (a CPE with no spectral data)",
      );
      const first = audio[0]!.dts / audio[0]!.timescale;
      assert.ok(
        first > audioEnd - 0.001,
        "the silence follows the media's audio",
      );
      audioEnd = audio.at(-1)!.dts / audio.at(-1)!.timescale;
    }
  },
});
