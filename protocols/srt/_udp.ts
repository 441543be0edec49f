/**
 * The UDP socket under SRT (internal): `Deno.listenDatagram` when the
 * runtime has it (`--unstable-net`, or `"unstable": ["net"]` in deno.json),
 * else `node:dgram`. Measured on loopback under load, node:dgram in Deno
 * received ~30 % of a 22 Mbit/s burst pattern (and less with a larger
 * receive buffer), `Deno.listenDatagram` ~80 %.
 *
 * Data path: each datagram is read into one reused 2 KiB buffer and copied
 * out at its exact length (SRT keeps payload views in its receive ring, so
 * a datagram must own its bytes); sends are fire-and-forget, in order per
 * peer: 4 send lanes per socket, each with one `send` op in flight (the next
 * issued when it settles) and the rest in a bounded FIFO; `sender` binds a
 * peer to one lane and builds its address object once, plain `send` uses
 * lane 0. Memory: at most 8,192 datagrams queued per lane; more are dropped
 * (UDP).
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
  /** Datagrams waiting to be sent (one send is in flight at a time). */
  readonly queuedSends: number;
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
/** Datagrams waiting per lane, at most (~11 MB of 1,332-byte ones). */
const MAX_QUEUED_SENDS = 8192;
/** Send chains per socket (each peer sticks to one). */
const SEND_LANES = 4;

type DatagramTo = { transport: "udp"; hostname: string; port: number };

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
    // Per lane, one send in flight and the rest in a bounded FIFO: Deno
    // runs concurrent send ops out of order (measured on loopback: 26,697 of
    // 62,683 datagrams behind a later one when 450 were issued per 20 ms),
    // which an SRT reader takes for loss (NAK, retransmission, too-late
    // drop). A peer keeps one lane (its order holds); a few lanes run side
    // by side so one settle-then-send chain does not cap the socket (one
    // lane: ~40k datagrams/s here), few enough to keep the cost of
    // concurrent ops away (a lane per peer: 0.49 vs 0.29-0.36 of a core at
    // 50 readers).
    let queued = 0;
    const lane = (): (bytes: Uint8Array, to: DatagramTo) => void => {
      const bytesQ: Uint8Array[] = [];
      const toQ: DatagramTo[] = [];
      let head = 0;
      let busy = false;
      const pump = (): void => {
        if (closed || head === bytesQ.length) {
          queued -= bytesQ.length - head;
          busy = false;
          bytesQ.length = 0;
          toQ.length = 0;
          head = 0;
          return;
        }
        busy = true;
        const i = head++;
        queued--;
        const bytes = bytesQ[i]!, to = toQ[i]!;
        if (head > 1024) { // compact (no unbounded head)
          bytesQ.splice(0, head);
          toQ.splice(0, head);
          head = 0;
        }
        conn.send(bytes, to).then(pump, pump);
      };
      return (bytes, to) => {
        if (closed) return;
        if (bytesQ.length - head >= MAX_QUEUED_SENDS) return; // UDP: dropped
        bytesQ.push(bytes);
        toQ.push(to);
        queued++;
        if (!busy) pump();
      };
    };
    const lanes = Array.from({ length: SEND_LANES }, lane);
    let nextLane = 0;
    return {
      address: { hostname: conn.addr.hostname, port: conn.addr.port },
      send(bytes, port, hostname) {
        lanes[0]!(bytes, { transport: "udp", hostname, port });
      },
      sender(port, hostname) {
        const to = { transport: "udp", hostname, port } as const;
        const own = lanes[nextLane++ % SEND_LANES]!;
        return (bytes) => own(bytes, to);
      },
      get queuedSends() {
        return queued;
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
    queuedSends: 0,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => socket.close(() => r()));
    },
  };
}
