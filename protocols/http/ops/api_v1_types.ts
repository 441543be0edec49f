/**
 * The JSON shapes of the control API v1 (`/api/v1/*`), as the contract
 * fixes them: what the dashboard and any operator tool read.
 *
 * @module
 */

/** The error body of every failed `/api/v1` request. *
 * @example
 * ```ts
 * import type { ApiV1Error } from "@arcly/stream/http";
 * const body: ApiV1Error = { error: { code: "not_found", message: "Cannot find client c-9: no such client" } };
 * ```
 */
export interface ApiV1Error {
  /** Stable code and a "Cannot …: …" message. */
  error: { code: ApiV1ErrorCode; message: string };
}

/** Stable error codes, with their HTTP status. *
 * @example
 * ```ts
 * import type { ApiV1ErrorCode } from "@arcly/stream/http";
 * const code: ApiV1ErrorCode = "unauthorized";
 * ```
 */
export type ApiV1ErrorCode =
  | "unauthorized" // 401
  | "forbidden" // 403
  | "not_found" // 404
  | "bad_request" // 400
  | "conflict" // 409
  | "unavailable"; // 503

/** Where each listener is reachable (null: off). *
 * @example
 * ```ts
 * import type { ApiV1Endpoints } from "@arcly/stream/http";
 * const endpoints: ApiV1Endpoints = { http: "http://localhost:8080", rtmp: "rtmp://localhost:1935",
 *   rtmps: null, srt: null, rtsp: null, rtsps: null, webrtc: false };
 * ```
 */
export interface ApiV1Endpoints {
  /** `http://h:p` (or `https://…`). */
  http: string | null;
  /** `rtmp://h:p`. */
  rtmp: string | null;
  /** `rtmps://h:p`. */
  rtmps: string | null;
  /** `srt://h:p`. */
  srt: string | null;
  /** `rtsp://h:p`. */
  rtsp: string | null;
  /** `rtsps://h:p`. */
  rtsps: string | null;
  /** WHIP/WHEP available. */
  webrtc: boolean;
}

/** `GET /api/v1/server`. *
 * @example
 * ```ts
 * import type { ApiV1Server } from "@arcly/stream/http";
 * const mbps = (s: ApiV1Server) => s.bandwidth.outBitsPerSecond / 1e6;
 * ```
 */
export interface ApiV1Server {
  /** Package version. */
  version: string;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Seconds since start. */
  uptime: number;
  /** Process CPU, % of one core over the last sampling interval. */
  cpu: { percent: number };
  /** Bytes. */
  memory: { rss: number; heapUsed: number };
  /** Rates over the last seconds. */
  bandwidth: { inBitsPerSecond: number; outBitsPerSecond: number };
  /** Open connections, the limit, and those refused since start. */
  connections: { current: number; limit: number; refused: number };
  /** Listener URLs. */
  endpoints: ApiV1Endpoints;
}

/** A stream's publisher. *
 * @example
 * ```ts
 * import type { ApiV1Publisher } from "@arcly/stream/http";
 * const p: ApiV1Publisher = { protocol: "rtmp", remoteAddr: "10.0.0.2:50000" };
 * ```
 */
export interface ApiV1Publisher {
  /** `rtmp`, `srt`, `rtsp`, `webrtc`, `relay`, … */
  protocol: string;
  /** Peer, when known. */
  remoteAddr: string | null;
}

/** One stream of `GET /api/v1/streams`. *
 * @example
 * ```ts
 * import type { ApiV1Stream } from "@arcly/stream/http";
 * const watched = (s: ApiV1Stream) => s.viewers.total > 0;
 * ```
 */
export interface ApiV1Stream {
  /** `app/name`. */
  key: string;
  /** Application. */
  app: string;
  /** Name. */
  name: string;
  /** ISO 8601. */
  startedAt: string;
  /** Seconds. */
  uptime: number;
  /** Null for streams published by the server itself (renditions, pulls without a client). */
  publisher: ApiV1Publisher | null;
  /** The video track. */
  video: {
    codec: string;
    codecString: string | null;
    width: number | null;
    height: number | null;
    fps: number;
    bitrate: number;
  } | null;
  /** The audio track. */
  audio: {
    codec: string;
    codecString: string | null;
    sampleRate: number | null;
    channels: number | null;
    bitrate: number;
  } | null;
  /** Bits per second, every track. */
  bitrate: number;
  /** Viewers (internal consumers are not); HLS viewers are sessions. */
  viewers: { total: number; byProtocol: Record<string, number> };
  /** Derived streams live now (`live/cam~480p`). */
  derived: string[];
}

/** One client of `GET /api/v1/clients`. *
 * @example
 * ```ts
 * import type { ApiV1Client } from "@arcly/stream/http";
 * const isViewer = (c: ApiV1Client) => c.kind === "viewer";
 * ```
 */
export interface ApiV1Client {
  /** `c-…` (the `DELETE /api/v1/clients/{id}` id). */
  id: string;
  /** Viewer or publisher. */
  kind: "viewer" | "publisher";
  /** Protocol. */
  protocol: string;
  /** `app/name`. */
  stream: string;
  /** Peer, when known. */
  remoteAddr: string | null;
  /** ISO 8601. */
  startedAt: string;
  /** Bytes handed to it. */
  bytesSent: number;
  /** Bytes received from it. */
  bytesReceived: number;
}
