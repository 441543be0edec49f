// The CLI origin with publish and play tokens, attacked with wrong and missing
// tokens over RTMP, HTTP-FLV (query and Bearer) and HLS: every refusal is an
// `authRefused` audit record naming the protocol and client address, and no
// token (real or guessed) appears in audit records, engine events, the
// origin's log lines, /metrics or /api/streams.
import assert from "node:assert/strict";
import { startOrigin } from "../../cli/origin.ts";
import { parseOriginArgs } from "../../cli/options.ts";
import type { AuditEvent, EngineEvent } from "../../mod.ts";
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { report } from "./_origin.ts";

const PUBLISH_TOKEN = "pub-Secret-7f3a9c";
const PLAY_TOKEN = "play-Secret-0d41e2";
const GUESSES = ["guess-AAAA-1111", "guess-BBBB-2222"];

Deno.test("hostile: refused clients are audited and no token reaches audit, events, logs or metrics", async () => {
  const hlsDir = await Deno.makeTempDir({ prefix: "arcly-hostile-" });
  const logLines: string[] = [];
  const origin = await startOrigin(
    parseOriginArgs([
      "--rtmp",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--hls-dir",
      hlsDir,
      "--publish-token",
      PUBLISH_TOKEN,
      "--play-token",
      PLAY_TOKEN,
    ]),
    (line) => logLines.push(line),
  );
  const audit: AuditEvent[] = [];
  origin.engine.audit.add({ record: (e) => audit.push(e) });
  const events: string[] = [];
  const off = origin.engine.events.observe({
    onEvent: (e: EngineEvent) => {
      const error = "error" in e ? (e.error as { message?: string }) : null;
      events.push(`${JSON.stringify(e)} ${error?.message ?? ""}`);
    },
  });
  const rtmpUrl = `rtmp://127.0.0.1:${origin.rtmpPort}/live`;
  const http = `http://127.0.0.1:${origin.httpPort}`;
  try {
    // The legit publisher, with the real token.
    const publisher = await RtmpClient.connect(rtmpUrl);
    await publisher.publish(`cam?token=${PUBLISH_TOKEN}`);

    let refusedAttempts = 0;
    // RTMP publish with wrong and missing tokens.
    for (
      const name of [
        `cam2?token=${GUESSES[0]}`,
        "cam3",
        `cam?token=${PLAY_TOKEN}`,
      ]
    ) {
      const c = await RtmpClient.connect(rtmpUrl);
      await assert.rejects(c.publish(name));
      await c.close();
      refusedAttempts++;
    }
    // RTMP play with a wrong token.
    {
      const c = await RtmpClient.connect(rtmpUrl);
      await assert.rejects(c.play(`cam?token=${GUESSES[1]}`));
      await c.close();
      refusedAttempts++;
    }
    // HTTP-FLV and HLS with wrong tokens (query and Bearer) or none.
    const requests: [string, RequestInit][] = [
      [`${http}/live/cam.flv?token=${GUESSES[0]}`, {}],
      [`${http}/live/cam.flv`, {
        headers: { Authorization: `Bearer ${GUESSES[1]}` },
      }],
      [`${http}/live/cam/index.m3u8?token=${PUBLISH_TOKEN}`, {}],
      [`${http}/live/cam/index.m3u8`, {}],
    ];
    for (const [url, init] of requests) {
      const res = await fetch(url, init);
      await res.body?.cancel();
      assert.ok(
        res.status === 401 || res.status === 403,
        `${url}: ${res.status}`,
      );
      refusedAttempts++;
    }
    // The legit viewer with the real token is allowed.
    const ok = await fetch(`${http}/live/cam.flv?token=${PLAY_TOKEN}`);
    assert.equal(ok.status, 200);
    await ok.body?.cancel();

    const metrics = await (await fetch(`${http}/metrics`)).text();
    const api = await (await fetch(`${http}/api/streams`)).text();
    await publisher.close();

    const refused = audit.filter((e) => e.type === "authRefused");
    report(
      `audit: ${refusedAttempts} refused attempts → ${refused.length} authRefused records ` +
        `(protocols ${
          [
            ...new Set(
              refused.map((e) => e.type === "authRefused" ? e.protocol : ""),
            ),
          ].join(", ")
        }); ` +
        `${audit.length} records, ${events.length} events, ${logLines.length} log lines scanned for 4 secrets`,
    );
    assert.equal(refused.length, refusedAttempts);
    for (const e of refused) {
      assert.ok(e.type === "authRefused");
      assert.equal(e.remoteAddr?.replace(/:\d+$/, ""), "127.0.0.1");
      assert.ok(e.reason.length > 0);
    }
    const haystacks = {
      audit: JSON.stringify(audit),
      events: events.join("\n"),
      log: logLines.join("\n"),
      metrics,
      api,
    };
    for (const secret of [PUBLISH_TOKEN, PLAY_TOKEN, ...GUESSES]) {
      for (const [where, text] of Object.entries(haystacks)) {
        assert.ok(!text.includes(secret), `${secret} leaked into ${where}`);
      }
    }
  } finally {
    off();
    await origin.stop();
    await Deno.remove(hlsDir, { recursive: true });
  }
});
