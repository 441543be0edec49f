import assert from "node:assert/strict";
import { dashboardRoutes } from "../../../protocols/http/mod.ts";

Deno.test("the dashboard page loads hls.js and mpegts.js from /_assets and polls the control API v1", async () => {
  const app = dashboardRoutes();
  const page = await app.request("/");
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /^text\/html/);
  const html = await page.text();
  assert.match(html, /<script src="\/_assets\/hls\.min\.js">/);
  assert.match(html, /<script src="\/_assets\/mpegts\.js">/);
  for (const path of ["/api/v1/server", "/api/v1/streams", "/api/v1/clients"]) {
    assert.ok(html.includes(`getJson("${path}")`), path);
  }
  assert.ok(html.includes('getJson("/api/streams")'), "legacy fallback");
  assert.doesNotMatch(html, /innerHTML/, "stream data is written as text only");
  assert.doesNotMatch(html, /https?:\/\//, "nothing loaded from elsewhere");
  for (
    const [asset, marker] of [["hls.min.js", "Hls"], ["mpegts.js", "mpegts"]]
  ) {
    const res = await app.request(`/_assets/${asset}`);
    assert.equal(res.status, 200, asset);
    assert.match(res.headers.get("content-type")!, /javascript/);
    const text = await res.text();
    assert.ok(text.length > 100_000 && text.includes(marker!), asset);
  }
  assert.equal((await app.request("/_assets/../deno.json")).status, 404);
  assert.equal((await app.request("/_assets/other.js")).status, 404);
  assert.equal((await app.request("/favicon.ico")).status, 204);
});

Deno.test("dashboardRoutes() falls back to node_modules when an explicit asset path is missing", async () => {
  const app = dashboardRoutes({ hlsJsPath: "/nonexistent/hls.min.js" });
  // The explicit path fails, the node_modules copy is still found.
  assert.equal((await app.request("/_assets/hls.min.js")).status, 200);
});
