// The recordings API routes over a memory folder: listing, spans with URLs,
// download and playlist answers, parameter errors, file bytes with Range,
// DELETE's admin check (own token, and behind createHttpApp's API router).
import assert from "node:assert/strict";
import { Engine } from "../../../../mod.ts";
import { MemoryStorage } from "../../../../media/storage/mod.ts";
import { StreamError } from "../../../../media/stream_error.ts";
import {
  createHttpApp,
  recordingsApiRoutes,
  recordingsRouteProvider,
} from "../../../../protocols/http/mod.ts";
import {
  clipFrames,
  keyAt,
  recordClip,
} from "../../../media/recording/_recorded.ts";
import { RecordingSink } from "../../../../media/recording/mod.ts";

async function folder(): Promise<MemoryStorage> {
  const storage = new MemoryStorage();
  await recordClip(storage, keyAt("08:30:00"));
  await recordClip(storage, keyAt("08:30:15"));
  return storage;
}

const BASE = "/api/v1/recordings/live/cam";

Deno.test("recordings API: list, spans, download, playlist, errors", async () => {
  const routes = recordingsApiRoutes({ storage: await folder() });
  const list = await (await routes.request("/api/v1/recordings")).json();
  assert.equal(list.recordings.length, 1);
  assert.equal(list.recordings[0].stream, "live/cam");
  assert.equal(list.recordings[0].spans, 2);
  assert.ok(list.recordings[0].bytes > 500_000);

  const detail = await (await routes.request(BASE)).json();
  assert.equal(detail.stream, "live/cam");
  assert.equal(detail.spans[0].start, "2026-12-06T08:30:00.000Z");
  assert.ok(Math.abs(detail.spans[0].duration - 10) < 0.2);
  assert.equal(
    detail.spans[1].downloadUrl,
    `${BASE}/download?start=2026-12-06T08:30:15.000Z&duration=${
      detail.spans[1].duration
    }`,
  );

  const mp4 = await routes.request(
    `${BASE}/download?start=2026-12-06T08:30:02.500Z&duration=3`,
  );
  assert.equal(mp4.status, 200);
  assert.equal(mp4.headers.get("content-type"), "video/mp4");
  assert.equal(
    mp4.headers.get("x-recording-start"),
    "2026-12-06T08:30:02.000Z",
  );
  const bytes = new Uint8Array(await mp4.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.subarray(4, 8)), "ftyp");

  const m3u8 = await routes.request(detail.spans[0].playlistUrl);
  assert.equal(m3u8.status, 200);
  assert.match(await m3u8.text(), /#EXT-X-PLAYLIST-TYPE:VOD/);
  // without start/duration the playlist covers every recording
  assert.match(
    await (await routes.request(`${BASE}/playlist.m3u8`)).text(),
    /#EXT-X-DISCONTINUITY/,
  );

  for (
    const [path, status, code] of [
      [`${BASE}/download?start=yesterday&duration=3`, 400, "bad_request"],
      [
        `${BASE}/download?start=2026-12-06T08:30:00Z&duration=-1`,
        400,
        "bad_request",
      ],
      [`${BASE}/download?start=2026-12-06T08:30:00Z`, 400, "bad_request"],
      [
        `${BASE}/download?start=2026-12-06T10:00:00Z&duration=3`,
        404,
        "not_found",
      ],
      ["/api/v1/recordings/live/none", 404, "not_found"],
      ["/api/v1/recordings/live/..%2F..", 400, "bad_request"],
    ] as const
  ) {
    const res = await routes.request(path);
    assert.equal(res.status, status, path);
    assert.equal((await res.json()).error.code, code, path);
  }
});

Deno.test("recordings API: file bytes with Range (playlist segments)", async () => {
  const storage = await folder();
  const routes = recordingsApiRoutes({ storage });
  const file = `${BASE}/files/cam-2026-12-06T08-30-00-000Z.mp4`;
  const whole = await routes.request(file);
  assert.equal(whole.status, 200);
  const all = new Uint8Array(await whole.arrayBuffer());
  assert.deepEqual(all, await storage.get(keyAt("08:30:00")));
  const part = await routes.request(file, {
    headers: { range: "bytes=100-199" },
  });
  assert.equal(part.status, 206);
  assert.equal(
    part.headers.get("content-range"),
    `bytes 100-199/${all.length}`,
  );
  assert.deepEqual(
    new Uint8Array(await part.arrayBuffer()),
    all.subarray(100, 200),
  );
  const past = await routes.request(file, {
    headers: { range: `bytes=${all.length}-` },
  });
  await past.body?.cancel();
  assert.equal(past.status, 416);
  assert.equal((await routes.request(`${BASE}/files/other.mp4`)).status, 404);
});

