/**
 * Serialization of RTSP messages and interleaved frames (RFC 2326 §10.12),
 * and the reason phrases of the statuses the server answers with.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import type { RtspHeaders, RtspRequest, RtspResponse } from "./message.ts";

const encoder = new TextEncoder();

/**
 * Reason phrases of the statuses this module answers with.
 *
 * @example
 * ```ts
 * import { RTSP_REASONS } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.equal(RTSP_REASONS[454], "Session Not Found");
 * ```
 */
export const RTSP_REASONS: Readonly<Record<number, string>> = Object.freeze({
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  413: "Request Entity Too Large",
  414: "Request-URI Too Large",
  415: "Unsupported Media Type",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  457: "Invalid Range",
  459: "Aggregate Operation Not Allowed",
  461: "Unsupported Transport",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version Not Supported",
});

function serializeHead(
  first: string,
  headers: RtspHeaders,
  body: Uint8Array,
): Uint8Array {
  let text = first + "\r\n";
  for (const [n, v] of headers.entries()) {
    if (n.toLowerCase() === "content-length") continue;
    if (/[\r\n]/.test(n) || /[\r\n]/.test(v)) {
      throw new StreamError(
        "InvalidInput",
        `Cannot serialize RTSP header ${n}: it contains a line break`,
      );
    }
    text += `${n}: ${v}\r\n`;
  }
  if (body.length > 0) text += `Content-Length: ${body.length}\r\n`;
  text += "\r\n";
  const head = encoder.encode(text);
  if (body.length === 0) return head;
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/**
 * Serialize a request (Content-Length from the body).
 *
 * @param request the request
 * @returns its bytes
 * @example
 * ```ts
 * import { RtspHeaders, serializeRtspRequest } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const bytes = serializeRtspRequest({ method: "OPTIONS", uri: "rtsp://h/a", version: "RTSP/1.0",
 *   headers: new RtspHeaders([["CSeq", "1"]]), body: new Uint8Array(0) });
 * assert.equal(new TextDecoder().decode(bytes), "OPTIONS rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\n\r\n");
 * ```
 */
export function serializeRtspRequest(request: RtspRequest): Uint8Array {
  return serializeHead(
    `${request.method} ${request.uri} ${request.version}`,
    request.headers,
    request.body,
  );
}

/**
 * Serialize a response (Content-Length from the body).
 *
 * @param response the response
 * @returns its bytes
 * @example
 * ```ts
 * import { RtspHeaders, serializeRtspResponse } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * const bytes = serializeRtspResponse({ status: 200, reason: "OK",
 *   headers: new RtspHeaders([["CSeq", "3"]]), body: new Uint8Array(0) });
 * assert.equal(new TextDecoder().decode(bytes), "RTSP/1.0 200 OK\r\nCSeq: 3\r\n\r\n");
 * ```
 */
export function serializeRtspResponse(response: RtspResponse): Uint8Array {
  return serializeHead(
    `RTSP/1.0 ${response.status} ${response.reason}`,
    response.headers,
    response.body,
  );
}

/**
 * Frame one packet for a TCP-interleaved channel: `$`, channel, length.
 *
 * @param channel 0–255
 * @param payload at most 65,535 bytes (an RTP or RTCP packet)
 * @returns a new array with the 4-byte prefix and the payload
 * @throws {StreamError} `InvalidInput` for a payload over 65,535 bytes
 * @example
 * ```ts
 * import { interleave } from "@arcly/stream/rtsp";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual([...interleave(1, new Uint8Array([9]))], [0x24, 1, 0, 1, 9]);
 * ```
 */
export function interleave(channel: number, payload: Uint8Array): Uint8Array {
  if (payload.length > 65535) {
    throw new StreamError(
      "InvalidInput",
      `Cannot interleave ${payload.length} bytes: at most 65535`,
    );
  }
  const out = new Uint8Array(4 + payload.length);
  out[0] = 0x24;
  out[1] = channel & 0xff;
  out[2] = payload.length >> 8;
  out[3] = payload.length & 0xff;
  out.set(payload, 4);
  return out;
}
