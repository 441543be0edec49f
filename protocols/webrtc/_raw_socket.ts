/**
 * The socket under {@linkcode UdpMux}, one of three backends:
 *
 * - `ffi`: {@linkcode UdpBatchSocket} (libc through Deno FFI, Linux
 *   x86_64/aarch64, `--allow-ffi`): the sends of one event-loop turn go to
 *   the kernel in one `sendmmsg` at the end of the turn (a microtask), and
 *   `done` is called when the kernel took them; receives are `recvmmsg`
 *   batches after one off-thread `poll`;
 * - `deno`: a `Deno.DatagramConn` (`--unstable-net`), one async op per send;
 * - `node`: `node:dgram`.
 *
 * `auto` (the default) picks the first available in that order.
 * Received datagrams are handed on as `Buffer`s (werift reads them with
 * Buffer methods): with node:dgram as delivered, else copied out of the
 * receive buffers at their own size (ffi: wrapped without a second copy).
 *
 * @module
 */
import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { udpBatchAvailable, UdpBatchSocket } from "../net/udp_batch.ts";

/** Which socket implementation carries the mux (see the module doc). */
export type UdpBackend = "auto" | "ffi" | "deno" | "node";

/** A `[host, port]` pair. */
type UdpAddress = [string, number];

/** The socket under the mux: node:dgram or Deno.DatagramConn. */
export interface RawSocket {
  readonly port: number;
  /** The backend actually in use. */
  readonly backend: "ffi" | "deno" | "node";
  /** ffi: `sendmmsg` calls so far. */
  sendCalls?: () => number;
  onMessage: (data: Uint8Array, host: string, port: number) => void;
  /** Send; `done` is called once, sent or failed. */
  send(data: Uint8Array, addr: UdpAddress, done: () => void): void;
  close(): Promise<void>;
}

type ListenDatagram = (options: {
  transport: "udp";
  hostname: string;
  port: number;
}) => {
  addr: { port?: number };
  send(data: Uint8Array, addr: object): Promise<number>;
  receive(
    p?: Uint8Array,
  ): Promise<[Uint8Array, { hostname?: string; port?: number }]>;
  close(): void;
};

/** Bind `hostname:port` (0 picks a port) on `backend` (default auto). */
export async function bindRawSocket(
  hostname: string,
  port: number,
  backend: UdpBackend = "auto",
): Promise<RawSocket> {
  if (
    (backend === "auto" || backend === "ffi") && udpBatchAvailable() &&
    /^\d+\.\d+\.\d+\.\d+$|^localhost$/.test(hostname)
  ) {
    return bindFfiSocket(hostname, port);
  }
  const listen = (Deno as unknown as { listenDatagram?: ListenDatagram })
    .listenDatagram;
  if (typeof listen === "function" && backend !== "node") {
    const conn = listen({ transport: "udp", hostname, port });
    // The address object of each `[host, port]` pair (werift passes the
    // nominated pair's same array for every media datagram): built once.
    const targets = new WeakMap<UdpAddress, object>();
    const raw: RawSocket = {
      port: conn.addr.port ?? port,
      backend: "deno",
      onMessage: () => {},
      send(data, addr, done) {
        let to = targets.get(addr);
        if (!to) {
          to = { transport: "udp", hostname: addr[0], port: addr[1] };
          targets.set(addr, to);
        }
        conn.send(data, to).then(done, done);
      },
      close() {
        closed = true;
        try {
          conn.close();
        } catch { /* closed */ }
        return loop;
      },
    };
    let closed = false;
    const loop = (async () => {
      // One receive buffer for the socket's life (DatagramConn would
      // allocate 64 KiB per datagram); each datagram is copied out at its
      // own size, since werift may keep it past the next receive.
      const buffer = new Uint8Array(65_536);
      while (!closed) {
        let got: [Uint8Array, { hostname?: string; port?: number }];
        try {
          got = await conn.receive(buffer);
        } catch {
          if (closed) break;
          continue; // per-datagram errors (ICMP) are not fatal
        }
        const [data, from] = got;
        // werift reads datagrams with Buffer methods.
        raw.onMessage(
          Buffer.from(data),
          from.hostname ?? "",
          from.port ?? 0,
        );
      }
    })();
    return raw;
  }
  const socket = dgram.createSocket({ type: "udp4" });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ port, address: hostname }, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  const raw: RawSocket = {
    port: socket.address().port,
    backend: "node",
    onMessage: () => {},
    send(data, addr, done) {
      try {
        socket.send(data, addr[1], addr[0], () => done());
      } catch {
        done(); // socket closed during shutdown
      }
    },
    close() {
      return new Promise((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
  socket.on("message", (data: Uint8Array, info: dgram.RemoteInfo) => {
    raw.onMessage(data, info.address, info.port);
  });
  socket.on("error", () => {/* per-datagram errors (ICMP) are not fatal */});
  return raw;
}

/** The `ffi` backend: one {@linkcode UdpBatchSocket}. */
function bindFfiSocket(hostname: string, port: number): RawSocket {
  // The mux bounds what is in flight (its send window); this queue only
  // holds a window's worth between two flushes, or while EAGAIN waits.
  const socket = UdpBatchSocket.bind({ hostname, port, maxQueue: 65_536 });
  const raw: RawSocket = {
    port: socket.port,
    backend: "ffi",
    sendCalls: () => socket.stats.sendCalls,
    onMessage: () => {},
    send(data, addr, done) {
      socket.send(data, addr[0], addr[1], done);
    },
    close: () => socket.close(),
  };
  // Each datagram is already a fresh copy: wrap it as a Buffer (werift).
  socket.onMessage = (data, host, from) =>
    raw.onMessage(
      Buffer.from(data.buffer, data.byteOffset, data.length),
      host,
      from,
    );
  return raw;
}

/** A bounded FIFO of datagrams waiting for the send window. */
export class SendFifo {
  readonly #items: (Uint8Array | UdpAddress | undefined)[] = [];
  #head = 0;
  readonly #max: number;

  constructor(maxDatagrams: number) {
    this.#max = maxDatagrams;
  }

  /** Nothing queued. */
  get empty(): boolean {
    return this.#head >= this.#items.length;
  }

  /** Queue; false (not queued) when full. */
  push(data: Uint8Array, addr: UdpAddress): boolean {
    if ((this.#items.length - this.#head) / 2 >= this.#max) return false;
    this.#items.push(data, addr);
    return true;
  }

  /** The address of the datagram last returned by {@linkcode SendFifo.shift}. */
  shiftedAddr: UdpAddress | undefined;

  /** The oldest datagram (its address in `shiftedAddr`), or undefined. */
  shift(): Uint8Array | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const data = this.#items[this.#head] as Uint8Array;
    this.shiftedAddr = this.#items[this.#head + 1] as UdpAddress;
    this.#items[this.#head] = this.#items[this.#head + 1] = undefined;
    this.#head += 2;
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head > 4096) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return data;
  }

  /** Drop everything. */
  clear(): void {
    this.#items.length = 0;
    this.#head = 0;
  }
}
