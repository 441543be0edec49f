// Interop with ffmpeg's libsrt (ffmpeg 5.1 / libsrt 1.5): ffmpeg publishes
// H.264 + AAC in MPEG-TS over SRT (caller) into SrtHandler; ffmpeg reads it
// back over SRT and decodes it with no error, ffprobe plays it over RTMP and
// HTTP-FLV; passphrases (right, wrong, missing) and refused stream ids.
import assert from "node:assert/strict";
import { ffprobe, missing, run } from "../../_tools.ts";
import {
  ffmpegPublish,
  finish,
  startSrtOrigin,
  stop,
  until,
} from "./_srt_fixture.ts";

Deno.test({
  name:
    "ffmpeg publishes over SRT; SRT read (ffmpeg decode), RTMP and HTTP-FLV (ffprobe) play it",
  ignore: missing("ffmpeg", "ffprobe"),
  async fn() {
    await using origin = await startSrtOrigin({ rtmp: true, http: true });
    const pub = ffmpegPublish(
      `srt://127.0.0.1:${origin.port}?streamid=publish:live/cam&latency=200000`,
      60,
    );
    try {
      await until(
        () =>
          (origin.engine.getStream("live/cam")?.qos().tracks.length ?? 0) >= 2,
        15_000,
        "two tracks",
      );
      const read = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        `srt://127.0.0.1:${origin.port}?streamid=read:live/cam`,
        "-t",
        "3",
        "-f",
        "null",
        "-",
      ], { timeoutMs: 20_000 });
      assert.equal(read.code, 0, read.stderr);
      assert.equal(read.stderr.trim(), "", "decode errors over SRT");
      const probe = await ffprobe(
        `srt://127.0.0.1:${origin.port}?streamid=read:live/cam`,
      );
      assert.deepEqual(probe.streams.map((s) => s.codec_name).sort(), [
        "aac",
        "h264",
      ]);
      const rtmp = await ffprobe(
        `rtmp://127.0.0.1:${origin.rtmpPort}/live/cam`,
      );
      assert.deepEqual(rtmp.streams.map((s) => s.codec_name).sort(), [
        "aac",
        "h264",
      ]);
      const flv = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        `http://127.0.0.1:${origin.httpPort}/live/cam.flv`,
        "-t",
        "2",
        "-f",
        "null",
        "-",
      ], { timeoutMs: 20_000 });
      assert.equal(flv.code, 0, flv.stderr);
      assert.equal(flv.stderr.trim(), "", "decode errors over HTTP-FLV");
      const stats = origin.srt.stats;
      assert.ok(stats.packetsReceived > 100);
      assert.ok(stats.packetsSent > 100);
      assert.equal(stats.garbage, 0);
    } finally {
      await stop(pub);
    }
    await until(
      () => origin.engine.getStream("live/cam") === undefined,
      5_000,
      "stream end after disconnect",
    );
    assert.ok(
      origin.audit.some((e) =>
        e.type === "publishEnded" && e.key === "live/cam"
      ),
    );
  },
});

Deno.test({
  name:
    "passphrase on both sides: encrypted publish and read decode; wrong or missing passphrase is refused",
  ignore: missing("ffmpeg"),
  async fn() {
    const pass = "correct-horse-battery";
    await using origin = await startSrtOrigin({
      passphrase: pass,
      pbKeyLen: 32,
    });
    const base = `srt://127.0.0.1:${origin.port}?latency=200000`;
    const pub = ffmpegPublish(
      `${base}&streamid=publish:live/sec&passphrase=${pass}&pbkeylen=32`,
      60,
    );
    try {
      await until(
        () =>
          (origin.engine.getStream("live/sec")?.qos().tracks.length ?? 0) >= 2,
        15_000,
        "two tracks",
      );
      const read = await run("ffmpeg", [
        "-v",
        "error",
        "-i",
        `${base}&streamid=read:live/sec&passphrase=${pass}`,
        "-t",
        "2",
        "-f",
        "null",
        "-",
      ], { timeoutMs: 20_000 });
      assert.equal(read.code, 0, read.stderr);
      assert.equal(read.stderr.trim(), "");
      for (const bad of [`&passphrase=wrong-horse-battery`, ""]) {
        const refused = await run("ffmpeg", [
          "-v",
          "error",
          "-i",
          `${base}&streamid=read:live/sec${bad}`,
          "-t",
          "1",
          "-f",
          "null",
          "-",
        ], { timeoutMs: 20_000 });
        assert.notEqual(refused.code, 0, `read with "${bad}" must fail`);
      }
      const reasons = origin.audit.flatMap((e) =>
        e.type === "clientDropped" ? [e.reason] : []
      );
      assert.ok(
        reasons.some((r) =>
          r.includes("(10)") && r.includes("wrong passphrase")
        ),
        reasons.join("; "),
      );
      assert.ok(reasons.some((r) => r.includes("(11)")), reasons.join("; "));
      assert.equal(origin.srt.stats.connections, 1); // only the publisher
    } finally {
      await stop(pub);
    }
  },
});

