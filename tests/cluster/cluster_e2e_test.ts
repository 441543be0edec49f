// The cluster as users deploy it: redis-server, one origin and two edges
// (the CLI with --cluster/--edge), ffmpeg publishing to the origin. The
// stream plays from both edges over HTTP-FLV, RTMP and HLS; 20 edge viewers
// cost the origin one connection per edge; an edge killed leaves the other
// serving; Redis stopped keeps streams flowing and new lookups recover when
// it returns; a restarted origin is re-pulled.
import assert from "node:assert/strict";
import { ffprobe, missing, run, tempDir } from "../_tools.ts";
import { startRedis } from "./_redis.ts";
import { publish, readFlv, startNode, stop, until } from "./_cluster.ts";

interface StreamInfo {
  subscribers: number;
}

async function originViewers(base: string): Promise<number> {
  const r = await fetch(`${base}/api/streams/live/cam`);
  if (!r.ok) {
    await r.body?.cancel();
    throw new Error(`HTTP ${r.status}`);
  }
  return ((await r.json()) as StreamInfo).subscribers;
}

Deno.test({
  name:
    "cluster: origin + 2 edges + Redis — plays from both edges, one pull per edge, survives an edge, Redis and origin restart",
  ignore: missing("redis-server", "ffmpeg", "ffprobe"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using dir = await tempDir();
    const redis = await startRedis();
    const cluster = ["--cluster", redis.url];
    let origin = await startNode(dir.path, cluster);
    await using edgeA = await startNode(dir.path, [...cluster, "--edge"]);
    await using edgeB = await startNode(dir.path, [...cluster, "--edge"]);
    let ffmpeg = publish(`rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`);
    try {
      const baseViewers = await until(
        "the origin has live/cam",
        () => originViewers(origin.base),
      );

      // HLS alone starts a pull on an edge (the edge packages what it pulls).
      const hlsB = await until("HLS on edge B", async () => {
        const r = await fetch(`${edgeB.base}/live/cam/index.m3u8`);
        const text = await r.text();
        return r.ok && text.includes("#EXTINF") ? text : undefined;
      });
      assert.match(hlsB, /#EXT-X-TARGETDURATION/);

      // Publishing to an edge is refused with a clear reason.
      const refused = await run("ffmpeg", [
        ...[
          "-v",
          "error",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=160x120:rate=25",
        ],
        ...["-t", "1", "-c:v", "libx264", "-f", "flv"],
        `rtmp://127.0.0.1:${edgeA.rtmpPort}/live/pushed`,
      ], { timeoutMs: 20_000 });
      assert.notEqual(refused.code, 0, "publishing to an edge must fail");

      // Plays from both edges, over HTTP-FLV and RTMP.
      const flvA = await ffprobe(`${edgeA.base}/live/cam.flv`, [
        "-read_intervals",
        "%+2",
      ]);
      assert.deepEqual(
        flvA.streams.map((s) => s.codec_name).sort(),
        ["aac", "h264"],
      );
      const rtmpB = await ffprobe(
        `rtmp://127.0.0.1:${edgeB.rtmpPort}/live/cam`,
        ["-read_intervals", "%+2"],
      );
      assert.ok(rtmpB.streams.some((s) => s.codec_name === "h264"));

      // 20 viewers on the edges cost the origin one playback per edge.
      const viewers = Array.from(
        { length: 20 },
        (_, i) =>
          readFlv(`${(i % 2 ? edgeA : edgeB).base}/live/cam.flv`, 4_000),
      );
      await new Promise((r) => setTimeout(r, 2_000));
      const during = await originViewers(origin.base);
      assert.equal(
        during - baseViewers,
        2,
        `origin viewers ${baseViewers} → ${during}`,
      );
      const got = await Promise.all(viewers);
      assert.ok(got.every((b) => b > 10_000), `edge viewers got ${got}`);

      // HLS from edge A too, and a segment of it decodes.
      const hls = await until("HLS on edge A", async () => {
        const r = await fetch(`${edgeA.base}/live/cam/index.m3u8`);
        const text = await r.text();
        return r.ok && text.includes("#EXTINF") ? text : undefined;
      });
      const probe = await ffprobe(`${edgeA.base}/live/cam/index.m3u8`);
      assert.ok(probe.streams.some((s) => s.codec_name === "h264"), hls);

      // Edge A dies: edge B keeps serving, a client retrying there resumes.
      await edgeA.kill();
      assert.ok(
        (await readFlv(`${edgeB.base}/live/cam.flv`, 2_000)) > 10_000,
        "edge B serves after edge A died",
      );

      // Redis stops: the flowing stream keeps flowing through edge B.
      await redis.stop();
      assert.ok(
        (await readFlv(`${edgeB.base}/live/cam.flv`, 2_000)) > 10_000,
        "streams flow while Redis is down",
      );
      // A new lookup fails cleanly (no such stream can be located now).
      const lookup = await fetch(`${edgeB.base}/live/other.flv`);
      await lookup.body?.cancel();
      assert.equal(lookup.status, 503, "lookup while Redis is down");
      const again = await startRedis(redis.port);
      try {
        // The origin re-announces when Redis returns; a new stream is found.
        const ffmpeg2 = publish(
          `rtmp://127.0.0.1:${origin.rtmpPort}/live/other`,
        );
        try {
          await until(
            "live/other via edge B after the outage",
            async () =>
              (await readFlv(`${edgeB.base}/live/other.flv`, 1_500)) > 1_000
                ? true
                : undefined,
            30_000,
          );
        } finally {
          await stop(ffmpeg2);
        }

        // The origin restarts (same ports): edge B re-pulls.
        await stop(ffmpeg);
        const { httpPort, rtmpPort } = origin;
        await origin.kill();
        origin = await startNode(dir.path, cluster, { httpPort, rtmpPort });
        ffmpeg = publish(`rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`);
        await until(
          "edge B serves the restarted origin's stream",
          async () =>
            (await readFlv(`${edgeB.base}/live/cam.flv`, 1_500)) > 10_000
              ? true
              : undefined,
          30_000,
        );
      } finally {
        await again.stop();
      }
    } finally {
      await stop(ffmpeg);
      await origin.kill();
      await redis.stop();
    }
  },
});
