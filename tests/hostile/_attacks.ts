// The attacks, black-box (ports only), shared by the CI tests (short, with
// in-process assertions on server state) and bench/hostile.ts (long, against
// an origin subprocess whose RSS and CPU are sampled). Each returns figures.
import { RtmpClient } from "../../protocols/rtmp/mod.ts";
import { createClientHello } from "../../protocols/rtmp/mod.ts";
import { chunked, concat, rawConnected } from "./_rtmp_raw.ts";
import { closedWithin, sleep } from "./_origin.ts";

/** Where to attack. */
export interface Target {
  rtmpPort: number;
  httpPort: number;
}

/** How many clients the server closed, and how fast. */
export interface CloseFigures {
  clients: number;
  /** Clients still open when the attacker gave up. */
  stillOpen: number;
  /** Slowest close, ms (Infinity when some stayed open). */
  slowestCloseMs: number;
}

const BATCH = 50;

function xorshiftBytes(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

function figures(times: (number | null)[]): CloseFigures {
  return {
    clients: times.length,
    stillOpen: times.filter((t) => t === null).length,
    slowestCloseMs: Math.max(0, ...times.map((t) => t ?? Infinity)),
  };
}

async function sendAndWait(
  port: number,
  bytes: Uint8Array,
  patienceMs: number,
): Promise<number | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytes);
  } catch {
    // reset already: closedWithin sees it
  }
  return await closedWithin(conn, patienceMs);
}

/** `n` connections per port sending random bytes, `BATCH` at a time. */
export async function garbageFlood(
  target: Target,
  n: number,
  patienceMs = 5_000,
): Promise<{ rtmp: CloseFigures; http: CloseFigures }> {
  const rtmp: (number | null)[] = [];
  const http: (number | null)[] = [];
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, (_, j) => {
        const seed = i + j + 1;
        // vary the length around the handshake sizes; half claim version 3
        const rtmpBytes = xorshiftBytes(seed, 1 + (seed % 4) * 1_600);
        if (seed % 2 === 0) rtmpBytes[0] = 3;
        const httpBytes = xorshiftBytes(seed + 1e6, 64 + (seed % 8) * 512);
        return Promise.all([
          sendAndWait(target.rtmpPort, rtmpBytes, patienceMs).then((t) =>
            rtmp.push(t)
          ),
          sendAndWait(target.httpPort, httpBytes, patienceMs).then((t) =>
            http.push(t)
          ),
        ]);
      }),
    );
  }
  return { rtmp: figures(rtmp), http: figures(http) };
}

/** Trickle `bytes` one per `everyMs`; ms until the server closed, or null. */
export async function trickle(
  port: number,
  bytes: Uint8Array,
  patienceMs: number,
  everyMs = 200,
  conn?: Deno.Conn,
): Promise<number | null> {
  const c = conn ?? await Deno.connect({ hostname: "127.0.0.1", port });
  const start = performance.now();
  let closed = false;
  const reading = (async () => {
    const buf = new Uint8Array(16 * 1024);
    try {
      while ((await c.read(buf)) !== null) { /* discard */ }
    } catch { /* reset */ }
    closed = true;
  })();
  let i = 0;
  while (!closed && performance.now() - start < patienceMs) {
    const at = i % bytes.length;
    try {
      await c.write(bytes.subarray(at, at + 1));
    } catch {
      break;
    }
    i++;
    await sleep(everyMs);
  }
  const result = closed ? performance.now() - start : null;
  try {
    c.close();
  } catch { /* closed */ }
  await reading;
  return result;
}

/** `n` clients trickling an RTMP handshake (C0+C1) a byte at a time. */
export async function rtmpHandshakeSlowloris(
  target: Target,
  n: number,
  patienceMs: number,
): Promise<CloseFigures> {
  const hello = createClientHello();
  return figures(
    await Promise.all(
      Array.from(
        { length: n },
        () => trickle(target.rtmpPort, hello, patienceMs),
      ),
    ),
  );
}

/** `n` clients trickling HTTP request headers a byte at a time. */
export async function httpHeaderSlowloris(
  target: Target,
  n: number,
  patienceMs: number,
): Promise<CloseFigures> {
  const request = new TextEncoder().encode(
    "GET /live/legit.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " +
      "a".repeat(4_000) + "\r\n\r\n",
  );
  return figures(
    await Promise.all(
      Array.from(
        { length: n },
        () => trickle(target.httpPort, request, patienceMs),
      ),
    ),
  );
}

/** `n` RTMP clients past `connect` trickling a chunk header that never completes. */
export async function rtmpMessageSlowloris(
  target: Target,
  n: number,
  patienceMs: number,
): Promise<CloseFigures> {
  // type-0 header, csid 4, 100 000-byte video message: never completes
  const header = new Uint8Array([4, 0, 0, 0, 0x01, 0x86, 0xa0, 9, 1, 0, 0, 0]);
  return figures(
    await Promise.all(
      Array.from({ length: n }, async () =>
        trickle(
          target.rtmpPort,
          header,
          patienceMs,
          200,
          await rawConnected(target.rtmpPort),
        )),
    ),
  );
}

