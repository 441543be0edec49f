/**
 * The dashboard routes: the page at `/` and the two player libraries it
 * loads, hls.js at `/_assets/hls.min.js` and mpegts.js at
 * `/_assets/mpegts.js`.
 *
 * The page (`_dashboard_page.ts`, with its scripts in `_dashboard_script.ts`
 * and `_dashboard_player.ts`) reads the control API (`/api/v1/server`,
 * `/api/v1/streams`, `/api/v1/clients`; the legacy `/api/streams` when v1 is
 * not mounted) and plays HLS / LL-HLS (hls.js), HTTP-FLV / WS-FLV (mpegts.js)
 * and WHEP (the browser's `RTCPeerConnection`). Memory in the page is bounded
 * (graph histories of 90 samples; cards of ended streams are dropped).
 *
 * The libraries are the browser builds from the npm packages, resolved with
 * `import.meta.resolve()` (which yields a `file:` URL when the host runs with
 * a `node_modules` folder), then `./node_modules/` under the working
 * directory, or an explicit path given in {@linkcode DashboardOptions}. Each
 * file is read once on first request and kept (two files, under 1 MiB in
 * all); when none is found the route answers 404 and the page degrades to
 * native HLS playback.
 *
 * @module
 */
import { Hono } from "hono";
import type { HttpRoutes } from "../http_routes.ts";
import { DASHBOARD_HTML } from "./_dashboard_page.ts";

/** Where the dashboard finds the player libraries. *
 * @example Point at vendored copies
 * ```ts
 * import { type DashboardOptions, dashboardRoutes } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const options: DashboardOptions = { hlsJsPath: "/srv/vendor/hls.min.js" };
 * const res = await dashboardRoutes(options).request("/_assets/unknown.js");
 * assert.equal(res.status, 404);
 * ```
 */
export interface DashboardOptions {
  /** Path or `file:` URL of `hls.js/dist/hls.min.js`; resolved from node_modules when absent. */
  hlsJsPath?: string | URL;
  /** Path or `file:` URL of `mpegts.js/dist/mpegts.js`; resolved from node_modules when absent. */
  mpegtsJsPath?: string | URL;
}

/** Browser builds, by asset name: how to resolve each (literal specifiers, so tools can analyze them). */
const ASSETS: Record<
  string,
  {
    path: string;
    resolve: () => string;
    option: keyof DashboardOptions;
    /** Where a browser can fetch the same pinned build when no local copy exists (a JSR install has no node_modules). */
    cdn: string;
  }
> = {
  "hls.min.js": {
    path: "hls.js/dist/hls.min.js",
    cdn: "https://cdn.jsdelivr.net/npm/hls.js@1.7.4/dist/hls.min.js",
    resolve: () => import.meta.resolve("hls.js/dist/hls.min.js"),
    option: "hlsJsPath",
  },
  "mpegts.js": {
    path: "mpegts.js/dist/mpegts.js",
    cdn: "https://cdn.jsdelivr.net/npm/mpegts.js@1.8.2/dist/mpegts.js",
    resolve: () => import.meta.resolve("mpegts.js/dist/mpegts.js"),
    option: "mpegtsJsPath",
  },
};

/**
 * Build the dashboard sub-app: `GET /` and `GET /_assets/:file`.
 *
 * @param options explicit asset locations (optional)
 * @returns a Hono app to mount at the root of the egress app
 *
 * @example Serve the page
 * ```ts
 * import { dashboardRoutes } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const app = dashboardRoutes();
 * const res = await app.request("/");
 * assert.equal(res.status, 200);
 * assert.match(await res.text(), /arcly-stream/);
 * ```
 */
export function dashboardRoutes(options: DashboardOptions = {}): HttpRoutes {
  const app = new Hono();
  addDashboardRoutes(app, options);
  return app;
}

/**
 * Register the routes of {@linkcode dashboardRoutes} on an existing Hono app (how
 * `createHttpApp()` composes them).
 *
 * @param app the app to add routes to
 * @param options as for {@linkcode dashboardRoutes}
 */
export function addDashboardRoutes(app: Hono, options: DashboardOptions): void {
  const cache = new Map<string, Uint8Array | null>();
  app.get("/", (c) => {
    c.header("Cache-Control", "no-cache");
    return c.html(DASHBOARD_HTML);
  });
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/_assets/:file", async (c) => {
    const name = c.req.param("file");
    const asset = ASSETS[name];
    if (asset === undefined) return c.notFound();
    let bytes = cache.get(name);
    if (bytes === undefined) {
      bytes = await readAsset(asset, options[asset.option]);
      cache.set(name, bytes);
    }
    // No local copy (e.g. running from JSR without node_modules): let the
    // browser load the same pinned version from the npm CDN.
    if (bytes === null) return c.redirect(asset.cdn, 302);
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=86400",
    });
  });
}

async function readAsset(
  asset: { path: string; resolve: () => string },
  explicit: string | URL | undefined,
): Promise<Uint8Array | null> {
  const candidates: (string | URL)[] = [];
  if (explicit !== undefined) candidates.push(explicit);
  try {
    const resolved = new URL(asset.resolve());
    if (resolved.protocol === "file:") candidates.push(resolved);
  } catch {
    // not in the host's import map: fall through to node_modules
  }
  candidates.push(`${Deno.cwd()}/node_modules/${asset.path}`);
  for (const candidate of candidates) {
    try {
      return await Deno.readFile(candidate);
    } catch {
      // try the next location
    }
  }
  return null;
}
