// HTTP targets: HLS query parameters (_HLS_msn, _HLS_part, _HLS_skip) and
// path safety, through createHttpApp(engine).request(url) on a live packaged
// stream whose FsStorage root sits next to a canary file. Random and mutated
// URLs must never produce a 5xx nor a body containing the canary; the pure
// path functions must never map a URL to a key with a "." or ".." segment.
import { readFlvFile } from "../../../media/flv/mod.ts";
import { FsStorage, validateStorageKey } from "../../../media/storage/mod.ts";
import {
  blockingDecision,
  createHttpApp,
  HlsPackaging,
  parseBlockingRequest,
  playlistPosition,
  storageKeyFromPath,
} from "../../../protocols/http/mod.ts";
import { Engine, StreamKey } from "../../../src/mod.ts";
import { type FuzzTargetDef, readTestFile, simple } from "./_target.ts";
import { parseRequestHead } from "../../../protocols/http/server/_parse.ts";
import { ClientFrameReader } from "../../../protocols/http/server/_websocket.ts";

const HEADS = [
  "GET /live/cam.flv HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n",
  "GET /live/cam/index.m3u8?_HLS_msn=3 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n",
  "POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
  "GET /a HTTP/1.0\nConnection: keep-alive\n\n",
  "GET /live/cam.flv HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
].map((h) => new TextEncoder().encode(h));

const WS_FRAMES = [
  [0x89, 0x82, 1, 2, 3, 4, 0x69, 0x6b], // ping "hi"
  [0x82, 0xfe, 0x00, 0x80, 9, 9, 9, 9, ...new Array(128).fill(7)], // binary 128
  [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8], // close 1000
  [0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 1, 2, 3], // text, 64-bit length
].map((f) => new Uint8Array(f));

const CANARY = "CANARY-7f3a-outside-the-storage-root";
const URLS = [
  "/live/cam/index.m3u8?_HLS_msn=1&_HLS_part=0",
  "/live/cam/index.m3u8?_HLS_msn=2&_HLS_part=1&_HLS_skip=YES",
  "/live/cam/index.m3u8?_HLS_skip=v2&token=abc",
  "/live/cam/index.m3u8",
  "/live/cam/master.m3u8",
  "/live/cam/source.m3u8?_HLS_msn=2&_HLS_part=1",
  "/live/cam/init.mp4",
  "/live/cam/seg0.m4s",
  "/live/cam/seg1.0.m4s",
  "/live/cam.flv",
  "/api/streams/live/cam",
  "/api/v1/streams/live/cam",
  "/api/v1/streams/live/%2e%2e",
  "/api/v1/clients/c-1",
  "/api/v1/server",
  "/live/cam/..%2f..%2fcanary.txt",
  "/live/%2e%2e/canary.txt",
  "/live/cam/%2e%2e%2f%2e%2e%2f%2e%2e%2fcanary.txt",
  "/..%5c..%5ccanary.txt",
  "/healthz",
].map((u) => new TextEncoder().encode(u));

const QUERIES = [
  "_HLS_msn=3&_HLS_part=1",
  "_HLS_msn=4&_HLS_part=0&_HLS_skip=YES",
  "_HLS_msn=2",
  "_HLS_skip=v2",
  "_HLS_msn=99999999999999&_HLS_part=9",
].map((q) => new TextEncoder().encode(q));
const LIVE_LL = [
  "#EXTM3U",
  "#EXT-X-VERSION:9",
  "#EXT-X-TARGETDURATION:1",
  "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6,PART-HOLD-BACK=0.75",
  "#EXT-X-PART-INF:PART-TARGET=0.25",
  "#EXT-X-MEDIA-SEQUENCE:2",
  '#EXT-X-MAP:URI="init.mp4"',
  "#EXTINF:1,",
  "seg2.m4s",
  '#EXT-X-PART:DURATION=0.25,URI="seg3.0.m4s",INDEPENDENT=YES',
  "#EXTINF:1,",
  "seg3.m4s",
  '#EXT-X-PART:DURATION=0.25,URI="seg4.0.m4s",INDEPENDENT=YES',
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="seg4.1.m4s"',
].join("\n");
const POSITIONS = [
  playlistPosition(LIVE_LL),
  playlistPosition(`${LIVE_LL}\n#EXT-X-ENDLIST\n`),
  playlistPosition(LIVE_LL.replace("CAN-BLOCK-RELOAD=YES,", "")),
];

function toUrl(input: Uint8Array): URL | null {
  const text = new TextDecoder().decode(input);
  try {
    return new URL(
      text.startsWith("/") ? text : `/${text}`,
      "http://127.0.0.1/",
    );
  } catch {
    return null; // not a URL a client could send
  }
}

