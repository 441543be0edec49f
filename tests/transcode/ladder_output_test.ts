// A ladder's output mode: per packet (the default, `-flush_packets 1` on
// every rendition) or buffered (`ladderOutput: "buffered"`: `-flush_packets
// 0`, ffmpeg's 32 KiB output buffer), from the service options to the
// arguments. The buffered path against a real ffmpeg is the bench's
// `--outputs=packet,buffered` (bench/RESULTS.md, ninth session).
import assert from "node:assert/strict";
import { ladderArgs } from "../../transcode/ffmpeg_args.ts";
import { ladderSpecOf } from "../../transcode/_job_specs.ts";

const renditions = [
  { name: "480p", width: 854, height: 480, videoBitrate: 1_200_000 },
  { name: "240p", width: 426, height: 240, videoBitrate: 400_000 },
];

const flushValues = (args: string[]) =>
  args.flatMap((a, i) => a === "-flush_packets" ? [args[i + 1]] : []);

Deno.test("ladder output: every rendition flushes each packet by default, none when buffered", () => {
  const outs = ["unix:/tmp/x/0.sock", "unix:/tmp/x/1.sock"];
  assert.deepEqual(flushValues(ladderArgs(renditions, outs)), ["1", "1"]);
  assert.deepEqual(
    flushValues(ladderArgs(renditions, outs, { flushPackets: true })),
    ["1", "1"],
  );
  assert.deepEqual(
    flushValues(ladderArgs(renditions, outs, { flushPackets: false })),
    ["0", "0"],
  );
});

Deno.test("ladder output: the service option reaches the ladder spec", () => {
  const spec = (o: { ladderOutput?: "packet" | "buffered" }) =>
    ladderSpecOf({ host: undefined as never, ...o }, "live/cam", []);
  assert.equal(spec({}).flushPackets, true);
  assert.equal(spec({ ladderOutput: "packet" }).flushPackets, true);
  assert.equal(spec({ ladderOutput: "buffered" }).flushPackets, false);
});
