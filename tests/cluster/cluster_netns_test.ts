// The cluster across hosts: Redis and the origin in one network namespace,
// two edges in two others, nginx in the root namespace caching HLS in front
// of both edges. Everything the test reads crosses a veth + bridge, not
// loopback. Needs root (as in CI); skipped locally without it.
import assert from "node:assert/strict";
import { ffprobe, inCi, missing, run, tempDir } from "../_tools.ts";
import { canNetns, makeNetns } from "./_netns.ts";
import { publish, startNode, stop, until } from "./_cluster.ts";
import { startNginx } from "./_nginx.ts";

const allowed = await canNetns();

/** The status line's code of `url` (live bodies are cut after 2 s). */
async function httpStatus(url: string): Promise<number> {
  const r = await run("curl", [
    "-s",
    "-o",
    "/dev/null",
    "-m",
    "2",
    "-w",
    "%{http_code}",
    url,
  ], {
    timeoutMs: 5_000,
  });
  return Number(r.stdout.trim() || 0);
}

async function curl(url: string): Promise<{ ok: boolean; text: string }> {
  const r = await run("curl", ["-s", "-f", "-m", "5", url], {
    timeoutMs: 8_000,
  });
  return { ok: r.code === 0, text: r.stdout };
}
if (!allowed && inCi) throw new Error("CI must run as root with iproute2");

Deno.test({
  name:
    "cluster in network namespaces: origin + Redis | edge A | edge B, nginx in front; HTTP-FLV, RTMP and HLS cross hosts",
  ignore: !allowed || missing("redis-server", "ffmpeg", "ffprobe", "nginx"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using net = await makeNetns(["origin", "edgeA", "edgeB"]);
    await using dir = await tempDir();
    await Deno.chmod(dir.path, 0o777);
    const o = net.hosts.get("origin")!.addr;
    // Across hosts Redis wants a password (protected mode): as in production.
    const redisUrl = `redis://:cluster-s3cret@${o}:6379`;
    const redis = new Deno.Command("ip", {
      args: [
        ...net.exec("origin").slice(1),
        "redis-server",
        ...["--bind", o, "--port", "6379", "--save", "", "--appendonly", "no"],
        ...["--requirepass", "cluster-s3cret"],
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const cluster = ["--cluster", redisUrl];
      await using origin = await startNode(dir.path, [
        ...cluster,
        "--advertise",
        `http://${o}:8080`,
      ], {
        prefix: net.exec("origin"),
        host: o,
        rtmpPort: 1935,
        httpPort: 8080,
      });
      const a = net.hosts.get("edgeA")!.addr;
      const b = net.hosts.get("edgeB")!.addr;
      await using edgeA = await startNode(dir.path, [...cluster, "--edge"], {
        prefix: net.exec("edgeA"),
        host: a,
        rtmpPort: 1935,
        httpPort: 8080,
      });
      await using edgeB = await startNode(dir.path, [...cluster, "--edge"], {
        prefix: net.exec("edgeB"),
        host: b,
        rtmpPort: 1935,
        httpPort: 8080,
      });
      // The publisher on its own side of the bridge (root namespace).
      const ffmpeg = publish(`rtmp://${o}:${origin.rtmpPort}/live/cam`);
      const nginx = await startNginx([`${a}:8080`, `${b}:8080`]);
      try {
        // (The test process reaches namespace addresses only through the
        // peers it spawns: curl, ffprobe.)
        await until(
          "origin has live/cam",
          async () =>
            (await curl(`http://${o}:8080/api/streams/live/cam`)).ok
              ? true
              : undefined,
        );
        // The edges may still be (re)connecting to Redis: 503 until then.
        for (const [edge, node] of [[a, edgeA], [b, edgeB]] as const) {
          await until(
            `edge ${edge} serves live/cam`,
            async () =>
              (await httpStatus(`http://${edge}:8080/live/cam.flv`)) === 200
                ? true
                : undefined,
            30_000,
          ).catch((error) => {
            throw new Error(
              `${error.message}\n--- edge log ---\n${node.proc.out}\n${node.proc.err}`,
            );
          });
          assert.ok(
            !node.proc.out.includes("cluster-s3cret"),
            "the Redis password is never printed",
          );
        }
        const flv = await ffprobe(`http://${a}:8080/live/cam.flv`, [
          "-read_intervals",
          "%+2",
        ]);
        assert.deepEqual(
          flv.streams.map((s) => s.codec_name).sort(),
          ["aac", "h264"],
        );
        const rtmp = await ffprobe(`rtmp://${b}:1935/live/cam`, [
          "-read_intervals",
          "%+2",
        ]);
        assert.ok(rtmp.streams.some((s) => s.codec_name === "h264"));
        // HLS through nginx, balanced over both edges.
        await until("HLS through nginx", async () => {
          const r = await fetch(
            `http://127.0.0.1:${nginx.port}/live/cam/index.m3u8`,
          );
          const text = await r.text();
          return r.ok && text.includes("#EXTINF") ? true : undefined;
        }, 30_000);
        const hls = await ffprobe(
          `http://127.0.0.1:${nginx.port}/live/cam/index.m3u8`,
        );
        assert.ok(hls.streams.some((s) => s.codec_name === "h264"));
      } finally {
        await nginx.stop();
        await stop(ffmpeg);
      }
    } finally {
      await stop(redis);
    }
  },
});
