/**
 * The OpenAPI 3.1 document of the control API v1 (`GET
 * /api/v1/openapi.json`): every path of the contract, the recordings paths
 * included. Built once per call from constant parts (no I/O).
 *
 * @module
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const nullable = (type: string): Json => ({ type: [type, "null"] });
const jsonBody = (schema: Json, description: string): Json => ({
  description,
  content: { "application/json": { schema } },
});
const error = (description: string): Json =>
  jsonBody(ref("Error"), description);
const pathParam = (name: string, description: string): Json => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});
const queryParam = (
  name: string,
  description: string,
  schema: Json,
  required = true,
): Json => ({ name, in: "query", required, description, schema });
const STREAM_PARAMS = [
  pathParam("app", "Application name"),
  pathParam("name", "Stream name"),
];
const RANGE_PARAMS = [
  queryParam("start", "Range start, ISO 8601", {
    type: "string",
    format: "date-time",
  }),
  queryParam("duration", "Range length, seconds", {
    type: "number",
    exclusiveMinimum: 0,
  }),
];
const ADMIN = [{ bearer: [] }];
const ADMIN_ERRORS = {
  "401": error("No `Authorization: Bearer` header"),
  "403": error("Wrong token, or no `--api-token` configured"),
};

const SCHEMAS: Json = {
  Error: {
    type: "object",
    required: ["error"],
    properties: {
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: {
            type: "string",
            enum: [
              "unauthorized",
              "forbidden",
              "not_found",
              "bad_request",
              "conflict",
              "unavailable",
            ],
          },
          message: { type: "string" },
        },
      },
    },
  },
  Server: {
    type: "object",
    required: [
      "version",
      "startedAt",
      "uptime",
      "cpu",
      "memory",
      "bandwidth",
      "connections",
      "endpoints",
    ],
    properties: {
      version: { type: "string" },
      startedAt: { type: "string", format: "date-time" },
      uptime: { type: "number", description: "seconds" },
      cpu: {
        type: "object",
        properties: {
          percent: {
            type: "number",
            description: "% of one core, last sampling interval",
          },
        },
      },
      memory: {
        type: "object",
        properties: {
          rss: { type: "integer" },
          heapUsed: { type: "integer" },
        },
      },
      bandwidth: {
        type: "object",
        properties: {
          inBitsPerSecond: { type: "number" },
          outBitsPerSecond: { type: "number" },
        },
      },
      connections: {
        type: "object",
        properties: {
          current: { type: "integer" },
          limit: { type: "integer" },
          refused: { type: "integer" },
        },
      },
      endpoints: {
        type: "object",
        properties: {
          http: nullable("string"),
          rtmp: nullable("string"),
          rtmps: nullable("string"),
          srt: nullable("string"),
          rtsp: nullable("string"),
          rtsps: nullable("string"),
          webrtc: { type: "boolean" },
        },
      },
    },
  },
  Track: {
    type: ["object", "null"],
    properties: {
      codec: { type: "string" },
      codecString: nullable("string"),
      width: nullable("integer"),
      height: nullable("integer"),
      fps: { type: "number" },
      sampleRate: nullable("integer"),
      channels: nullable("integer"),
      bitrate: { type: "number" },
    },
  },
  Stream: {
    type: "object",
    required: [
      "key",
      "app",
      "name",
      "startedAt",
      "uptime",
      "publisher",
      "video",
      "audio",
      "bitrate",
      "viewers",
      "derived",
    ],
    properties: {
      key: { type: "string", examples: ["live/cam"] },
      app: { type: "string" },
      name: { type: "string" },
      startedAt: { type: "string", format: "date-time" },
      uptime: { type: "number", description: "seconds" },
      publisher: {
        type: ["object", "null"],
        properties: {
          protocol: { type: "string" },
          remoteAddr: nullable("string"),
        },
      },
      video: ref("Track"),
      audio: ref("Track"),
      bitrate: { type: "number", description: "bits per second" },
      viewers: {
        type: "object",
        description:
          "Viewers; internal consumers (HLS packager, recorder, transcoder) are not counted",
        properties: {
          total: { type: "integer" },
          byProtocol: {
            type: "object",
            additionalProperties: { type: "integer" },
          },
        },
      },
      derived: { type: "array", items: { type: "string" } },
    },
  },
  Client: {
    type: "object",
    required: [
      "id",
      "kind",
      "protocol",
      "stream",
      "remoteAddr",
      "startedAt",
      "bytesSent",
      "bytesReceived",
    ],
    properties: {
      id: { type: "string", examples: ["c-1a"] },
      kind: { type: "string", enum: ["viewer", "publisher"] },
      protocol: { type: "string" },
      stream: { type: "string" },
      remoteAddr: nullable("string"),
      startedAt: { type: "string", format: "date-time" },
      bytesSent: { type: "integer" },
      bytesReceived: { type: "integer" },
    },
  },
  RecordingSummary: {
    type: "object",
    properties: {
      stream: { type: "string" },
      spans: { type: "integer" },
      bytes: { type: "integer" },
    },
  },
  RecordingSpan: {
    type: "object",
    properties: {
      start: { type: "string", format: "date-time" },
      duration: { type: "number", description: "seconds" },
      bytes: { type: "integer" },
      format: {
        type: "string",
        enum: ["mp4", "flv", "hls"],
        description: "How the file was recorded",
      },
      downloadUrl: { type: "string" },
      playlistUrl: { type: "string" },
    },
  },
};

/**
 * The OpenAPI 3.1 document of `/api/v1`.
 *
 * @returns a fresh JSON-ready object
 *
 * @example Every path is listed
 * ```ts
 * import { apiV1OpenApi } from "@arcly/stream/http";
 * import assert from "node:assert/strict";
 *
 * const doc = apiV1OpenApi() as { openapi: string; paths: Record<string, unknown> };
 * assert.equal(doc.openapi, "3.1.0");
 * assert.ok("/api/v1/clients/{id}" in doc.paths);
 * ```
 */
