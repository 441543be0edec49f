/**
 * The server's UDP port pair (RTP on an even port, RTCP on the next), shared
 * by every RTSP session, like MediaMTX's 8000/8001: players get packets from
 * it, publishers send to it and packets are routed to their session by the
 * sender's `address:port` (the `client_port` pair of its SETUP).
 *
 * Data path: `send` hands the shared packet bytes to the socket (no copy);
 * a received datagram is routed by a `Map` lookup to the one receiver that
 * registered its source, or dropped (counted). Uses `node:dgram` (stable in
 * Deno without `--unstable-net`).
 *
 * @module
 */
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";

/** Who gets datagrams from one source address. */
export type UdpReceiver = (bytes: Uint8Array) => void;

/** The server's RTP/RTCP socket pair. */
export class UdpPair {
  #rtp: dgram.Socket;
  #rtcp: dgram.Socket;
  #routes: [Map<string, UdpReceiver>, Map<string, UdpReceiver>] = [
    new Map(),
    new Map(),
  ];
  /** Datagrams from unknown sources, dropped. */
  dropped = 0;
  /** Send errors (full socket buffer, unreachable), packets dropped. */
  sendErrors = 0;
  readonly rtpPort: number;
  readonly rtcpPort: number;

  private constructor(
    rtp: dgram.Socket,
    rtcp: dgram.Socket,
    rtpPort: number,
    rtcpPort: number,
  ) {
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    this.rtpPort = rtpPort;
    this.rtcpPort = rtcpPort;
    rtp.on(
      "message",
      (msg: Buffer, rinfo: dgram.RemoteInfo) => this.#route(0, msg, rinfo),
    );
    rtcp.on(
      "message",
      (msg: Buffer, rinfo: dgram.RemoteInfo) => this.#route(1, msg, rinfo),
    );
    rtp.on("error", () => this.sendErrors++);
    rtcp.on("error", () => this.sendErrors++);
  }

  /**
   * Bind the pair: `rtpPort` and `rtpPort + 1`; port 0 picks a free even
   * pair (a few tries).
   */
  static async bind(hostname: string, rtpPort: number): Promise<UdpPair> {
    const family = hostname.includes(":") ? "udp6" : "udp4";
    for (let attempt = 0; attempt < 20; attempt++) {
      const rtp = dgram.createSocket(family);
      const bound = await bindSocket(rtp, hostname, rtpPort);
      if (bound < 0 || (rtpPort === 0 && bound % 2 !== 0)) {
        rtp.close();
        if (rtpPort !== 0) break;
        continue;
      }
      const rtcp = dgram.createSocket(family);
      const boundRtcp = await bindSocket(rtcp, hostname, bound + 1);
      if (boundRtcp < 0) {
        rtp.close();
        rtcp.close();
        if (rtpPort !== 0) break;
        continue;
      }
      return new UdpPair(rtp, rtcp, bound, boundRtcp);
    }
    throw new Deno.errors.AddrInUse(
      `Cannot bind the RTSP UDP pair on ${hostname}:${rtpPort}: in use`,
    );
  }

  #route(which: 0 | 1, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const routes = this.#routes[which];
    const receiver =
      routes.get(`${normalizeHost(rinfo.address)}:${rinfo.port}`) ??
        routes.get("*");
    if (receiver === undefined) {
      this.dropped++;
      return;
    }
    receiver(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
  }

  /**
   * Route datagrams from `host:port` on the RTP (0) or RTCP (1) socket
   * (host "*": from any source without a route of its own).
   *
   * @returns unregister
   */
  register(
    which: 0 | 1,
    host: string,
    port: number,
    receiver: UdpReceiver,
  ): () => void {
    const key = host === "*" ? "*" : `${normalizeHost(host)}:${port}`;
    const routes = this.#routes[which];
    routes.set(key, receiver);
    return () => {
      if (routes.get(key) === receiver) routes.delete(key);
    };
  }

  /** Send shared bytes from the RTP (0) or RTCP (1) socket. */
  send(which: 0 | 1, bytes: Uint8Array, host: string, port: number): void {
    const socket = which === 0 ? this.#rtp : this.#rtcp;
    try {
      socket.send(bytes, port, host, (error) => {
        if (error) this.sendErrors++;
      });
    } catch {
      this.sendErrors++;
    }
  }

  /** Close both sockets. */
  close(): void {
    for (const s of [this.#rtp, this.#rtcp]) {
      try {
        s.close();
      } catch { /* closed */ }
    }
  }
}

/** node:dgram reports IPv4-mapped addresses on dual-stack sockets. */
export function normalizeHost(host: string): string {
  return host.startsWith("::ffff:") ? host.slice(7) : host;
}

function bindSocket(
  socket: dgram.Socket,
  hostname: string,
  port: number,
): Promise<number> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(-1);
    socket.once("error", onError);
    socket.bind(port, hostname, () => {
      socket.off("error", onError);
      resolve(socket.address().port);
    });
  });
}
