// FfmpegTranscoder.open() against a real ffmpeg (`-c:v copy`, audio
// bypassed): a subscription as input (frames taken in batches) and a
// ReadableStream as input give the same frames back; the run closes the
// subscription when it ends; a failing ffmpeg rejects next() with Protocol.
import assert from "node:assert/strict";
import type { MediaFrame } from "../../media/frame.ts";
import { StreamError } from "../../media/stream_error.ts";
import { Engine } from "../../src/mod.ts";
import { FfmpegTranscoder } from "../../transcode/mod.ts";
import { missing } from "../_tools.ts";
import { sourceFrames } from "./_source.ts";

const COPY = [
  ...["-hide_banner", "-nostdin", "-loglevel", "error", "-copyts"],
  ...["-f", "flv", "-i", "pipe:0", "-map", "0:v:0", "-an", "-c:v", "copy"],
  ...["-flush_packets", "1", "-f", "flv", "pipe:1"],
];

async function drain(
  run: { next(): Promise<MediaFrame[] | null> },
): Promise<MediaFrame[]> {
  const out: MediaFrame[] = [];
  for (let b = await run.next(); b !== null; b = await run.next()) {
    assert.ok(b.length > 0, "a batch is never empty");
    out.push(...b);
  }
  return out;
}

const summary = (frames: MediaFrame[]) =>
  frames.filter((f) => !f.config).map((f) => `${f.kind}@${f.dts}`);

Deno.test({
  name: "transcoder open(): subscription and stream inputs, -c:v copy",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const frames = await sourceFrames(dir, {
        width: 320,
        height: 240,
        seconds: 2,
      });
      // Subscription input: frames published before and while the run reads.
      await using engine = Engine.builder().build();
      const handle = engine.startPublish("live/cam");
      const sub = handle.subscribeResilient();
      const viaPoll = new FfmpegTranscoder({
        name: "poll",
        args: COPY,
        bypass: "audio",
      });
      const run = viaPoll.open(sub, new AbortController().signal);
      const half = frames.length >> 1;
      for (const f of frames.slice(0, half)) handle.publishFrame(f);
      const publishing = (async () => {
        await new Promise((r) => setTimeout(r, 50));
        for (const f of frames.slice(half)) handle.publishFrame(f);
        engine.endPublish("live/cam");
      })();
      const polled = await drain(run);
      await publishing;
      assert.equal(sub.isClosed, true, "the run closed its subscription");
      assert.equal(viaPoll.pid, undefined);

      // Stream input: the same frames.
      const viaStream = new FfmpegTranscoder({
        name: "stream",
        args: COPY,
        bypass: "audio",
      });
      let i = 0;
      const input = new ReadableStream<MediaFrame>({
        pull(c) {
          if (i < frames.length) c.enqueue(frames[i++]!);
          else c.close();
        },
      });
      const streamed = await drain(
        viaStream.open(input, new AbortController().signal),
      );

      // Every source frame comes back (ffmpeg may add an end-of-sequence tag).
      const back = new Set(summary(polled));
      for (const f of summary(frames.filter((f) => f.kind !== "data"))) {
        assert.ok(back.has(f), `${f} came back`);
      }
      assert.deepEqual(summary(polled), summary(streamed));
      assert.ok(polled.some((f) => f.kind === "audio"), "audio merged back");
      for (let k = 1; k < polled.length; k++) {
        const a = polled[k - 1]!, b = polled[k]!;
        if (!a.config && !b.config) {
          assert.ok(
            a.dts * 1000 / a.timescale <= b.dts * 1000 / b.timescale + 1,
            "merged by dts",
          );
        }
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "transcoder open(): ffmpeg failing rejects next() with Protocol",
  ignore: missing("ffmpeg"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using engine = Engine.builder().build();
    const handle = engine.startPublish("live/bad");
    const sub = handle.subscribeResilient();
    const t = new FfmpegTranscoder({
      name: "bad",
      args: [
        "-hide_banner",
        "-loglevel",
        "error",
        "-f",
        "nosuchformat",
        "-i",
        "pipe:0",
        "-f",
        "flv",
        "pipe:1",
      ],
    });
    const run = t.open(sub, new AbortController().signal);
    await assert.rejects(
      drain(run),
      (e) => e instanceof StreamError && e.code === "Protocol",
    );
    assert.equal(sub.isClosed, true);
    engine.endPublish("live/bad");
  },
});