Deno.test({
  name:
    "bad stream id, unknown stream, refused token and a second publisher get reject codes 1400/1404/1401/1409",
  ignore: missing("ffmpeg"),
  async fn() {
    await using origin = await startSrtOrigin({
      authenticator: {
        authorize: (req) =>
          req.credentials.token === "letmein" || req.action === "play"
            ? { allowed: true }
            : { allowed: false, reason: "bad token", challenge: true },
      },
    });
    const url = (sid: string) =>
      `srt://127.0.0.1:${origin.port}?streamid=${sid}`;
    const tryRead = (sid: string) =>
      run("ffmpeg", [
        "-v",
        "error",
        "-i",
        url(sid),
        "-t",
        "1",
        "-f",
        "null",
        "-",
      ], { timeoutMs: 20_000 });
    assert.notEqual((await tryRead("nonsense:a:b:c:d")).code, 0);
    assert.notEqual((await tryRead("read:live/none")).code, 0);
    const noToken = await finish(
      ffmpegPublish(url("publish:live/cam"), 2),
      20_000,
    );
    assert.notEqual(noToken.code, 0);
    const pub = ffmpegPublish(url("publish:live/cam:me:letmein"), 60);
    try {
      await until(
        () => origin.engine.getStream("live/cam") !== undefined,
        15_000,
        "publisher",
      );
      // the access-control form ("#" would end the URL): as ffmpeg's -streamid option
      const second = await finish(
        ffmpegPublish(`srt://127.0.0.1:${origin.port}`, 2, [
          "-srt_streamid",
          "#!::r=live/cam,m=publish,t=letmein",
        ]),
        20_000,
      );
      assert.notEqual(second.code, 0, second.stderr);
    } finally {
      await stop(pub);
    }
    const reasons = origin.audit.flatMap((e) =>
      e.type === "clientDropped" ? [e.reason] : []
    );
    for (const code of [1400, 1404, 1401, 1409]) {
      assert.ok(
        reasons.some((r) => r.includes(`(${code})`)),
        `${code} in ${reasons.join("; ")}`,
      );
    }
  },
});

Deno.test({
  name:
    "key refresh: ffmpeg re-keys every 400 packets (even/odd KM refresh) and frames keep flowing",
  ignore: missing("ffmpeg"),
  async fn() {
    const pass = "refresh-secret-123";
    await using origin = await startSrtOrigin({ passphrase: pass });
    const pub = ffmpegPublish(
      `srt://127.0.0.1:${origin.port}?streamid=publish:live/km&passphrase=${pass}&kmrefreshrate=400&kmpreannounce=100`,
      60,
    );
    try {
      // 1,300 packets = three key switches; without the refreshed keys
      // every packet after the first switch would be undecryptable
      await until(
        () => origin.srt.stats.packetsReceived > 1300,
        30_000,
        "1,300 packets",
      );
      const framesAt = origin.engine.getStream("live/km")!.qos().framesIn;
      await until(
        () =>
          (origin.engine.getStream("live/km")?.qos().framesIn ?? 0) >
            framesAt + 60,
        10_000,
        "frames after the key switches",
      );
      assert.equal(origin.srt.stats.connections, 1);
    } finally {
      await stop(pub);
    }
  },
});
