// WHEP load client for bench/webrtc/run.ts, in its own process (run.ts
// starts several): N werift receivers of one stream (recvonly video +
// audio), each POSTing its offer to the origin's WHEP endpoint. werift does
// ICE and the DTLS handshake (as a browser would); the media path is made
// light so that the client is not the bottleneck: incoming SRTP datagrams
// are counted from their clear RTP header (SSRC, sequence number) and NOT
// decrypted, no jitter buffer, no NACKs (so "lost" is every sequence gap the
// receiver saw and that no late packet filled, before any retransmission;
// late packets are counted as "reordered"). The count happens in the
// socket's receive loop: an SRTP datagram never reaches werift (no Buffer
// copy, no STUN parse attempt, no DTLS dispatch), so a peer's STUN, DTLS and
// SRTCP are read as soon as they arrive, not after werift has walked
// through the media queued before them (at 300 viewers that delay let
// consent checks expire). Every 2 s each peer sends an SRTCP receiver report
// (the origin drops viewers without RTCP).
// Each peer's socket is a Deno.DatagramConn (run with --unstable-net): with
// Deno's node:dgram (werift's default) a send waits while a receive is
// pending, so a peer's STUN/DTLS/RTCP went out only when a datagram came in
// (ICE failed, the origin dropped viewers for missing RTCP). The kernel's
// default receive buffer (~200 KiB, < 0.5 s of this stream per socket) is
// kept: DatagramConn cannot set SO_RCVBUF, so a client process descheduled
// longer than that drops packets (column "kernel UDP rcvbuf drops").
// `--ffi` (after the positional arguments): each peer's socket is a
// UdpBatchSocket (protocols/net/udp_batch.ts) instead, all of a process's
// sockets waiting in one shared epoll waiter, received in recvmmsg batches
// (needs --allow-ffi; run.ts `--client-ffi`).
// Prints a {"receivers":…} line every second.
import { Buffer } from "node:buffer";
import {
  RTCDtlsTransport,
  RTCPeerConnection,
  RtcpRrPacket,
  RTCRtpCodecParameters,
  UdpTransport,
} from "werift";
// The peers' DTLS key exchange on native X25519 (as the origin's), so the
// load client spends its CPU on receiving.
import "../../protocols/webrtc/native_x25519.ts";
import { UdpBatchSocket, UdpBatchWaiter } from "../../protocols/net/mod.ts";

const codecs = {
  video: [
    new RTCRtpCodecParameters({
      mimeType: "video/H264",
      clockRate: 90000,
      rtcpFeedback: [{ type: "nack" }, { type: "nack", parameter: "pli" }],
      parameters:
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    }),
  ],
  audio: [
    new RTCRtpCodecParameters({
      mimeType: "audio/opus",
      clockRate: 48000,
      channels: 2,
    }),
  ],
};

const [url, nText, rampText] = Deno.args;
const n = Number(nText ?? 10);
/** Offers per second while connecting (default 25). */
const ramp = Number(rampText ?? 25);
const state = {
  connected: 0,
  failed: 0,
  /** Of `failed`: ICE had failed (else DTLS/consent after ICE connected). */
  iceFailed: 0,
  /** Of `failed`: connected first, failed later (consent expiry, DTLS close). */
  failedAfterConnect: 0,
  packets: 0,
  bytes: 0,
  /** Sequence gaps, minus the packets that arrived late to fill them. */
  lost: 0,
  /** Packets that arrived after a later one of their SSRC. */
  reordered: 0,
  refused: 0,
  /** Peers receiving media now (connected, not closed or failed since). */
  live: 0,
  /** Live peers that got ≥ 90 % of the best peer's packets over the last 5 s. */
  keepingUp: 0,
  /** The slowest live peer's packets over the last 5 s / the best peer's. */
  minShare: 1,
  srtpProfiles: {} as Record<string, number>,
};
interface PeerCount {
  count: number;
  mark: number;
  live: boolean;
  /** Newest sequence number per SSRC. */
  lastSeq: Map<number, number>;
}

