/**
 * The UDP socket under SRT (internal): `Deno.listenDatagram` when the
 * runtime has it (`--unstable-net`, or `"unstable": ["net"]` in deno.json),
 * else `node:dgram`. Measured on loopback under load, node:dgram in Deno
 * received ~30 % of a 22 Mbit/s burst pattern (and less with a larger
 * receive buffer), `Deno.listenDatagram` ~80 %.
 *
 * Data path: each datagram is read into one reused 2 KiB buffer and copied
 * out at its exact length (SRT keeps payload views in its receive ring, so
 * a datagram must own its bytes); sends are fire-and-forget (one shared
 * rejection handler, and `sender` binds a peer's address object once, so a
 * send allocates nothing of ours).
 *
 * @module
 */
import dgram from "node:dgram";

/** A bound UDP socket. */
export interface UdpSocket {
  /** The bound address. */
  readonly address: { hostname: string; port: number };
  /** Send one datagram (errors are ignored: UDP is lossy anyway). */
  send(bytes: Uint8Array, port: number, hostname: string): void;
  /** A send function bound to one peer (its address built once). */
  sender(port: number, hostname: string): (bytes: Uint8Array) => void;
  /** Close (idempotent); the message loop ends. */
  close(): Promise<void>;
}

/** Called with each datagram (owned bytes) and its source. */
export type UdpHandler = (
  bytes: Uint8Array,
  hostname: string,
  port: number,
) => void;

interface DenoDatagramConn {
  readonly addr: { hostname: string; port: number };
  receive(
    p?: Uint8Array,
  ): Promise<[Uint8Array, { hostname: string; port: number }]>;
  send(
    p: Uint8Array,
    addr: { transport: "udp"; hostname: string; port: number },
  ): Promise<number>;
  close(): void;
}

type ListenDatagram = (
  o: { transport: "udp"; hostname: string; port: number },
) => DenoDatagramConn;

const MAX_DATAGRAM = 2048;
const ignore = (): void => {};

/**
 * Bind a UDP socket and deliver its datagrams to `onMessage`.
 *
 * @param hostname interface ("0.0.0.0", "127.0.0.1", "::")
 * @param port port, 0 for any
 * @param onMessage the handler
 * @returns the socket once bound
 */
export async function openUdp(
  hostname: string,
  port: number,
  onMessage: UdpHandler,
): Promise<UdpSocket> {
  const listen =
    (Deno as unknown as { listenDatagram?: ListenDatagram }).listenDatagram;
  if (typeof listen === "function") {
    const conn = listen({ transport: "udp", hostname, port });
    let closed = false;
    const loop = (async () => {
      const buf = new Uint8Array(MAX_DATAGRAM);
      while (!closed) {
        let got: [Uint8Array, { hostname: string; port: number }];
        try {
          got = await conn.receive(buf);
        } catch {
          if (closed) return;
          continue; // e.g. ICMP port unreachable surfaced as an error
        }
        onMessage(got[0].slice(), got[1].hostname, got[1].port);
      }
    })();
    return {
      address: { hostname: conn.addr.hostname, port: conn.addr.port },
      send(bytes, port, hostname) {
        if (closed) return;
        conn.send(bytes, { transport: "udp", hostname, port }).catch(ignore);
      },
      sender(port, hostname) {
        const to = { transport: "udp", hostname, port } as const;
        return (bytes) => {
          if (!closed) conn.send(bytes, to).catch(ignore);
        };
      },
      async close() {
        if (closed) return;
        closed = true;
        conn.close();
        await loop;
      },
    };
  }
  const socket = dgram.createSocket(hostname.includes(":") ? "udp6" : "udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, hostname, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("error", () => {});
  socket.on("message", (buf: Uint8Array, rinfo: dgram.RemoteInfo) => {
    // a copy that owns its bytes (Buffer#slice would alias)
    onMessage(Uint8Array.prototype.slice.call(buf), rinfo.address, rinfo.port);
  });
  const local = socket.address();
  let closed = false;
  return {
    address: { hostname: local.address, port: local.port },
    send(bytes, port, hostname) {
      if (closed) return;
      try {
        socket.send(bytes, port, hostname);
      } catch { /* closed */ }
    },
    sender(port, hostname) {
      return (bytes) => {
        if (closed) return;
        try {
          socket.send(bytes, port, hostname);
        } catch { /* closed */ }
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
