// MetadataTracker: per-track codec facts, learned from configuration frames
// (called once per config frame, never per media frame).
import type { CodecId, MediaFrame, TrackKind } from "../media/frame.ts";
import { StreamError } from "../media/stream_error.ts";
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

  /** A configuration frame: record codec and parsed facts. */
  learn(frame: MediaFrame): void {
    const track = this.#track(frame);
    track.codec = frame.codec;
    try {
      Object.assign(track, parseConfig(frame));
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

/** Facts parsed from a configuration record (codec module wired when it lands). */
function parseConfig(_frame: MediaFrame): Partial<TrackMetadata> {
  return {};
}
