// Shared fakes for kernel tests: frame factories, a recording audit sink, a
// recording observer and small assertion helpers (STYLE C12).
import assert from "node:assert/strict";
import type {
  AuditEvent,
  AuditSink,
  EngineEvent,
  MediaFrame,
  Observer,
  StreamError,
  Subscription,
} from "../mod.ts";

/** A video frame (h264, timescale 1000) with a `size`-byte payload. */
export function videoFrame(
  dts: number,
  keyframe: boolean,
  options: { size?: number; trackId?: number } = {},
): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: options.trackId ?? 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe,
    config: false,
    data: new Uint8Array(options.size ?? 100),
  };
}

/** A video config frame (avcC-shaped bytes; not parsed by these tests). */
export function videoConfig(dts = 0, marker = 0): MediaFrame {
  return {
    kind: "video",
    codec: "h264",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0, marker]),
  };
}

/** An AAC audio frame. */
export function audioFrame(dts: number, size = 20): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: false,
    data: new Uint8Array(size),
  };
}

/** An AAC AudioSpecificConfig frame (LC, 44.1 kHz, stereo). */
export function audioConfig(dts = 0): MediaFrame {
  return {
    kind: "audio",
    codec: "aac",
    trackId: 0,
    pts: dts,
    dts,
    timescale: 1000,
    keyframe: true,
    config: true,
    data: new Uint8Array([0x12, 0x10]),
  };
}

/** A GOP: one keyframe followed by `length - 1` inter frames, 40 ms apart. */
export function gop(startDts: number, length: number): MediaFrame[] {
  return Array.from(
    { length },
    (_, i) => videoFrame(startDts + i * 40, i === 0),
  );
}

/** An audit sink that keeps every record. */
export class RecordingAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
}

/** An observer that keeps every event. */
export class RecordingObserver implements Observer {
  readonly events: EngineEvent[] = [];
  onEvent(event: EngineEvent): void {
    this.events.push(event);
  }
  ofType<T extends EngineEvent["type"]>(
    type: T,
  ): Extract<EngineEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<EngineEvent, { type: T }> =>
      e.type === type
    );
  }
}

/** Assert that `fn` throws a StreamError with `code` and return it. */
export function assertCode<E extends StreamError = StreamError>(
  fn: () => unknown,
  code: string,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a StreamError ${code}`);
  assert.equal((caught as StreamError).code, code);
  return caught as E;
}

/** Assert that `promise` rejects with a StreamError with `code`. */
export async function assertRejectsCode(
  promise: Promise<unknown>,
  code: string,
): Promise<StreamError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a rejection with ${code}`);
  assert.equal((caught as StreamError).code, code);
  return caught as StreamError;
}

/** Drain everything currently available from `sub`. */
export function drain(sub: Subscription): MediaFrame[] {
  return sub.takeAll();
}
