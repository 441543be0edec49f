// A fake origin that answers the control API contract (/api/v1/server,
// /streams, /clients, DELETE /clients/{id}) with fixed data that changes a
// little on every request, and serves the real dashboard routes: for testing
// the page's layout and behaviour without a running engine.
import { dashboardRoutes } from "../../../protocols/http/mod.ts";

/** What the fake origin saw. */
export interface FixtureOrigin extends AsyncDisposable {
  base: string;
  /** DELETE /api/v1/clients/{id} requests: id and Authorization header. */
  kicks: { id: string; authorization: string | null }[];
}

const STARTED = "2026-12-06T08:00:00.000Z";

function stream(
  app: string,
  name: string,
  protocol: string,
  t: number,
  byProtocol: Record<string, number>,
  derived: string[] = [],
): unknown {
  const total = Object.values(byProtocol).reduce((a, b) => a + b, 0);
  return {
    key: `${app}/${name}`,
    app,
    name,
    startedAt: STARTED,
    uptime: 3725 + t,
    publisher: { protocol, remoteAddr: "203.0.113.7:51234" },
    video: {
      codec: "h264",
      codecString: "avc1.64001f",
      width: 1280,
      height: 720,
      fps: 30,
      bitrate: 2_400_000 + (t % 7) * 90_000,
    },
    audio: {
      codec: "aac",
      codecString: "mp4a.40.2",
      sampleRate: 48000,
      channels: 2,
      bitrate: 128_000,
    },
    bitrate: 2_528_000 + (t % 7) * 90_000,
    viewers: { total: total + (t % 3), byProtocol },
    derived,
  };
}

/** Start the fake origin on 127.0.0.1, port 0, with `extraViewers` more HLS viewers in the client list. */
export function startFixtureOrigin(extraViewers = 0): FixtureOrigin {
  const dashboard = dashboardRoutes();
  const kicks: FixtureOrigin["kicks"] = [];
  let tick = 0;
  let base = "";
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const url = new URL(request.url);
      const json = (body: unknown, status = 200) =>
        new Response(JSON.stringify(body), {
          status,
          headers: { "content-type": "application/json" },
        });
      if (url.pathname === "/api/v1/server") {
        tick++;
        const host = base.replace("http://", "");
        return json({
          version: "0.2.0",
          startedAt: STARTED,
          uptime: 5400 + tick,
          cpu: { percent: 12 + (tick % 5) * 3.5 },
          memory: { rss: 96_000_000 + tick * 100_000, heapUsed: 41_000_000 },
          bandwidth: {
            inBitsPerSecond: 7_600_000 + (tick % 4) * 200_000,
            outBitsPerSecond: 61_000_000 + (tick % 6) * 2_000_000,
          },
          connections: { current: 37, limit: 1000, refused: 3 },
          endpoints: {
            http: `http://${host}`,
            rtmp: `rtmp://${host.replace(/:\d+$/, ":1935")}`,
            rtmps: null,
            srt: `srt://${host.replace(/:\d+$/, ":8890")}`,
            rtsp: `rtsp://${host.replace(/:\d+$/, ":8554")}`,
            rtsps: null,
            webrtc: true,
          },
        });
      }
      if (url.pathname === "/api/v1/streams") {
        return json({
          streams: [
            stream("live", "cam", "rtmp", tick, {
              hls: 12,
              "http-flv": 4,
              webrtc: 2,
            }, [
              "live/cam~480p",
            ]),
            stream(
              "live",
              "conference-hall-b-main-stage-camera-2026",
              "srt",
              tick,
              {
                "ws-flv": 3,
                rtsp: 1,
              },
            ),
            stream("events", "keynote", "webrtc", tick, {}),
          ],
        });
      }
      if (url.pathname === "/api/v1/clients") {
        return json({
          clients: [
            ["c-1a2b3c", "publisher", "rtmp", "live/cam", "203.0.113.7:51234"],
            [
              "c-4d5e6f",
              "viewer",
              "hls",
              "live/cam",
              "[2001:db8:85a3::8a2e:370:7334]:61000",
            ],
            [
              "c-7a8b9c",
              "viewer",
              "http-flv",
              "live/cam",
              "198.51.100.23:40112",
            ],
            [
              "c-0d1e2f",
              "viewer",
              "ws-flv",
              "live/conference-hall-b-main-stage-camera-2026",
              "198.51.100.24:40113",
            ],
            ["c-3a4b5c", "viewer", "webrtc", "live/cam", null],
            ...Array.from({ length: extraViewers }, (_, i) => [
              `c-x${i}`,
              "viewer",
              "hls",
              "live/cam",
              `192.0.2.${i % 250}:${40000 + i}`,
            ]),
          ].map(([id, kind, protocol, stream, remoteAddr]) => ({
            id,
            kind,
            protocol,
            stream,
            remoteAddr,
            startedAt: new Date(Date.now() - 754_000).toISOString(),
            bytesSent: 48_123_456,
            bytesReceived: 2_345,
          })),
        });
      }
      const kick = url.pathname.match(/^\/api\/v1\/clients\/([^/]+)$/);
      if (kick && request.method === "DELETE") {
        kicks.push({
          id: decodeURIComponent(kick[1]!),
          authorization: request.headers.get("authorization"),
        });
        return request.headers.get("authorization") === "Bearer admin-secret"
          ? new Response(null, { status: 204 })
          : json({
            error: { code: "forbidden", message: "Cannot kick: wrong token" },
          }, 403);
      }
      return dashboard.fetch(request);
    },
  );
  base = `http://127.0.0.1:${server.addr.port}`;
  return {
    base,
    kicks,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
