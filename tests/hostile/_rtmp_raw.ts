// Raw RTMP attack helpers: a socket that finished the handshake and sent
// `connect` (so the server's handshake timer is disarmed), and byte builders
// for malformed chunk streams.
import {
  commandMessage,
  createClientAck,
  createClientHello,
  writeChunks,
} from "../../protocols/rtmp/mod.ts";

async function readExact(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const got = await conn.read(out.subarray(filled));
    if (got === null) throw new Error("closed during handshake");
    filled += got;
  }
  return out;
}

/** A raw socket past the handshake that sent `connect` for app "live". */
export async function rawConnected(port: number): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(createClientHello());
  const s0s1s2 = await readExact(conn, 3073);
  await conn.write(createClientAck(s0s1s2.subarray(1, 1537)));
  await conn.write(commandMessage(["connect", 1, { app: "live" }]));
  return conn;
}

/** One message as chunks of `chunkSize` on chunk stream `csid`. */
export function chunked(
  csid: number,
  typeId: number,
  body: Uint8Array,
  chunkSize = 128,
): Uint8Array {
  return writeChunks(
    { csid, typeId, streamId: typeId === 20 ? 0 : 1, timestamp: 0 },
    body,
    chunkSize,
  );
}

/** Concatenate (test setup only). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
