// deno-lint-ignore-file no-console -- a CLI script: its output is its report
// Capture the bytes a real RTMP client (ffmpeg) sends to a server, for fuzz
// seeds. The server side is our socket-free RtmpSession: it answers the
// handshake and accepts publish/play, and every client byte is recorded.
// Usage: deno run -A capture_rtmp.ts <out.bin> <publish|play> <maxBytes>
import { RtmpSession } from "../../../protocols/rtmp/mod.ts";

const [out, mode, max] = Deno.args as [string, "publish" | "play", string];
const maxBytes = Number(max);
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const url = `rtmp://127.0.0.1:${listener.addr.port}/live/cam`;
const args = mode === "publish"
  ? [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=96x64:rate=15",
    "-f",
    "lavfi",
    "-i",
    "sine=frequency=440:sample_rate=44100",
    "-t",
    "1.5",
    "-c:v",
    "libx264",
    "-g",
    "15",
    "-preset",
    "ultrafast",
    "-c:a",
    "aac",
    "-b:a",
    "32k",
    "-f",
    "flv",
    url,
  ]
  : [
    "-hide_banner",
    "-loglevel",
    "error",
    "-rw_timeout",
    "2000000",
    "-i",
    url,
    "-t",
    "0.2",
    "-f",
    "null",
    "-",
  ]; // deno-fmt-ignore
const ffmpeg = new Deno.Command("ffmpeg", { args, stdout: "null", stderr: "null" }).spawn();
const conn = await listener.accept();
listener.close();
const session = new RtmpSession();
const captured: Uint8Array[] = [];
let total = 0;
const buf = new Uint8Array(65536);
const stopAt = Date.now() + 8000;
try {
  while (total < maxBytes && Date.now() < stopAt) {
    const n = await conn.read(buf);
    if (n === null) break;
    const piece = buf.slice(0, n);
    captured.push(piece);
    total += n;
    for (const action of session.feed(piece)) {
      const replies = action.type === "send"
        ? [action.bytes]
        : action.type === "publish"
        ? session.acceptPublish()
        : action.type === "play"
        ? session.acceptPlay()
        : [];
      for (const bytes of replies) {
        for (let o = 0; o < bytes.length;) {
          o += await conn.write(bytes.subarray(o));
        }
      }
    }
  }
} catch { /* the client went away */ }
conn.close();
try {
  ffmpeg.kill("SIGKILL");
} catch { /* already gone */ }
await ffmpeg.status;
const all = new Uint8Array(Math.min(total, maxBytes));
let o = 0;
for (const p of captured) {
  const n = Math.min(p.length, all.length - o);
  all.set(p.subarray(0, n), o);
  o += n;
}
await Deno.writeFile(out, all);
console.log(`${out}: ${all.length} bytes`);
