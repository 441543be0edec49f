// The HLS routes with an ABR-aware packager (no ffmpeg): index.m3u8 answers
// abrPlaylist() when it gives a playlist (master.m3u8 too), source.m3u8 is
// always the media playlist (with LL-HLS directives and tokens like any
// playlist), index.m3u8 with `_HLS_msn` or `?variant=` stays the media
// playlist, a stream without a ladder keeps its media playlist at
// index.m3u8, and an ended stream's source.m3u8 is its stored playlist.
import assert from "node:assert/strict";
import { MemoryStorage } from "../../media/storage/mod.ts";
import { hlsRoutes, type LiveHlsPlaylist } from "../../protocols/http/mod.ts";

const MEDIA = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:0\n" +
  "#EXTINF:1.0,\nseg0.ts\n#EXTINF:1.0,\nseg1.ts\n";
const MULTI = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nsource.m3u8\n" +
  "#EXT-X-STREAM-INF:BANDWIDTH=1\n../cam~240p/index.m3u8\n";

function live(abr: string | undefined): LiveHlsPlaylist {
  return {
    playlist: () => MEDIA,
    waitFor: () => Promise.resolve(true),
    segmentState: () => "live",
    masterPlaylist: (uri = "index.m3u8") =>
      `#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n${uri}\n`,
    abrPlaylist: () => Promise.resolve(abr),
  };
}

Deno.test("abr routes: index.m3u8 is the multivariant playlist, source.m3u8 the media playlist", async () => {
  const app = hlsRoutes({
    source: {
      segmenter: (key) => key === "live/cam" ? live(MULTI) : undefined,
    },
  });
  const text = async (path: string) => {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    return await res.text();
  };
  assert.equal(await text("/live/cam/index.m3u8"), MULTI);
  assert.equal(await text("/live/cam/master.m3u8"), MULTI);
  assert.equal(await text("/live/cam/source.m3u8"), MEDIA);
  assert.equal(await text("/live/cam/source.m3u8?_HLS_msn=1"), MEDIA);
  assert.equal(await text("/live/cam/index.m3u8?_HLS_msn=1"), MEDIA);
  assert.equal(await text("/live/cam/index.m3u8?variant=source"), MEDIA);
  // A play token goes into every URI of both playlists.
  assert.match(
    await text("/live/cam/index.m3u8?token=t1"),
    /^source\.m3u8\?token=t1$/m,
  );
  assert.match(
    await text("/live/cam/source.m3u8?token=t1"),
    /^seg1\.ts\?token=t1$/m,
  );
});

Deno.test("abr routes: without a ladder index.m3u8 stays the media playlist; an ended stream's source.m3u8 is stored", async () => {
  const storage = new MemoryStorage();
  await storage.put(
    "live/old/index.m3u8",
    new TextEncoder().encode(MEDIA + "#EXT-X-ENDLIST\n"),
  );
  const app = hlsRoutes({
    storage,
    source: {
      segmenter: (key) => key === "live/cam" ? live(undefined) : undefined,
    },
  });
  assert.equal(await (await app.request("/live/cam/index.m3u8")).text(), MEDIA);
  assert.equal(
    await (await app.request("/live/cam/source.m3u8")).text(),
    MEDIA,
  );
  assert.match(
    await (await app.request("/live/cam/master.m3u8")).text(),
    /^index\.m3u8$/m,
  );
  const ended = await app.request("/live/old/source.m3u8");
  assert.equal(ended.status, 200);
  assert.match(await ended.text(), /#EXT-X-ENDLIST/);
  assert.equal((await app.request("/live/none/source.m3u8")).status, 404);
});
