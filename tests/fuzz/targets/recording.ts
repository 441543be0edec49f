// Recording targets: the fMP4 recording reader (init, one moof), and the
// recording index + range export over a whole mutated recording file in
// memory storage, fMP4 and FLV (only typed errors may escape, the export
// must end).
import { readFlvFile } from "../../../media/flv/mod.ts";
import { Fmp4Muxer, readBoxes } from "../../../media/fmp4/mod.ts";
import {
  exportRecordingRange,
  parseFmp4Fragment,
  parseFmp4Init,
  RecordingIndex,
} from "../../../media/recording/mod.ts";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";

/** A recording file (init + fragments) of the FLV corpus clip. */
function recordingOf(flv: Uint8Array): Uint8Array {
  const { frames } = readFlvFile(flv);
  const muxer = new Fmp4Muxer();
  for (const f of frames) if (f.config && f.kind !== "data") muxer.configure(f);
  const parts = [muxer.initSegment() ?? new Uint8Array(0)];
  const media = frames.filter((f) => !f.config && f.kind !== "data");
  for (let i = 0; i < media.length; i += 30) {
    parts.push(muxer.mux(media.slice(i, i + 30), { sequenceNumber: i + 1 }));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

/** The recording reader and export targets. */
export function recordingTargets(): FuzzTargetDef[] {
  const file = recordingOf(readTestFile("fuzz/corpus/small.flv"));
  const boxes = readBoxes(file);
  const moov = boxes.find((b) => b.type === "moov")!;
  const init = file.subarray(0, moov.offset + moov.size);
  const tracks = parseFmp4Init(init);
  const moofs = boxes.filter((b) => b.type === "moof").slice(0, 3).map((b) =>
    file.subarray(b.offset, b.offset + b.size)
  );
  const key = "live/cam-2026-12-06T08-30-00-000Z.mp4";
  const flv = readTestFile("fuzz/corpus/small.flv");
  const exportAll = async (storage: MemoryStorage) => {
    const files = await new RecordingIndex({ storage }).files("live/cam");
    const out = await exportRecordingRange(
      storage,
      files,
      Date.parse("2026-12-06T08:30:00Z"),
      3600,
    );
    if (out !== null) await new Response(out.body).arrayBuffer();
  };
  return [
    simple("recording.parseFmp4Init", [init], (d) => parseFmp4Init(d)),
    simple(
      "recording.parseFmp4Fragment",
      moofs,
      (d) => parseFmp4Fragment(d, 0, tracks),
    ),
    {
      name: "recording.flvIndexAndExport",
      seeds: [flv],
      shortCases: 300,
      prepare: () => ({
        async run(input) {
          const storage = new MemoryStorage();
          await storage.put(key.replace(".mp4", ".flv"), input);
          await exportAll(storage);
        },
      }),
    },
    {
      name: "recording.indexAndExport",
      seeds: [file.subarray(0, 60_000)],
      shortCases: 300,
      prepare: () => ({
        async run(input) {
          const storage = new MemoryStorage();
          await storage.put(key, input);
          await exportAll(storage);
        },
      }),
    },
  ];
}