/** Malformed chunk streams, one connection each; all must be closed. */
export function chunkAbusePayloads(): { name: string; bytes: Uint8Array }[] {
  const setChunkSize = (size: number): Uint8Array => {
    const body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, size);
    return chunked(2, 1, body);
  };
  const csids: Uint8Array[] = [];
  for (let csid = 3; csid < 3 + 5_000; csid++) {
    csids.push(chunked(csid, 9, new Uint8Array(1)));
  }
  // AMF0 long string (0x0C) claiming 2^31-1 bytes in a 64 KiB command
  const amfLong = new Uint8Array(64 * 1024);
  amfLong.set([0x02, 0x00, 0x07], 0);
  amfLong.set(new TextEncoder().encode("connect"), 3);
  amfLong.set([0x0c, 0x7f, 0xff, 0xff, 0xff], 10);
  // AMF0 string of a 1 MiB object key repeated: a big but bounded message
  const bigObject = new Uint8Array(1 << 20);
  bigObject.set([0x03, 0xff, 0xff], 0);
  return [
    { name: "chunk size 0", bytes: setChunkSize(0) },
    { name: "chunk size 2^31", bytes: setChunkSize(0x80000000) },
    { name: "chunk stream id explosion", bytes: concat(csids) },
    {
      name: "message length 16 MiB - 1 (over max)",
      bytes: new Uint8Array([6, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]),
    },
    { name: "AMF0 long string 2^31-1", bytes: chunked(3, 20, amfLong, 128) },
    { name: "AMF0 1 MiB object", bytes: chunked(3, 20, bigObject, 128) },
  ];
}

/** Send each malformed stream after `connect`; ms until closed per payload. */
export async function chunkAbuse(
  target: Target,
  repeat: number,
  patienceMs = 5_000,
): Promise<Record<string, CloseFigures>> {
  const out: Record<string, CloseFigures> = {};
  for (const { name, bytes } of chunkAbusePayloads()) {
    const times = await Promise.all(
      Array.from({ length: repeat }, async () => {
        const conn = await rawConnected(target.rtmpPort);
        await conn.write(bytes).catch(() => 0);
        return await closedWithin(conn, patienceMs);
      }),
    );
    out[name] = figures(times);
  }
  return out;
}

/** A player that stops reading (its socket fills up). */
export interface StalledClient {
  close(): void;
}

/** RTMP players of `name` that never read after Play.Start. */
export async function neverReadingRtmp(
  target: Target,
  name: string,
  n: number,
): Promise<StalledClient[]> {
  const clients: StalledClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = await RtmpClient.connect(
      `rtmp://127.0.0.1:${target.rtmpPort}/live`,
    );
    // highWaterMark 1: the client's read loop stops after one frame
    await client.play(name, { highWaterMark: 1 });
    clients.push({ close: () => void client.close().catch(() => {}) });
  }
  return clients;
}

/** HTTP-FLV requests of `name` over raw sockets that never read the body. */
export async function neverReadingFlv(
  target: Target,
  name: string,
  n: number,
): Promise<StalledClient[]> {
  const clients: StalledClient[] = [];
  const request = new TextEncoder().encode(
    `GET /live/${name}.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
  );
  for (let i = 0; i < n; i++) {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: target.httpPort,
    });
    await conn.write(request);
    clients.push({
      close: () => {
        try {
          conn.close();
        } catch { /* closed */ }
      },
    });
  }
  return clients;
}

/** Publishers that claim `prefix{i}` (concurrently) and then send nothing. */
export async function idlePublishers(
  target: Target,
  prefix: string,
  n: number,
): Promise<RtmpClient[]> {
  const clients: RtmpClient[] = [];
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, async (_, j) => {
        const client = await RtmpClient.connect(
          `rtmp://127.0.0.1:${target.rtmpPort}/live`,
        );
        clients.push(client);
        await client.publish(`${prefix}${i + j}`);
      }),
    );
  }
  return clients;
}

/** Latency figures of a request flood. */
export interface FloodFigures {
  requests: number;
  /** Answers that were the expected refusal (404 / StreamNotFound). */
  refused: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function latency(times: number[], refused: number): FloodFigures {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    requests: times.length,
    refused,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

/** `n` HTTP requests (FLV and HLS playlist) for missing keys, `BATCH` at a time. */
export async function httpPlayFlood(
  target: Target,
  n: number,
  query = "",
): Promise<FloodFigures> {
  const times: number[] = [];
  let refused = 0;
  for (let i = 0; i < n; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, n - i) }, async (_, j) => {
        const k = i + j;
        const path = k % 2 === 0
          ? `/live/missing${k}.flv`
          : `/live/missing${k}/index.m3u8`;
        const start = performance.now();
        const res = await fetch(
          `http://127.0.0.1:${target.httpPort}${path}${query}`,
        );
        await res.body?.cancel();
        times.push(performance.now() - start);
        if (res.status === 404) refused++;
      }),
    );
  }
  return latency(times, refused);
}

/** `n` RTMP play requests for missing keys over `connections` connections. */
export async function rtmpPlayFlood(
  target: Target,
  n: number,
  connections: number,
  query = "",
): Promise<FloodFigures> {
  const times: number[] = [];
  let refused = 0;
  const per = Math.ceil(n / connections);
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = 0; i < per; i++) {
        // a refused play leaves the client's stream slot taken: one
        // connection per play, as a flooding client reconnects anyway
        const client = await RtmpClient.connect(
          `rtmp://127.0.0.1:${target.rtmpPort}/live`,
        );
        const start = performance.now();
        try {
          await client.play(`missing${c}x${i}${query}`);
        } catch (error) {
          if ((error as { code?: string }).code === "NotFound") refused++;
        }
        times.push(performance.now() - start);
        await client.close();
      }
    }),
  );
  return latency(times, refused);
}
