import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import {
  formatDuration,
  type HlsSegment,
  renderMasterPlaylist,
  renderMediaPlaylist,
} from "../../../media/hls/mod.ts";

const segment = (msn: number, extra: Partial<HlsSegment> = {}): HlsSegment => ({
  msn,
  uri: `seg${msn}.m4s`,
  durationS: 2,
  discontinuity: false,
  parts: [],
  mapUri: "init.mp4",
  ...extra,
});

Deno.test("renderMediaPlaylist() writes EXT-X-MAP only when it changes and keeps discontinuity state", () => {
  const text = renderMediaPlaylist({
    version: 7,
    targetDurationS: 2,
    mediaSequence: 10,
    discontinuitySequence: 3,
    independentSegments: true,
    segments: [
      segment(10, { programDateTimeMs: Date.UTC(2026, 0, 1, 12) }),
      segment(11),
      segment(12, { discontinuity: true, mapUri: "init1.mp4" }),
    ],
    ended: false,
  });
  assert.equal(text.match(/#EXT-X-MAP/g)?.length, 2);
  const playlist = HLS.parse(text) as HLS.types.MediaPlaylist;
  assert.equal(playlist.mediaSequenceBase, 10);
  assert.equal(playlist.discontinuitySequenceBase, 3);
  assert.deepEqual(playlist.segments.map((s) => s.map?.uri), [
    "init.mp4",
    "init.mp4",
    "init1.mp4",
  ]);
  assert.equal(playlist.segments[2]!.discontinuity, true);
  assert.equal(
    playlist.segments[0]!.programDateTime?.toISOString(),
    "2026-01-01T12:00:00.000Z",
  );
  assert.match(text, /^#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n/);
  assert.ok(text.endsWith("seg12.m4s\n"));
});

Deno.test("renderMediaPlaylist() lists an open LL-HLS segment as parts and a preload hint", () => {
  const parts = [
    { uri: "seg3.0.m4s", durationS: 0.33367, independent: true },
    { uri: "seg3.1.m4s", durationS: 0.333, independent: false },
  ];
  const text = renderMediaPlaylist({
    version: 9,
    targetDurationS: 2,
    mediaSequence: 0,
    discontinuitySequence: 0,
    segments: [segment(0), segment(1), segment(2), {
      ...segment(3),
      durationS: undefined,
      parts,
    }],
    ended: false,
    partTargetS: 0.334,
    preloadHintUri: "seg3.2.m4s",
    canSkipUntilS: 12,
  });
  assert.match(
    text,
    /#EXTINF:2,\nseg2.m4s\n#EXT-X-PART:DURATION=0.33367,URI="seg3.0.m4s",INDEPENDENT=YES\n#EXT-X-PART:DURATION=0.333,URI="seg3.1.m4s"\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg3.2.m4s"\n$/,
  );
  const playlist = HLS.parse(text) as HLS.types.MediaPlaylist;
  assert.equal(playlist.lowLatencyCompatibility?.partHoldBack, 1.002);
  assert.equal(playlist.lowLatencyCompatibility?.canSkipUntil, 12);
  assert.equal(
    playlist.prefetchSegments.length + playlist.segments.length >= 3,
    true,
  );
});

Deno.test("renderMediaPlaylist() delta update skips only segments before the skip boundary", () => {
  const input = {
    version: 9,
    targetDurationS: 2,
    mediaSequence: 0,
    discontinuitySequence: 0,
    segments: Array.from({ length: 10 }, (_, i) => segment(i)),
    ended: false,
    partTargetS: 0.5,
    canSkipUntilS: 12,
  };
  // 20 s listed; the last 12 s (6 segments) must stay, so 4 are skipped.
  assert.match(
    renderMediaPlaylist({ ...input, skip: true }),
    /#EXT-X-SKIP:SKIPPED-SEGMENTS=4\n#EXT-X-MAP:URI="init.mp4"\n/,
  );
  assert.doesNotMatch(renderMediaPlaylist(input), /EXT-X-SKIP/);
  assert.doesNotMatch(
    renderMediaPlaylist({
      ...input,
      segments: input.segments.slice(0, 6),
      skip: true,
    }),
    /EXT-X-SKIP/,
  );
});

Deno.test("renderMasterPlaylist() omits what it does not know and parses with hls-parser", () => {
  const text = renderMasterPlaylist([
    {
      uri: "hi/index.m3u8",
      bandwidth: 2_500_000.4,
      codecs: ["avc1.64001f", "mp4a.40.2"],
      width: 1280,
      height: 720,
      frameRate: 29.97,
    },
    { uri: "audio/index.m3u8", bandwidth: 96_000, codecs: ["mp4a.40.2"] },
  ]);
  const master = HLS.parse(text) as HLS.types.MasterPlaylist;
  assert.equal(master.variants.length, 2);
  assert.equal(master.variants[0]!.bandwidth, 2_500_000);
  assert.deepEqual(master.variants[0]!.resolution, {
    width: 1280,
    height: 720,
  });
  assert.equal(master.variants[0]!.frameRate, 29.97);
  assert.equal(master.variants[1]!.resolution, undefined);
  assert.doesNotMatch(
    text.split("\n").find((l) => l.includes("96000"))!,
    /RESOLUTION|FRAME-RATE/,
  );
});

Deno.test("formatDuration() keeps 10 µs precision without trailing zeros", () => {
  assert.equal(formatDuration(0), "0");
  assert.equal(formatDuration(2.5), "2.5");
  assert.equal(formatDuration(1.000004), "1");
  assert.equal(formatDuration(0.033366), "0.03337");
});