Deno.test("recordings API: DELETE ?before= needs the admin token", async () => {
  const storage = await folder();
  const routes = recordingsApiRoutes({ storage, apiToken: "s3cret" });
  const del = (auth?: string, before = "2026-12-06T08:30:12Z") =>
    routes.request(`${BASE}?before=${before}`, {
      method: "DELETE",
      ...(auth ? { headers: { authorization: auth } } : {}),
    });
  assert.equal((await del()).status, 401);
  assert.equal((await del("Bearer nope")).status, 403);
  assert.equal((await del("Bearer s3cret", "soon")).status, 400);
  assert.equal((await del("Bearer s3cret")).status, 204);
  // only the first file ended before 08:30:12
  assert.deepEqual(await storage.list("live/"), [keyAt("08:30:15")]);
  const detail = await (await routes.request(BASE)).json();
  assert.equal(detail.spans.length, 1);
  // no token configured: refused
  const open = recordingsApiRoutes({ storage });
  const res = await open.request(`${BASE}?before=2100-01-01T00:00:00Z`, {
    method: "DELETE",
    headers: { authorization: "Bearer x" },
  });
  assert.equal(res.status, 403);
});

Deno.test("recordings API: mounted by createHttpApp behind the API v1 admin check", async () => {
  const storage = await folder();
  await using engine = Engine.builder().build();
  const app = createHttpApp(engine, {
    apiToken: "s3cret",
    api: { recordings: recordingsApiRoutes({ storage, adminChecked: true }) },
  });
  const list = await (await app.request("/api/v1/recordings")).json();
  assert.equal(list.recordings[0].spans, 2);
  const url = `${BASE}?before=2100-01-01T00:00:00Z`;
  const anonymous = await app.request(url, { method: "DELETE" });
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
  const admin = await app.request(url, {
    method: "DELETE",
    headers: { authorization: "Bearer s3cret" },
  });
  assert.equal(admin.status, 204);
  assert.deepEqual(await storage.list(""), []);
  // the provider form answers only under its prefix
  const provider = recordingsRouteProvider({ storage });
  assert.equal(
    await provider.fetch(new Request("http://x/live/cam.flv"), {}),
    null,
  );
  const none = await provider.fetch(new Request(`http://x${BASE}`), {});
  assert.equal(none?.status, 404);
});

Deno.test("recordings API: a storage failure is a JSON 503", async () => {
  class Broken extends MemoryStorage {
    override list(_prefix: string): Promise<string[]> {
      return Promise.reject(
        new StreamError("Storage", "Cannot list recordings: disk gone"),
      );
    }
  }
  const routes = recordingsApiRoutes({ storage: new Broken() });
  const res = await routes.request("/api/v1/recordings");
  assert.equal(res.status, 503);
  assert.equal((await res.json()).error.code, "unavailable");
});

Deno.test("recordings API: an HLS recording is listed and served as written", async () => {
  const storage = new MemoryStorage();
  const sink = new RecordingSink({
    storage,
    key: "live/cam-2026-12-06T09-00-00-000Z",
    format: "hls-fmp4",
  });
  for (const frame of clipFrames()) await sink.push(frame);
  await sink.end();
  const routes = recordingsApiRoutes({ storage });
  const { spans } = await (await routes.request(BASE)).json();
  assert.equal(spans.length, 1);
  assert.equal(spans[0].format, "hls");
  assert.ok(Math.abs(spans[0].duration - 10) < 0.5, String(spans[0].duration));
  assert.equal(
    spans[0].playlistUrl,
    `${BASE}/hls/cam-2026-12-06T09-00-00-000Z/index.m3u8`,
  );
  const playlist = await routes.request(spans[0].playlistUrl);
  assert.equal(playlist.status, 200);
  assert.equal(
    playlist.headers.get("content-type"),
    "application/vnd.apple.mpegurl",
  );
  const text = await playlist.text();
  assert.match(text, /#EXT-X-ENDLIST/);
  const segment = /^(seg[^\n]+)$/m.exec(text)![1]!;
  const res = await routes.request(
    `${BASE}/hls/cam-2026-12-06T09-00-00-000Z/${segment}`,
  );
  assert.equal(res.status, 200);
  assert.ok((await res.arrayBuffer()).byteLength > 1000);
  const missing = await routes.request(`${BASE}/hls/cam-other/index.m3u8`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});
