// Response serialization of the origin's HTTP/1.1 server (RFC 9112 §4–§7):
// the status line and fields once per response; a body with a Content-Length
// streams as is; a body without one is read ahead up to 256 KiB and goes out
// with a Content-Length if it ends there (head and body in one write when
// small), else chunked (HTTP/1.1) or close-delimited (HTTP/1.0).
import type { RequestHead } from "./_parse.ts";
import { concat, type ConnIo } from "./_io.ts";

const BUFFERED_BODY_LIMIT = 256 * 1024;
const SMALL_RESPONSE = 16 * 1024;
const encoder = new TextEncoder();
const CRLF = encoder.encode("\r\n");
const LAST_CHUNK = encoder.encode("0\r\n\r\n");

const REASONS: Record<number, string> = {
  101: "Switching Protocols",
  200: "OK",
  204: "No Content",
  206: "Partial Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  410: "Gone",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

/** Response headers the server owns (framing and connection management). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "upgrade",
  "date",
]);

/** The status line, a Date and the response's own fields (hop-by-hop ones dropped). */
export function statusAndHeaders(
  response: Response,
  date: string,
  status: number = response.status,
): string {
  let lines = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n` +
    `date: ${date}\r\n`;
  // forEach, not for…of: Deno's Headers iterator re-sorts the whole list on
  // every next() (~13 KB of garbage per HTTP-FLV join, measured).
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) lines += `${name}: ${value}\r\n`;
  });
  return lines;
}

/** The fields of `response` a 101 upgrade answer may carry (no framing, no content-*). */
export function upgradeHeaders(response: Response): string {
  let lines = "";
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !name.startsWith("content-")) {
      lines += `${name}: ${value}\r\n`;
    }
  });
  return lines;
}

/** A complete plain-text error response that closes the connection. */
export function errorResponse(
  status: number,
  message: string,
  date: string,
): Uint8Array {
  const body = encoder.encode(`${REASONS[status] ?? "Error"}: ${message}\n`);
  const head = encoder.encode(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
      `date: ${date}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
  );
  return concat([head, body], head.length + body.length);
}

/** Write a normal response; true when the connection may be reused. */
export async function writeResponse(
  io: ConnIo,
  date: string,
  method: string,
  head: RequestHead,
  response: Response,
  keepAlive: boolean,
): Promise<boolean> {
  const status = response.status;
  const noBody = method === "HEAD" || status === 204 || status === 304 ||
    status < 200;
  const declared = response.headers.get("content-length");
  let lines = statusAndHeaders(response, date);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  let ended = true;
  if (noBody) {
    if (declared !== null && status !== 304 && status !== 204) {
      lines += `content-length: ${declared}\r\n`;
    }
    await response.body?.cancel().catch(() => {});
  } else if (response.body !== null) {
    reader = response.body.getReader();
    ended = false;
    if (declared === null) {
      // Read ahead: a body that ends soon gets a Content-Length.
      while (total <= BUFFERED_BODY_LIMIT) {
        const r = await reader.read();
        if (r.done) {
          ended = true;
          break;
        }
        chunks.push(r.value);
        total += r.value.length;
      }
    }
  }
  const chunked = !noBody && !ended && declared === null;
  if (!noBody) {
    if (chunked) {
      lines += head.minorVersion === 1 ? "transfer-encoding: chunked\r\n" : "";
    } else {
      lines += `content-length: ${declared ?? total}\r\n`;
    }
  }
  // HTTP/1.0 cannot take chunks: its body ends with the connection.
  const reuse = keepAlive && !(chunked && head.minorVersion === 0);
  lines += reuse
    ? (head.minorVersion === 0 ? "connection: keep-alive\r\n" : "")
    : "connection: close\r\n";
  const headBytes = encoder.encode(lines + "\r\n");
  if (!chunked && total <= SMALL_RESPONSE && chunks.length > 0) {
    await io.write(
      concat([headBytes, ...chunks], headBytes.length + total),
    );
  } else {
    await io.write(headBytes);
    for (const c of chunks) await writeBodyChunk(io, c, chunked, head);
  }
  if (reader !== undefined && !ended) {
    let sent = total;
    while (true) {
      const r = await reader.read();
      if (r.done) break;
      sent += r.value.length;
      await writeBodyChunk(io, r.value, chunked, head);
    }
    if (chunked && head.minorVersion === 1) await io.write(LAST_CHUNK);
    if (declared !== null && String(sent) !== declared) return false;
  }
  return reuse;
}

async function writeBodyChunk(
  io: ConnIo,
  bytes: Uint8Array,
  chunked: boolean,
  head: RequestHead,
): Promise<void> {
  if (bytes.length === 0) return;
  if (!chunked || head.minorVersion === 0) return await io.write(bytes);
  const size = encoder.encode(`${bytes.length.toString(16)}\r\n`);
  if (bytes.length <= SMALL_RESPONSE) {
    return await io.write(
      concat([size, bytes, CRLF], size.length + bytes.length + 2),
    );
  }
  await io.write(size);
  await io.write(bytes);
  await io.write(CRLF);
}
