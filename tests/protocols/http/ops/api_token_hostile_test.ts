// Hostile: the control API's admin token through the CLI origin — wrong,
// missing, malformed and query-string tokens are refused (401/403 JSON with a
// stable code), and neither the token nor a guess reaches the origin's log
// lines, /api/v1/* answers, error messages or /metrics.
import assert from "node:assert/strict";
import { startOrigin } from "../../../../cli/origin.ts";
import { parseOriginArgs } from "../../../../cli/options.ts";

const TOKEN = "admin-Secret-5e1b77";
const GUESSES = [
  "guess-CCCC-3333",
  "admin-Secret-5e1b7",
  "admin-Secret-5e1b777",
];

Deno.test("hostile: api token refusals are JSON 401/403 and no token leaks", async () => {
  const hlsDir = await Deno.makeTempDir({ prefix: "arcly-api-token-" });
  const logLines: string[] = [];
  const origin = await startOrigin(
    parseOriginArgs([
      "--rtmp",
      "off",
      "--http",
      "127.0.0.1:0",
      "--rtsp",
      "off",
      "--srt",
      "off",
      "--webrtc-udp",
      "off",
      "--hls-dir",
      hlsDir,
      "--api-token",
      TOKEN,
    ]),
    (line) => logLines.push(line),
  );
  const base = `http://127.0.0.1:${origin.httpPort}`;
  const bodies: string[] = [];
  try {
    origin.engine.startPublish("live/cam");
    const client = origin.engine.clients.register(
      { kind: "viewer", protocol: "rtmp", stream: "live/cam" },
      () => {},
    );
    const path = `${base}/api/v1/clients/${client.id}`;
    const attempts: [RequestInit, number, string][] = [
      [{ method: "DELETE" }, 401, "unauthorized"],
      [
        { method: "DELETE", headers: { authorization: "Basic eDp5" } },
        401,
        "unauthorized",
      ],
      [
        { method: "DELETE", headers: { authorization: "Bearer" } },
        401,
        "unauthorized",
      ],
      ...GUESSES.map((g): [RequestInit, number, string] => [
        { method: "DELETE", headers: { authorization: `Bearer ${g}` } },
        403,
        "forbidden",
      ]),
      [
        { method: "POST", headers: { authorization: `Bearer ${GUESSES[0]}` } },
        403,
        "forbidden",
      ],
    ];
    for (const [init, status, code] of attempts) {
      const res = await fetch(path, init);
      const text = await res.text();
      bodies.push(text);
      assert.equal(res.status, status, `${JSON.stringify(init)}: ${text}`);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      assert.equal(JSON.parse(text).error.code, code);
    }
    // The token in the query string is not an admin credential.
    const query = await fetch(`${path}?token=${TOKEN}`, { method: "DELETE" });
    bodies.push(await query.text());
    assert.equal(query.status, 401);
    assert.ok(origin.engine.clients.get(client.id), "a refused kick kicked");
    // The real token works once.
    const ok = await fetch(path, {
      method: "DELETE",
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(ok.status, 204);
    await ok.body?.cancel();
    for (const p of ["server", "streams", "clients", "openapi.json"]) {
      bodies.push(await (await fetch(`${base}/api/v1/${p}`)).text());
    }
    bodies.push(await (await fetch(`${base}/metrics`)).text());
    const haystacks = { log: logLines.join("\n"), api: bodies.join("\n") };
    for (const secret of [TOKEN, ...GUESSES]) {
      for (const [where, text] of Object.entries(haystacks)) {
        assert.ok(!text.includes(secret), `${secret} leaked into ${where}`);
      }
    }
    assert.ok(
      logLines.some((l) => l.includes("/api/v1/openapi.json")),
      "the banner names the control API",
    );
  } finally {
    await origin.stop();
    await Deno.remove(hlsDir, { recursive: true });
  }
});
