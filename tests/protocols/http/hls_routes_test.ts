import assert from "node:assert/strict";
import { MemoryStorage } from "../../../media/storage/mod.ts";
import { StreamError } from "../../../media/stream_error.ts";
import {
  blockingDecision,
  hlsRoutes,
  type LiveHlsPlaylist,
  parseBlockingRequest,
  playlistPosition,
} from "../../../protocols/http/mod.ts";

const enc = new TextEncoder();

/** A hand-driven live playlist: parts are added by the test. */
class FakeLive implements LiveHlsPlaylist {
  sequence = 0;
  segments: string[] = [];
  parts: string[] = [];
  gone = new Set<string>();
  #waiters: Array<() => void> = [];
  playlist(): string {
    const lines = [
      "#EXTM3U",
      "#EXT-X-VERSION:9",
      "#EXT-X-TARGETDURATION:1",
      "#EXT-X-PART-INF:PART-TARGET=0.25",
      "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.75",
      `#EXT-X-MEDIA-SEQUENCE:${this.sequence}`,
    ];
    for (const s of this.segments) lines.push("#EXTINF:1.0,", s);
    for (const p of this.parts) {
      lines.push(`#EXT-X-PART:DURATION=0.25,URI="${p}"`);
    }
    return lines.join("\n") + "\n";
  }
  addPart(): void {
    const msn = this.sequence + this.segments.length;
    this.parts.push(`seg${msn}.${this.parts.length}.ts`);
    if (this.parts.length === 4) {
      this.segments.push(`seg${msn}.ts`);
      this.parts = [];
    }
    for (const w of this.#waiters.splice(0)) w();
  }
  has(msn: number, part: number | undefined): boolean {
    const p = playlistPosition(this.playlist());
    if (part === undefined) return msn <= p.lastMsn;
    return msn <= p.lastMsn || (msn === p.lastMsn + 1 && part <= p.lastPart);
  }
  async waitFor(
    msn: number,
    part: number | undefined,
    signal: AbortSignal,
  ): Promise<boolean> {
    while (!this.has(msn, part)) {
      if (signal.aborted) return false;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
    }
    return true;
  }
  segmentState(name: string): "live" | "gone" | "unknown" {
    if (this.gone.has(name)) return "gone";
    return this.segments.includes(name) || this.parts.includes(name)
      ? "live"
      : "unknown";
  }
}

function setup(timeoutMs = 2_000) {
  const storage = new MemoryStorage();
  const live = new FakeLive();
  const app = hlsRoutes({
    storage,
    source: { segmenter: (key) => (key === "live/cam" ? live : undefined) },
    blockingReloadTimeoutMs: timeoutMs,
  });
  return { storage, live, app };
}

Deno.test("hlsRoutes() serves the live playlist from memory with no-cache", async () => {
  const { live, app } = setup();
  live.addPart();
  const res = await app.request("/live/cam/index.m3u8");
  assert.equal(res.status, 200);
  assert.equal(
    res.headers.get("content-type"),
    "application/vnd.apple.mpegurl",
  );
  assert.equal(res.headers.get("cache-control"), "no-cache");
  assert.match(await res.text(), /seg0\.0\.ts/);
});

Deno.test("hlsRoutes() holds a blocking reload until the part exists", async () => {
  const { live, app } = setup();
  live.addPart(); // seg0.0
  const started = performance.now();
  const pending = app.request("/live/cam/index.m3u8?_HLS_msn=0&_HLS_part=2");
  setTimeout(() => live.addPart(), 30); // seg0.1
  setTimeout(() => live.addPart(), 60); // seg0.2
  const res = await pending;
  assert.equal(res.status, 200);
  assert.ok(performance.now() - started >= 50);
  assert.match(await res.text(), /seg0\.2\.ts/);
});

Deno.test("hlsRoutes() answers 400 out of range and 503 after the bounded wait", async () => {
  const { live, app } = setup(80);
  live.addPart();
  assert.equal(
    (await app.request("/live/cam/index.m3u8?_HLS_msn=9")).status,
    400,
  );
  assert.equal(
    (await app.request("/live/cam/index.m3u8?_HLS_part=1")).status,
    400,
  );
  assert.equal(
    (await app.request("/live/cam/index.m3u8?_HLS_msn=0&_HLS_part=13")).status,
    400,
  );
  assert.equal(
    (await app.request("/live/cam/index.m3u8?_HLS_msn=x")).status,
    400,
  );
  const res = await app.request("/live/cam/index.m3u8?_HLS_msn=0&_HLS_part=2");
  assert.equal(res.status, 503);
  await res.body?.cancel();
  // already published → immediate
  assert.equal(
    (await app.request("/live/cam/index.m3u8?_HLS_msn=0&_HLS_part=0")).status,
    200,
  );
});

Deno.test("hlsRoutes() serves segments immutable with ranges, 410 once gone, 404 unknown", async () => {
  const { storage, live, app } = setup();
  const bytes = enc.encode("0123456789");
  await storage.put("live/cam/seg0.ts", bytes);
  live.segments.push("seg0.ts");
  const whole = await app.request("/live/cam/seg0.ts");
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "video/mp2t");
  assert.match(whole.headers.get("cache-control")!, /immutable/);
  assert.equal(await whole.text(), "0123456789");
  const part = await app.request("/live/cam/seg0.ts", {
    headers: { range: "bytes=2-4" },
  });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 2-4/10");
  assert.equal(await part.text(), "234");
  const suffix = await app.request("/live/cam/seg0.ts", {
    headers: { range: "bytes=-3" },
  });
  assert.equal(await suffix.text(), "789");
  const bad = await app.request("/live/cam/seg0.ts", {
    headers: { range: "bytes=50-" },
  });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get("content-range"), "bytes */10");
  live.gone.add("seg-old.ts");
  assert.equal((await app.request("/live/cam/seg-old.ts")).status, 410);
  assert.equal((await app.request("/live/cam/nothing.ts")).status, 404);
  assert.equal((await app.request("/other/cam/index.m3u8")).status, 404);
});

