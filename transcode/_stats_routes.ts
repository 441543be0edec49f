// GET /api/transcode[/{key}]: the service's per-derived-stream figures as JSON.
import type { HttpRouteProvider } from "../src/mod.ts";
import type { TranscodeStats } from "./transcode_types.ts";

/** The route provider over `service`'s figures. */
export function statsRoutes(service: {
  list(): TranscodeStats[];
  stats(key: string): TranscodeStats | undefined;
}): HttpRouteProvider {
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: {
        "content-type": "application/json",
        "cache-control": "no-store",
        "access-control-allow-origin": "*",
      },
    });
  return {
    name: "transcode-api",
    fetch: (request) => {
      const path = new URL(request.url).pathname;
      if (request.method !== "GET" || !path.startsWith("/api/transcode")) {
        return null;
      }
      if (path === "/api/transcode" || path === "/api/transcode/") {
        return json({ transcoders: service.list() });
      }
      const key = decodeURIComponent(path.slice("/api/transcode/".length));
      const stats = service.stats(key);
      return stats ? json(stats) : json({ error: "no such transcoder" }, 404);
    },
  };
}