async function liveFixture() {
  const dir = await Deno.makeTempDir({ prefix: "arcly-fuzz-http-" });
  await Deno.writeTextFile(`${dir}/canary.txt`, CANARY);
  await Deno.mkdir(`${dir}/root`);
  const storage = new FsStorage({ root: `${dir}/root` });
  const engine = Engine.builder().build();
  const packaging = new HlsPackaging({
    engine,
    storage,
    format: "fmp4",
    targetDurationMs: 1000,
    partTargetMs: 250,
  });
  const app = createHttpApp(engine, {
    storage,
    hls: packaging,
    blockingReloadTimeoutMs: 5,
    dashboard: false,
  });
  const handle = engine.startPublish(StreamKey.parse("live/cam"));
  const clip =
    readFlvFile(readTestFile("../examples/assets/sample.flv")).frames;
  for (const frame of clip) if (frame.dts < 4000) handle.publishFrame(frame);
  for (
    let i = 0;
    i < 300 &&
    (await storage.list("live/cam")).filter((k) => k.endsWith(".m4s")).length <
      2;
    i++
  ) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    app,
    async close() {
      handle.end();
      await packaging.close();
      await engine.shutdown({ deadlineMs: 0 });
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** All HTTP targets. */
export function httpTargets(): FuzzTargetDef[] {
  return [
    {
      name: "http.app.request",
      seeds: URLS,
      shortCases: 600,
      async prepare() {
        const fixture = await liveFixture();
        return {
          async run(input) {
            const url = toUrl(input);
            if (url === null) return;
            const res = await fixture.app.request(url.pathname + url.search);
            const type = res.headers.get("content-type") ?? "";
            const body = type.includes("flv")
              ? (await res.body?.cancel(), "")
              : await res.text();
            // RFC 8216bis §6.2.5.2: a blocking reload not satisfied in time may
            // be answered 503; any other 5xx is a server fault.
            const blockedTooLong = res.status === 503 &&
              url.searchParams.has("_HLS_msn");
            if (res.status >= 500 && !blockedTooLong) {
              throw new Error(
                `${res.status} for ${url.pathname}${url.search}: ${
                  body.slice(0, 200)
                }`,
              );
            }
            if (body.includes(CANARY)) {
              throw new Error(`read outside storage via ${url.pathname}`);
            }
          },
          close: () => fixture.close(),
        };
      },
    },
    simple("http.hlsBlockingQuery", QUERIES, (input) => {
      // The query is the client's; the playlists are the segmenter's own.
      const query = new URLSearchParams(new TextDecoder().decode(input));
      const request = parseBlockingRequest(query);
      if (typeof request === "string") return;
      for (const n of [request.msn, request.part]) {
        if (n !== undefined && !Number.isSafeInteger(n)) {
          throw new Error(`unsafe blocking number ${n}`);
        }
      }
      for (const position of POSITIONS) {
        const decision = blockingDecision(request, position);
        if (typeof decision !== "string") throw new Error("no decision");
      }
    }),
    simple("http.requestHead", HEADS, (input) => {
      // Fed whole and then in two pieces: the same answer either way, and a
      // parsed head never claims more bytes than it was given.
      const limits = { maxHeadBytes: 4096, maxHeaders: 32 };
      const whole = parseRequestHead(input, input.length, limits);
      if (whole !== null && whole.headBytes > input.length) {
        throw new Error("head longer than its input");
      }
      const cut = input.length >> 1;
      let early = null;
      try {
        early = parseRequestHead(input, cut, limits);
      } catch {
        return; // refusing a prefix early is allowed (garbage answered at once)
      }
      if (
        early !== null && whole !== null && early.headBytes !== whole.headBytes
      ) {
        throw new Error("a prefix parsed to a different head");
      }
    }),
    simple("http.webSocketFrames", WS_FRAMES, (input) => {
      const reader = new ClientFrameReader();
      for (let i = 0; i < input.length; i += 7) {
        for (const frame of reader.push(input.subarray(i, i + 7))) {
          if (frame.payload.length > 125) throw new Error("oversized control");
        }
      }
    }),
    simple("http.storageKeyFromPath", URLS, (input) => {
      const url = toUrl(input);
      if (url === null) return;
      const key = storageKeyFromPath(url.pathname);
      // A key path safety accepts must be one storage accepts too: otherwise
      // the storage call throws deep in a route (that was an HTTP 500).
      try {
        validateStorageKey(key);
      } catch (error) {
        throw new Error(`path safety accepted a key storage rejects: ${error}`);
      }
      if (key.split("/").some((s) => s === ".." || s === ".")) {
        throw new Error(`unsafe key ${key}`);
      }
    }),
  ];
}