export function apiV1OpenApi(): Record<string, unknown> {
  return structuredClone({
    openapi: "3.1.0",
    info: {
      title: "arcly-stream control API",
      version: "1",
      description:
        "Server, streams, clients and recordings of an arcly-stream origin. GET requests are open; DELETE/POST/PUT/PATCH need `Authorization: Bearer <--api-token>`.",
    },
    paths: {
      "/api/v1/openapi.json": {
        get: {
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1 document" } },
        },
      },
      "/api/v1/server": {
        get: {
          summary: "Version, uptime, CPU, memory, bandwidth, endpoints",
          responses: { "200": jsonBody(ref("Server"), "The server") },
        },
      },
      "/api/v1/streams": {
        get: {
          summary: "Live streams",
          responses: {
            "200": jsonBody({
              type: "object",
              properties: { streams: { type: "array", items: ref("Stream") } },
            }, "The live streams"),
          },
        },
      },
      "/api/v1/streams/{app}/{name}": {
        get: {
          summary: "One live stream",
          parameters: STREAM_PARAMS,
          responses: {
            "200": jsonBody(ref("Stream"), "The stream"),
            "404": error("Not live"),
          },
        },
      },
      "/api/v1/clients": {
        get: {
          summary: "Connected viewers and publishers (HLS viewers as sessions)",
          responses: {
            "200": jsonBody({
              type: "object",
              properties: { clients: { type: "array", items: ref("Client") } },
            }, "The clients"),
          },
        },
      },
      "/api/v1/clients/{id}": {
        get: {
          summary: "One client",
          parameters: [pathParam("id", "The client id (c-…)")],
          responses: {
            "200": jsonBody(ref("Client"), "The client"),
            "404": error("No such client"),
          },
        },
        delete: {
          summary: "Disconnect a client (its connection ends within 1 s)",
          security: ADMIN,
          parameters: [pathParam("id", "The client id (c-…)")],
          responses: {
            "204": { description: "Disconnected" },
            ...ADMIN_ERRORS,
            "404": error("No such client"),
          },
        },
      },
      "/api/v1/recordings": {
        get: {
          summary: "Streams with recordings",
          responses: {
            "200": jsonBody({
              type: "object",
              properties: {
                recordings: {
                  type: "array",
                  items: ref("RecordingSummary"),
                },
              },
            }, "Recorded streams"),
          },
        },
      },
      "/api/v1/recordings/{app}/{name}": {
        get: {
          summary: "Recorded spans of a stream",
          parameters: STREAM_PARAMS,
          responses: {
            "200": jsonBody({
              type: "object",
              properties: {
                stream: { type: "string" },
                spans: { type: "array", items: ref("RecordingSpan") },
              },
            }, "The spans"),
            "404": error("No recording"),
          },
        },
        delete: {
          summary: "Delete recording files that end before a time",
          security: ADMIN,
          parameters: [
            ...STREAM_PARAMS,
            queryParam("before", "ISO 8601", {
              type: "string",
              format: "date-time",
            }),
          ],
          responses: {
            "204": { description: "Deleted" },
            "400": error("Bad parameters"),
            ...ADMIN_ERRORS,
          },
        },
      },
      "/api/v1/recordings/{app}/{name}/download": {
        get: {
          summary:
            "One playable MP4 of a range across files, cut at the keyframe at or before start",
          parameters: [...STREAM_PARAMS, ...RANGE_PARAMS],
          responses: {
            "200": {
              description: "The MP4",
              content: {
                "video/mp4": { schema: { type: "string", format: "binary" } },
              },
            },
            "400": error("Bad parameters"),
            "404": error("No recording in range"),
          },
        },
      },
      "/api/v1/recordings/{app}/{name}/playlist.m3u8": {
        get: {
          summary: "VOD playlist of a range",
          parameters: [...STREAM_PARAMS, ...RANGE_PARAMS],
          responses: {
            "200": {
              description: "EXT-X-PLAYLIST-TYPE:VOD playlist",
              content: {
                "application/vnd.apple.mpegurl": { schema: { type: "string" } },
              },
            },
            "400": error("Bad parameters"),
            "404": error("No recording in range"),
          },
        },
      },
      "/api/v1/recordings/{app}/{name}/files/{file}": {
        get: {
          summary: "A recorded file's bytes, as written (Range supported)",
          parameters: [...STREAM_PARAMS, pathParam("file", "File name")],
          responses: {
            "200": {
              description: "The file",
              content: {
                "application/octet-stream": {
                  schema: { type: "string", format: "binary" },
                },
              },
            },
            "206": { description: "The requested byte range" },
            "404": error("No such file"),
          },
        },
      },
      "/api/v1/recordings/{app}/{name}/hls/{folder}/{file}": {
        get: {
          summary:
            "An HLS-format recording's playlist or segment, as written (its span's playlistUrl)",
          parameters: [
            ...STREAM_PARAMS,
            pathParam("folder", "Recording folder ({name}-{UTC time})"),
            pathParam("file", "Playlist or segment name"),
          ],
          responses: {
            "200": { description: "The playlist or segment" },
            "404": error("No such file"),
          },
        },
      },
    },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "The origin's --api-token",
        },
      },
    },
  });
}
