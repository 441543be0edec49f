// MetadataTracker: per-track codec facts, learned from configuration frames
// (called once per config frame, never per media frame).
import type { CodecId, MediaFrame, TrackKind } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
import { parseCodecConfig } from "../media/codec/mod.ts";
import type { StreamMetadata, TrackMetadata } from "./metadata.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const KIND_ORDER: Record<TrackKind, number> = { video: 0, audio: 1, data: 2 };

export class MetadataTracker {
  readonly #tracks = new Map<string, Mutable<TrackMetadata>>();
  readonly #onError: (error: StreamError) => void;
  #snapshot: StreamMetadata | undefined;

  constructor(onError: (error: StreamError) => void) {
    this.#onError = onError;
  }

  /** First media frame of a track: record its codec. */
  seen(frame: MediaFrame): void {
    this.#track(frame);
  }

  /**
   * A configuration frame: replace the track's facts with the parsed ones
   * (a new sequence header may change resolution or sample rate). A record
   * that does not parse is reported and leaves only the codec id.
   */
  learn(frame: MediaFrame): void {
    const track: Mutable<TrackMetadata> = {
      kind: frame.kind,
      trackId: frame.trackId,
      codec: frame.codec,
    };
    try {
      Object.assign(track, factsOf(frame));
    } catch (error) {
      this.#onError(
        error instanceof StreamError ? error : new StreamError(
          "InvalidInput",
          `Cannot parse ${frame.codec} configuration: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        ),
      );
    }
    this.#tracks.set(`${frame.kind}:${frame.trackId}`, track);
    this.#snapshot = undefined;
  }

  codecOf(kind: TrackKind, trackId: number): CodecId | undefined {
    return this.#tracks.get(`${kind}:${trackId}`)?.codec;
  }

  snapshot(): StreamMetadata {
    if (this.#snapshot !== undefined) return this.#snapshot;
    const tracks = [...this.#tracks.values()].map((t) => ({ ...t }))
      .sort((a, b) =>
        KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.trackId - b.trackId
      );
    const video = tracks.find((t) => t.kind === "video" && t.trackId === 0);
    const audio = tracks.find((t) => t.kind === "audio" && t.trackId === 0);
    const snapshot: Mutable<StreamMetadata> = { tracks };
    if (video !== undefined) snapshot.video = video;
    if (audio !== undefined) snapshot.audio = audio;
    this.#snapshot = snapshot;
    return snapshot;
  }

  #track(frame: MediaFrame): Mutable<TrackMetadata> {
    const id = `${frame.kind}:${frame.trackId}`;
    let track = this.#tracks.get(id);
    if (track === undefined) {
      track = { kind: frame.kind, trackId: frame.trackId, codec: frame.codec };
      this.#tracks.set(id, track);
      this.#snapshot = undefined;
    }
    return track;
  }
}

/** The facts of a configuration record, without undefined fields. */
function factsOf(frame: MediaFrame): Partial<TrackMetadata> {
  const info = parseCodecConfig(frame);
  const facts: Mutable<Partial<TrackMetadata>> = {
    codecString: info.codecString,
  };
  if (info.width !== undefined) facts.width = info.width;
  if (info.height !== undefined) facts.height = info.height;
  if (info.frameRate !== undefined) facts.frameRate = info.frameRate;
  if (info.sampleRate !== undefined) facts.sampleRate = info.sampleRate;
  if (info.channels !== undefined) facts.channels = info.channels;
  if (info.bitDepth !== undefined) facts.bitDepth = info.bitDepth;
  if (info.profile !== undefined) facts.profile = info.profile;
  if (info.level !== undefined) facts.level = info.level;
  return facts;
}
