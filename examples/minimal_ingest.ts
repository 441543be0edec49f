// deno-lint-ignore-file no-console -- examples print to the terminal
/**
 * minimal_ingest: a `MediaSource` pumped into an engine, an `Observer` that
 * sees the bus (published, subscriber joined/left, unpublished), and a
 * subscriber reading the stream. No sockets: this is the kernel on its own.
 *
 *   deno run examples/minimal_ingest.ts
 *
 * @module
 */
import {
  Engine,
  type EngineEvent,
  type MediaFrame,
  type MediaSource,
  StreamKey,
} from "@arcly/stream";

/** Two seconds of synthetic 25 fps H.264-shaped frames, a keyframe every second. */
function syntheticCamera(): MediaSource {
  return {
    name: "synthetic-camera",
    *frames(): Iterable<MediaFrame> {
      const base = {
        kind: "video",
        codec: "h264",
        trackId: 0,
        timescale: 1000,
      } as const;
      for (let i = 0; i < 50; i++) {
        const t = i * 40;
        yield {
          ...base,
          pts: t,
          dts: t,
          keyframe: i % 25 === 0,
          config: false,
          data: new Uint8Array(1000),
        };
      }
    },
  };
}

const events: string[] = [];
await using engine = Engine.builder()
  .observer({ onEvent: (event: EngineEvent) => void events.push(event.type) })
  .build();
const key = StreamKey.parse("live/cam");

// Subscribe as soon as the stream is published; count what arrives.
let received = 0;
let keyframes = 0;
const reading = new Promise<void>((resolve) => {
  engine.events.on("published", async () => {
    const sub = engine.getStream(key)!.subscribe();
    for await (const frame of sub) {
      received++;
      if (frame.keyframe && !frame.config) keyframes++;
    }
    resolve();
  });
});

const published = await engine.pumpSource(key, syntheticCamera());
await reading;
console.log(
  `published ${published} frames; subscriber received ${received} (${keyframes} keyframes)`,
);
console.log(`events: ${[...new Set(events)].join(", ")}`);
