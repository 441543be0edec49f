// Test helper: cut frames into fragments the way a segmenter does (at video
// keyframes, or every `targetMs` for audio-only) and mux init + fragments.
import type { MediaFrame } from "../../../media/frame.ts";
import { Fmp4Muxer } from "../../../media/fmp4/mod.ts";

/** What {@linkcode muxFragments} returns. */
export interface Muxed {
  muxer: Fmp4Muxer;
  init: Uint8Array;
  fragments: Uint8Array[];
  /** init + fragments concatenated: a fragmented .mp4 file. */
  file: Uint8Array;
}

/** Mux `frames` (configs first) into fragments of about `targetMs`. */
export function muxFragments(
  frames: readonly MediaFrame[],
  targetMs = 1000,
): Muxed {
  const muxer = new Fmp4Muxer();
  const media: MediaFrame[] = [];
  for (const f of frames) {
    if (f.config) muxer.configure(f);
    else media.push(f);
  }
  const hasVideo = media.some((f) => f.kind === "video");
  const fragments: Uint8Array[] = [];
  let start = 0;
  const flush = (end: number) => {
    const batch = media.slice(start, end);
    const next = media[end];
    const nextOf = (kind: "video" | "audio") =>
      media.slice(end).find((f) => f.kind === kind)?.dts;
    const video = nextOf("video");
    const audio = nextOf("audio");
    fragments.push(muxer.mux(batch, {
      sequenceNumber: fragments.length + 1,
      ...(next === undefined ? {} : { nextDts: next.dts }),
      nextDtsByKind: {
        ...(video === undefined ? {} : { video }),
        ...(audio === undefined ? {} : { audio }),
      },
    }));
    start = end;
  };
  for (let i = 1; i < media.length; i++) {
    const f = media[i]!;
    const first = media[start]!;
    const elapsed = ((f.dts - first.dts) * 1000) / f.timescale;
    const cut = hasVideo ? f.kind === "video" && f.keyframe : true;
    if (cut && elapsed >= targetMs) flush(i);
  }
  if (start < media.length) flush(media.length);
  const init = muxer.initSegment()!;
  const file = new Uint8Array(
    init.length + fragments.reduce((n, f) => n + f.length, 0),
  );
  let offset = 0;
  for (const part of [init, ...fragments]) {
    file.set(part, offset);
    offset += part.length;
  }
  return { muxer, init, fragments, file };
}