Deno.test("hlsRoutes() holds a preload-hinted part until it is written", async () => {
  const { storage, live, app } = setup();
  live.addPart(); // seg0.0 listed
  const pending = app.request("/live/cam/seg0.1.ts");
  setTimeout(async () => {
    await storage.put("live/cam/seg0.1.ts", enc.encode("part"));
    live.addPart();
  }, 30);
  const res = await pending;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "part");
});

Deno.test("hlsRoutes() authorizes and carries the token into playlist URIs", async () => {
  const storage = new MemoryStorage();
  await storage.put(
    "live/cam/index.m3u8",
    enc.encode(
      '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:1,\nseg0.m4s\n#EXT-X-ENDLIST\n',
    ),
  );
  await storage.put("live/cam/seg0.m4s", enc.encode("m4s"));
  const app = hlsRoutes({
    storage,
    authorize: (access) => {
      assert.equal(access.protocol, "hls");
      if (access.token !== "t0k") {
        return Promise.reject(
          new StreamError("Unauthorized", "Cannot play: bad token"),
        );
      }
      return Promise.resolve();
    },
  });
  assert.equal((await app.request("/live/cam/index.m3u8")).status, 403);
  assert.equal((await app.request("/live/cam/seg0.m4s?token=no")).status, 403);
  const res = await app.request("/live/cam/index.m3u8?token=t0k");
  const text = await res.text();
  assert.match(text, /URI="init\.mp4\?token=t0k"/);
  assert.match(text, /^seg0\.m4s\?token=t0k$/m);
  const seg = await app.request("/live/cam/seg0.m4s", {
    headers: { authorization: "Bearer t0k" },
  });
  assert.equal(seg.status, 200);
  assert.equal(seg.headers.get("content-type"), "video/iso.segment");
  await seg.body?.cancel();
});

Deno.test("parseBlockingRequest() and blockingDecision() follow RFC 8216bis §6.2.5.2", () => {
  assert.deepEqual(parseBlockingRequest(new URLSearchParams("_HLS_skip=YES")), {
    msn: undefined,
    part: undefined,
    skip: true,
  });
  const position = {
    lastMsn: 4,
    lastPart: 1,
    targetDuration: 1,
    partTarget: 0.25,
    ended: false,
    canBlock: true,
  };
  assert.equal(
    blockingDecision({ msn: 4, part: undefined, skip: false }, position),
    "now",
  );
  assert.equal(
    blockingDecision({ msn: 5, part: undefined, skip: false }, position),
    "wait",
  );
  assert.equal(
    blockingDecision({ msn: 6, part: 0, skip: false }, position),
    "wait",
  );
  assert.equal(
    typeof blockingDecision({ msn: 7, part: undefined, skip: false }, position),
    "string",
  );
  // Advance Part Limit: 3 ÷ PART-TARGET = 12 parts at 0.25 s (§6.2.5.2).
  assert.equal(
    blockingDecision({ msn: 5, part: 5, skip: false }, position),
    "wait",
  );
  assert.equal(
    typeof blockingDecision({ msn: 5, part: 14, skip: false }, position),
    "string",
  );
  assert.equal(
    blockingDecision({ msn: 99, part: 0, skip: false }, {
      ...position,
      ended: true,
    }),
    "now",
  );
});
