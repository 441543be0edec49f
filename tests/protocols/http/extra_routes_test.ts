// createHttpApp({ extraRoutes }): providers are consulted first, in order;
// null falls through to the next provider, then to the built-in routes; a
// provider answers its own OPTIONS (CORS left to it).
import assert from "node:assert/strict";
import { Engine, type HttpRouteProvider } from "../../../mod.ts";
import { createHttpApp } from "../../../protocols/http/mod.ts";

Deno.test("createHttpApp: extraRoutes answer their paths before the built-in routes and the 404", async () => {
  await using engine = Engine.builder().build();
  const seen: string[] = [];
  const whip: HttpRouteProvider = {
    name: "whip",
    fetch(request) {
      const path = new URL(request.url).pathname;
      seen.push(`whip ${request.method} ${path}`);
      if (!path.endsWith("/whip")) return null;
      if (request.method === "OPTIONS") {
        return new Response(null, {
          status: 204,
          headers: { "Access-Control-Allow-Methods": "POST, DELETE" },
        });
      }
      return new Response("answer", { status: 201 });
    },
  };
  const thumbs: HttpRouteProvider = {
    name: "thumbs",
    fetch: (request) =>
      Promise.resolve(
        new URL(request.url).pathname.endsWith("/thumb.jpg")
          ? new Response("jpeg")
          : null,
      ),
  };
  const app = createHttpApp(engine, {
    extraRoutes: [whip, thumbs],
    dashboard: false,
  });
  const post = await app.request("/live/cam/whip", { method: "POST" });
  assert.equal(post.status, 201);
  assert.equal(await post.text(), "answer");
  const preflight = await app.request("/live/cam/whip", {
    method: "OPTIONS",
    headers: { Origin: "https://x", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(
    preflight.headers.get("Access-Control-Allow-Methods"),
    "POST, DELETE",
  );
  // The HLS route would answer this path (404): the provider goes first.
  assert.equal(await (await app.request("/live/cam/thumb.jpg")).text(), "jpeg");
  // Nobody's: the built-in routes still work, and the 404 stays.
  assert.equal((await app.request("/healthz")).status, 200);
  assert.equal((await app.request("/nothing/here/at/all")).status, 404);
  assert.ok(seen.includes("whip GET /healthz"));
});
