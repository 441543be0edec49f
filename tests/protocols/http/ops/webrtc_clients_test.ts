// A WHEP viewer is listed in engine.clients (protocol webrtc) and a kick
// closes its session; the WHEP offer is synthetic (no browser).
import assert from "node:assert/strict";
import { Engine, ManualClock } from "../../../../src/mod.ts";
import { WebRtcHandler } from "../../../../protocols/webrtc/mod.ts";
import { gop, videoConfig } from "../../../_fakes.ts";
import { syntheticOffer } from "../../webrtc/_offers.ts";

Deno.test("clients: a WHEP viewer is listed as webrtc and a kick closes its session", async () => {
  const clock = new ManualClock(0);
  const engine = Engine.builder().clock(clock).build();
  const webrtc = new WebRtcHandler({
    udp: { hostname: "127.0.0.1", port: 0 },
    hosts: ["127.0.0.1"],
    connectTimeoutMs: 5_000,
  });
  const controller = new AbortController();
  const served = engine.serve([webrtc], controller.signal);
  try {
    await webrtc.listening;
    const handle = engine.startPublish("live/cam");
    handle.publishFrame(videoConfig());
    for (const f of gop(0, 5)) handle.publishFrame(f);
    const res = await webrtc.routes.fetch(
      new Request("http://origin/live/cam/whep", {
        method: "POST",
        body: syntheticOffer(),
        headers: { "content-type": "application/sdp" },
      }),
      { remoteAddr: "127.0.0.1:40000" },
    );
    assert.equal(res?.status, 201, await res?.clone().text());
    await res?.body?.cancel();
    const [viewer] = engine.clients.list();
    assert.equal(viewer?.protocol, "webrtc");
    assert.equal(viewer?.kind, "viewer");
    assert.equal(viewer?.stream, "live/cam");
    assert.deepEqual(engine.clients.countsByProtocol("live/cam"), {
      webrtc: 1,
    });
    assert.equal(webrtc.stats.whepSessions, 1);
    assert.equal(engine.clients.kick(viewer!.id), true);
    assert.equal(webrtc.stats.whepSessions, 0);
    assert.equal(engine.clients.list().length, 0);
  } finally {
    controller.abort();
    await served;
    await engine.shutdown({ deadlineMs: 0 });
  }
});