/** Count one SRTP datagram (its RTP header is in clear) for `peer`. */
function countRtp(peer: PeerCount, data: Uint8Array): void {
  state.packets++;
  peer.count++;
  state.bytes += data.length;
  const ssrc = ((data[8]! << 24) | (data[9]! << 16) | (data[10]! << 8) |
    data[11]!) >>> 0;
  const seq = (data[2]! << 8) | data[3]!;
  const prev = peer.lastSeq.get(ssrc);
  if (prev !== undefined) {
    const gap = (seq - prev - 1 + 65536) % 65536;
    if (gap > 0 && gap < 1000) state.lost += gap;
    if (gap >= 1000) {
      // Behind the newest: a reordered packet fills a gap counted above.
      const behind = (prev - seq + 65536) % 65536;
      if (behind > 0 && behind < 1000) {
        state.lost--;
        state.reordered++;
      }
      return;
    }
  }
  peer.lastSeq.set(ssrc, seq);
}
const counts = new Set<PeerCount>();
setInterval(() => {
  let best = 0;
  const deltas: number[] = [];
  for (const c of counts) {
    if (!c.live) {
      counts.delete(c);
      continue;
    }
    const d = c.count - c.mark;
    c.mark = c.count;
    deltas.push(d);
    best = Math.max(best, d);
  }
  state.live = deltas.length;
  state.keepingUp = deltas.filter((d) => d >= 0.9 * best).length;
  state.minShare = best > 0 ? Math.min(...deltas) / best : 1;
}, 5_000);
const peers: RTCPeerConnection[] = [];

// The light media path (see the header).
type Dtls = {
  startSrtp(): void;
  srtpStarted: boolean;
  updateSrtpSession(): void;
  sendRtcp(packets: unknown[]): Promise<void>;
  dtls?: { srtp: { srtpProfile?: number } };
  iceTransport: {
    connection: {
      onData: { subscribe(fn: (d: Buffer) => void): unknown };
      /** werift's sockets of this peer: ours, with their media count. */
      protocols: { transport?: { peer?: PeerCount } }[];
    };
  };
  state: string;
};
const proto = RTCDtlsTransport.prototype as unknown as Dtls;
proto.startSrtp = function (this: Dtls) {
  if (this.srtpStarted) return;
  this.srtpStarted = true;
  this.updateSrtpSession();
  const profile = String(this.dtls?.srtp.srtpProfile);
  state.srtpProfiles[profile] = (state.srtpProfiles[profile] ?? 0) + 1;
  const rr = setInterval(() => {
    if (this.state === "closed" || this.state === "failed") {
      // A failed peer leaves the "live" set (its socket may stay open).
      for (const p of this.iceTransport.connection.protocols) {
        if (p.transport?.peer) p.transport.peer.live = false;
      }
      clearInterval(rr);
      return;
    }
    void this.sendRtcp([new RtcpRrPacket({ ssrc: 1, reports: [] })]).catch(
      () => {},
    );
  }, 2_000);
};

type Addr = [string, number];
const udp = UdpTransport as unknown as {
  init(type: string, options?: unknown): Promise<unknown>;
};
const originalInit = udp.init.bind(UdpTransport);
const waiter = Deno.args.includes("--ffi") ? UdpBatchWaiter.create() : null;
udp.init = (type, options) => {
  if (type !== "udp4") return originalInit(type, options);
  if (waiter) return Promise.resolve(ffiTransport(waiter));
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: "0.0.0.0",
    port: 0,
  });
  const port = (conn.addr as Deno.NetAddr).port;
  // This socket's media count, listed once its first SRTP datagram came.
  const peer: PeerCount = { count: 0, mark: 0, live: true, lastSeq: new Map() };
  let listed = false;
  const t = {
    type: "udp",
    closed: false,
    onData: (_d: Buffer, _a: Addr) => {},
    send: (data: Uint8Array, addr?: Addr): Promise<void> => {
      if (!t.closed && addr) {
        conn.send(data, { transport: "udp", hostname: addr[0], port: addr[1] })
          .catch(() => {});
      }
      return Promise.resolve();
    },
    close: (): Promise<void> => {
      if (!t.closed) {
        t.closed = true;
        peer.live = false;
        conn.close();
      }
      return Promise.resolve();
    },
    peer,
    address: { address: "0.0.0.0", port, family: "IPv4" },
    addressFamily: 4,
    host: "0.0.0.0",
    port,
  };
  void (async () => {
    // One receive buffer per socket (DatagramConn allocates 64 KiB per
    // datagram otherwise); a datagram for werift is copied out at its size.
    const buffer = new Uint8Array(65_536);
    while (!t.closed) {
      try {
        const [d, a] = await conn.receive(buffer);
        const b0 = d[0]!;
        const b1 = d[1]!;
        // RFC 7983 demux: 128–191 is RTP/RTCP; RTCP types 192–223.
        if (
          d.length >= 12 && b0 >= 128 && b0 <= 191 && (b1 < 192 || b1 > 223)
        ) {
          if (!listed) {
            listed = true;
            counts.add(peer);
          }
          countRtp(peer, d);
          continue;
        }
        const from = a as Deno.NetAddr;
        t.onData(Buffer.from(d), [
          from.hostname,
          from.port,
        ]);
      } catch {
        if (t.closed) break;
      }
    }
  })();
  return Promise.resolve(t);
};

