// Shared fixture for the fault tests: a real origin (Engine + RtmpHandler +
// HttpHandler with HlsPackaging) on 127.0.0.1 port 0, with the storage the
// test chooses, plus small helpers (FLV viewer, RTMP player, polling).
import type { StorageBackend } from "../../media/storage/mod.ts";
import {
  HlsPackaging,
  type HlsPackagingOptions,
  HttpHandler,
} from "../../protocols/http/mod.ts";
import { RtmpHandler } from "../../protocols/rtmp/mod.ts";
import type { HlsSegmenterEvent } from "../../media/hls/mod.ts";
import { type Clock, Engine } from "../../src/mod.ts";

/** A running origin. */
export interface Origin extends AsyncDisposable {
  engine: Engine;
  packaging: HlsPackaging;
  rtmpUrl: string;
  httpUrl: string;
  /** Every HLS segmenter event, with its key. */
  hlsEvents: Array<{ key: string; event: HlsSegmenterEvent }>;
  /** handlerError events. */
  errors: unknown[];
}

/** Start an origin writing HLS to `storage`. */
export async function startOrigin(options: {
  storage: StorageBackend;
  clock?: Clock;
  hls?: Partial<HlsPackagingOptions>;
}): Promise<Origin> {
  let builder = Engine.builder().application({ name: "live" });
  if (options.clock) builder = builder.clock(options.clock);
  const engine = builder.build();
  const errors: unknown[] = [];
  engine.events.on("handlerError", (e) => errors.push(e.error));
  const hlsEvents: Origin["hlsEvents"] = [];
  const packaging = new HlsPackaging({
    engine,
    storage: options.storage,
    format: "fmp4",
    targetDurationMs: 1000,
    partTargetMs: 250,
    onEvent: (key, event) => hlsEvents.push({ key, event }),
    ...options.hls,
  });
  const rtmp = new RtmpHandler({ hostname: "127.0.0.1", port: 0 });
  const http = new HttpHandler({
    hostname: "127.0.0.1",
    port: 0,
    storage: options.storage,
    hls: packaging,
    dashboard: false,
  });
  const served = engine.serve([rtmp, http]);
  const [{ port: rtmpPort }, { port: httpPort }] = await Promise.all([
    rtmp.listening,
    http.listening,
  ]);
  return {
    engine,
    packaging,
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/live`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    hlsEvents,
    errors,
    async [Symbol.asyncDispose]() {
      await engine.shutdown({ deadlineMs: 2000 });
      await served;
      await packaging.close();
    },
  };
}

/** Wait until `check()` holds, polling every 20 ms, at most `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms = 8000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) {
      throw new Error(`until(): timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP-FLV viewer: collects the body until the server ends it. */
export function flvViewer(
  url: string,
): {
  bytes: () => Uint8Array;
  done: Promise<"ended" | "error">;
  received: () => number;
  cancel: () => Promise<void>;
} {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const controller = new AbortController();
  const done = (async () => {
    try {
      const res = await fetch(url, { signal: controller.signal });
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        return "error" as const;
      }
      for await (const chunk of res.body) {
        chunks.push(chunk);
        total += chunk.length;
      }
      return "ended" as const;
    } catch {
      return "error" as const;
    }
  })();
  return {
    received: () => total,
    bytes() {
      const out = new Uint8Array(total);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
    done,
    async cancel() {
      controller.abort();
      await done;
    },
  };
}

/** The media playlist text of a key, from the live packager or storage. */
export async function playlistText(
  origin: Origin,
  key: string,
): Promise<string> {
  const res = await fetch(`${origin.httpUrl}/${key}/index.m3u8`);
  return await res.text();
}

/** `promise`, or a rejection naming `what` after `ms` (fault tests never wait forever). */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`timed out after ${ms} ms: ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
