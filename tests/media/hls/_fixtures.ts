// Shared helpers for the HLS tests: an in-test Muxer and synthetic frames.
import type { MediaFrame } from "../../../media/frame.ts";
import type { Muxer, MuxOptions } from "../../../media/muxer.ts";

/** A Muxer that records its calls; each output byte is one frame's low dts byte. */
export class RecordingMuxer implements Muxer {
  readonly format: "mpegts" | "fmp4";
  readonly extension: string;
  readonly mimeType: string;
  readonly configured: MediaFrame[] = [];
  readonly calls: {
    frames: readonly MediaFrame[];
    options: MuxOptions | undefined;
  }[] = [];
  init: Uint8Array | null;
  fail = false;

  constructor(format: "mpegts" | "fmp4" = "mpegts") {
    this.format = format;
    this.extension = format === "fmp4" ? "m4s" : "ts";
    this.mimeType = format === "fmp4" ? "video/mp4" : "video/mp2t";
    this.init = format === "fmp4"
      ? new Uint8Array([0x69, 0x6e, 0x69, 0x74])
      : null;
  }
  configure(frame: MediaFrame): void {
    this.configured.push(frame);
  }
  initSegment(): Uint8Array | null {
    return this.init;
  }
  mux(frames: readonly MediaFrame[], options?: MuxOptions): Uint8Array {
    if (this.fail) throw new Error("mux failed");
    this.calls.push({ frames: [...frames], options });
    return Uint8Array.from(frames, (f) => f.dts & 0xff);
  }
}

/** Options for {@linkcode avStream}. */
export interface AvStreamOptions {
  seconds: number;
  fps?: number;
  gopFrames?: number;
  audio?: boolean;
  startMs?: number;
}

/** Config frames then interleaved 1000-timescale video/audio frames in dts order. */
export function avStream(options: AvStreamOptions): MediaFrame[] {
  const fps = options.fps ?? 30;
  const gop = options.gopFrames ?? fps;
  const start = options.startMs ?? 0;
  const frames: MediaFrame[] = [
    frame("video", start, true, true),
  ];
  if (options.audio !== false) frames.push(frame("audio", start, true, true));
  const media: MediaFrame[] = [];
  const videoCount = Math.round(options.seconds * fps);
  for (let i = 0; i < videoCount; i++) {
    media.push(
      frame("video", start + Math.round((i * 1000) / fps), i % gop === 0),
    );
  }
  if (options.audio !== false) {
    const audioCount = Math.floor((options.seconds * 48000) / 1024);
    for (let i = 0; i < audioCount; i++) {
      media.push(
        frame("audio", start + Math.round((i * 1024 * 1000) / 48000), true),
      );
    }
  }
  media.sort((a, b) => a.dts - b.dts || (a.kind === "video" ? -1 : 1));
  return [...frames, ...media];
}

function frame(
  kind: "video" | "audio",
  dts: number,
  keyframe: boolean,
  config = false,
): MediaFrame {
  return {
    kind,
    codec: kind === "video" ? "h264" : "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config,
    data: new Uint8Array([1, 2, 3]),
  };
}

/** Push every frame. */
export async function pushAll(
  target: { push(frame: MediaFrame): Promise<void> },
  frames: readonly MediaFrame[],
): Promise<void> {
  for (const f of frames) await target.push(f);
}

/** Text of a stored object. */
export async function text(
  storage: { get(key: string): Promise<Uint8Array | null> },
  key: string,
): Promise<string> {
  const bytes = await storage.get(key);
  if (!bytes) throw new Error(`missing ${key}`);
  return new TextDecoder().decode(bytes);
}
