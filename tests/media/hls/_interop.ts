// Interop helpers: package the demo clip with the real muxers into FsStorage
// and check the result with ffprobe, ffmpeg and hls-parser.
import assert from "node:assert/strict";
import * as HLS from "hls-parser";
import type { MediaFrame } from "../../../media/frame.ts";
import { readFlvFile } from "../../../media/flv/mod.ts";
import {
  HlsSegmenter,
  type HlsSegmenterOptions,
} from "../../../media/hls/mod.ts";
import { FsStorage } from "../../../media/storage/mod.ts";
import { ffprobe, run } from "../../_tools.ts";

/** The 10 s 640x360 H.264 Main + AAC-LC demo clip (1 s GOP), as frames. */
export async function sampleFrames(): Promise<MediaFrame[]> {
  const url = new URL("../../../examples/assets/sample.flv", import.meta.url);
  return readFlvFile(await Deno.readFile(url)).frames;
}

/** Package `frames` under `{root}/{prefix}` and return the segmenter. */
export async function packageTo(
  root: string,
  frames: readonly MediaFrame[],
  options: Omit<HlsSegmenterOptions, "storage">,
): Promise<HlsSegmenter> {
  const hls = new HlsSegmenter({
    ...options,
    storage: new FsStorage({ root }),
    onEvent: (event) => {
      if (event.type === "storageError" || event.type === "muxError") {
        throw new Error(
          `unexpected ${event.type}: ${
            String("error" in event ? event.error : "")
          }`,
        );
      }
    },
  });
  await ReadableStream.from(frames).pipeTo(hls.writable);
  return hls;
}

/** Checks every interop test makes on a finished playlist. */
export async function assertPlayable(
  playlistPath: string,
  expected: { durationS: number; targetDurationS: number },
): Promise<HLS.types.MediaPlaylist> {
  const playlist = HLS.parse(
    await Deno.readTextFile(playlistPath),
  ) as HLS.types.MediaPlaylist;
  assert.equal(playlist.endlist, true);
  assert.equal(playlist.targetDuration, expected.targetDurationS);
  for (const segment of playlist.segments) {
    assert.ok(
      Math.round(segment.duration) <= playlist.targetDuration,
      `${segment.uri}: ${segment.duration}`,
    );
  }
  const probe = await ffprobe(playlistPath);
  assert.equal(probe.stderr.trim(), "");
  const video = probe.streams.find((s) => s.codec_type === "video");
  const audio = probe.streams.find((s) => s.codec_type === "audio");
  assert.equal(video?.codec_name, "h264");
  assert.equal(video?.width, 640);
  assert.equal(video?.height, 360);
  assert.equal(audio?.codec_name, "aac");
  const duration = Number(probe.format.duration);
  assert.ok(
    Math.abs(duration - expected.durationS) < 0.15,
    `duration ${duration}`,
  );
  const listed = playlist.segments.reduce((sum, s) => sum + s.duration, 0);
  assert.ok(
    Math.abs(listed - duration) < 0.15,
    `EXTINF total ${listed} vs ffprobe ${duration}`,
  );
  const copy = await run("ffmpeg", [
    "-v",
    "error",
    "-i",
    playlistPath,
    "-c",
    "copy",
    "-f",
    "null",
    "-",
  ]);
  assert.equal(copy.code, 0, copy.stderr);
  assert.equal(copy.stderr.trim(), "", "ffmpeg -c copy reports errors");
  return playlist;
}
