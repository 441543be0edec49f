// SRT connections in the engine's client registry (control API seam):
// the publisher and each reader are listed with protocol "srt" and their
// address, the reader's bytes are counted, and a kick (DELETE
// /api/v1/clients/{id}) ends that SRT connection within a second.
import assert from "node:assert/strict";
import { MpegTsMuxer } from "../../../media/mpegts/mod.ts";
import type { MediaFrame } from "../../../media/frame.ts";
import { SrtClient } from "../../../protocols/srt/mod.ts";
import { startSrtOrigin, until } from "./_srt_fixture.ts";

const muxer = new MpegTsMuxer();

function audioTs(fromMs: number, toMs: number, config: boolean): Uint8Array {
  const frames: MediaFrame[] = config
    ? [{
      kind: "audio",
      codec: "aac",
      trackId: 0,
      pts: 0,
      dts: 0,
      timescale: 1000,
      keyframe: true,
      config: true,
      data: new Uint8Array([0x12, 0x10]),
    }]
    : [];
  for (let t = fromMs; t < toMs; t += 23) {
    frames.push({
      kind: "audio",
      codec: "aac",
      trackId: 0,
      pts: t,
      dts: t,
      timescale: 1000,
      keyframe: true,
      config: false,
      data: new Uint8Array(300).fill(t & 0xff),
    });
  }
  return muxer.mux(frames);
}

Deno.test("SRT publisher and readers are listed as srt clients; a kick ends the reader's, then the publisher's connection within 1 s", async () => {
  await using origin = await startSrtOrigin({ egressTickMs: 0 });
  const at = { hostname: "127.0.0.1", port: origin.port };
  const pub = await SrtClient.connect({ ...at, streamId: "publish:live/k" });
  let reader: SrtClient | undefined;
  try {
    pub.sendTs(audioTs(0, 1000, true));
    await until(
      () => (origin.engine.getStream("live/k")?.qos().framesIn ?? 0) > 10,
      5_000,
      "published",
    );
    reader = await SrtClient.connect({ ...at, streamId: "read:live/k" });
    let bytes = 0;
    const r = reader;
    const counting = (async () => {
      for await (const p of r.payloads()) bytes += p.length;
    })();
    pub.sendTs(audioTs(1000, 2000, false));
    await until(() => bytes > 5000, 5_000, "reader bytes");
    const clients = origin.engine.clients.list().filter((c) =>
      c.stream === "live/k"
    );
    const viewer = clients.find((c) => c.kind === "viewer");
    const publisher = clients.find((c) => c.kind === "publisher");
    assert.equal(viewer?.protocol, "srt", JSON.stringify(clients));
    assert.equal(publisher?.protocol, "srt", JSON.stringify(clients));
    assert.match(viewer!.remoteAddr ?? "", /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(
      origin.engine.clients.countsByProtocol("live/k"),
      { srt: 1 },
    );
    await until(
      () => (origin.engine.clients.get(viewer!.id)?.bytesSent ?? 0) > 5000,
      5_000,
      "bytes counted",
    );
    const t0 = Date.now();
    assert.equal(origin.engine.clients.kick(viewer!.id, "test kick"), true);
    const reason = await reader.closed;
    assert.ok(Date.now() - t0 < 1000, `closed after ${Date.now() - t0} ms`);
    assert.match(reason, /peer shut down/);
    await counting;
    await until(
      () => origin.srt.stats.connections === 1,
      2_000,
      "the reader's connection gone at the server",
    );
    assert.equal(origin.engine.clients.get(viewer!.id), undefined);
    // the publisher too
    const t1 = Date.now();
    assert.equal(origin.engine.clients.kick(publisher!.id, "test kick"), true);
    await pub.closed;
    assert.ok(Date.now() - t1 < 1000, `closed after ${Date.now() - t1} ms`);
  } finally {
    reader?.close();
    pub.close();
    await pub.closed;
  }
});
