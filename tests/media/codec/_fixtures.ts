// Shared helpers for the codec tests: fixture bytes, their committed ffprobe
// JSON, and a minimal MP4 box finder to pull ffmpeg's avcC/hvcC/av1C/vpcC.

const DIR = new URL("../../testdata/codec/", import.meta.url);

/** Bytes of a fixture in tests/testdata/codec. */
export function fixture(name: string): Uint8Array {
  return Deno.readFileSync(new URL(name, DIR));
}

/** Path of a fixture (for subprocesses). */
export function fixturePath(name: string): string {
  return new URL(name, DIR).pathname;
}

/** The first stream of the committed `ffprobe -show_streams` JSON. */
export function probe(name: string): Record<string, unknown> {
  const json = JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, DIR)));
  return json.streams[0];
}

/** Key flags of the committed `ffprobe -show_entries packet=flags` JSON, in decoding order. */
export function packetKeyFlags(name: string): boolean[] {
  const json = JSON.parse(
    Deno.readTextFileSync(new URL(`${name}.packets.json`, DIR)),
  );
  return json.packets.map((p: { flags: string }) => p.flags.startsWith("K"));
}

/** Payload of the first box of `type` found anywhere in an MP4 file (flat byte search). */
export function mp4Box(data: Uint8Array, type: string): Uint8Array {
  const t = [...type].map((c) => c.charCodeAt(0));
  for (let i = 4; i + 4 <= data.length; i++) {
    if (t.every((b, k) => data[i + k] === b)) {
      const size = new DataView(data.buffer, data.byteOffset + i - 4, 4)
        .getUint32(0);
      return data.subarray(i + 4, i - 4 + size);
    }
  }
  throw new Error(`no ${type} box`);
}

/** FFmpeg pix_fmt for a chroma format and bit depth. */
export function pixFmt(chromaFormat: number, bitDepth: number): string {
  const base = ["gray", "yuv420p", "yuv422p", "yuv444p"][chromaFormat]!;
  return bitDepth === 8 ? base : `${base}${bitDepth}le`;
}

/** "30000/1001" → 29.97… */
export function rate(fraction: unknown): number {
  const [n, d] = String(fraction).split("/").map(Number);
  return n! / d!;
}

/** Frames of an IVF file (32-byte header, 12-byte frame headers). */
export function ivfFrames(data: Uint8Array): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const frames: Uint8Array[] = [];
  for (let pos = view.getUint16(6, true); pos + 12 <= data.length;) {
    const size = view.getUint32(pos, true);
    frames.push(data.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  return frames;
}

/** Hex of bytes, for readable assertion diffs. */
export function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}
