// deno-lint-ignore-file no-console -- examples print to the terminal
/**
 * rtmp_to_hls: the ~20-line origin. RTMP ingest (and play) on 1935, HLS
 * written to ./hls/{app}/{name}/index.m3u8 and served with HTTP-FLV, stats
 * and the dashboard on 8080.
 *
 *   deno run --allow-net --allow-read --allow-write=./hls examples/rtmp_to_hls.ts [rtmpPort] [httpPort]
 *   ffmpeg -re -i input.mp4 -c:v libx264 -c:a aac -f flv rtmp://localhost:1935/live/cam
 *   open http://localhost:8080/live/cam/index.m3u8 (or ffplay rtmp://localhost:1935/live/cam)
 *
 * @module
 */
import { Engine } from "@arcly/stream";
import { RtmpHandler } from "@arcly/stream/rtmp";
import { HlsPackaging, HttpHandler } from "@arcly/stream/http";
import { FsStorage } from "@arcly/stream/storage";

const [rtmpPort = 1935, httpPort = 8080] = Deno.args.map(Number);
const engine = Engine.builder().build();
const storage = new FsStorage({ root: "./hls" });
const hls = new HlsPackaging({
  engine,
  storage,
  format: "ts",
  lowLatency: false,
});
const rtmp = new RtmpHandler({ port: rtmpPort });
const http = new HttpHandler({ port: httpPort, storage, hls });
rtmp.listening.then((a) =>
  console.log(`publish to rtmp://localhost:${a.port}/live/cam`)
);
http.listening.then((a) =>
  console.log(`play http://localhost:${a.port}/live/cam/index.m3u8`)
);
await engine.serveUntilSignal([rtmp, http]); // Ctrl-C: streams end, playlists get EXT-X-ENDLIST
await hls.close();