/** A peer's socket on a UdpBatchSocket in the shared waiter (`--ffi`). */
function ffiTransport(waiter: UdpBatchWaiter): unknown {
  const socket = UdpBatchSocket.bind({
    hostname: "0.0.0.0",
    port: 0,
    waiter,
    borrow: true,
  });
  const port = socket.port;
  const peer: PeerCount = { count: 0, mark: 0, live: true, lastSeq: new Map() };
  let listed = false;
  const t = {
    type: "udp",
    closed: false,
    onData: (_d: Buffer, _a: Addr) => {},
    send: (data: Uint8Array, addr?: Addr): Promise<void> => {
      if (!t.closed && addr) socket.send(data, addr[0], addr[1]);
      return Promise.resolve();
    },
    close: (): Promise<void> => {
      if (!t.closed) {
        t.closed = true;
        peer.live = false;
        void socket.close();
      }
      return Promise.resolve();
    },
    peer,
    address: { address: "0.0.0.0", port, family: "IPv4" },
    addressFamily: 4,
    host: "0.0.0.0",
    port,
  };
  socket.onMessage = (d, host, from) => {
    const b0 = d[0]!;
    const b1 = d[1]!;
    // RFC 7983 demux, as in the DatagramConn loop above.
    if (d.length >= 12 && b0 >= 128 && b0 <= 191 && (b1 < 192 || b1 > 223)) {
      if (!listed) {
        listed = true;
        counts.add(peer);
      }
      countRtp(peer, d);
      return;
    }
    // `d` is borrowed: werift gets its own copy.
    t.onData(Buffer.from(d), [host, from]);
  };
  return t;
}

async function viewer(): Promise<void> {
  const pc = new RTCPeerConnection({
    codecs,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ["127.0.0.1"],
  });
  peers.push(pc);
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  let wasConnected = false;
  pc.connectionStateChange.subscribe((s) => {
    if (s === "connected") {
      state.connected++;
      wasConnected = true;
    }
    if (s === "failed") {
      state.failed++;
      if (pc.iceConnectionState === "failed") state.iceFailed++;
      if (wasConnected) state.failedAfterConnect++;
    }
  });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(url!, {
    method: "POST",
    headers: { "content-type": "application/sdp" },
    body: pc.localDescription!.sdp,
  });
  const body = await res.text();
  if (res.status !== 201) {
    state.refused++;
    return;
  }
  await pc.setRemoteDescription({ type: "answer", sdp: body });
}

const timer = setInterval(() => {
  // deno-lint-ignore no-console
  console.log(JSON.stringify({ receivers: state }));
}, 1_000);
Deno.addSignalListener("SIGTERM", async () => {
  clearInterval(timer);
  await Promise.race([
    Promise.all(peers.map((p) => p.close().catch(() => {}))),
    new Promise((r) => setTimeout(r, 2_000)),
  ]);
  Deno.exit(0);
});
const started = performance.now();
for (let i = 0; i < n; i++) {
  // Paced: offer i goes at i / ramp seconds, not waiting for the answers.
  const due = started + (i * 1000) / ramp - performance.now();
  if (due > 0) await new Promise((r) => setTimeout(r, due));
  void viewer().catch(() => state.refused++);
}
