/**
 * Transport negotiation of a SETUP (RFC 2326 §12.39): the first
 * alternative the server can serve, TCP-interleaved (channels checked for
 * clashes within the session) or UDP unicast to the client's port pair from
 * the server's shared pair.
 *
 * @module
 */
import { RtspProtocolError } from "./message.ts";
import type { TransportSpec } from "./headers.ts";
import type { ServerSession, TrackTransport } from "./_session.ts";
import type { UdpPair } from "./_udp.ts";

/** The first acceptable transport of a SETUP (TCP interleaved or UDP unicast). */
export function chooseTransport(
  udp: UdpPair | undefined,
  remoteHost: string,
  specs: TransportSpec[],
  index: number,
  mode: "play" | "record",
  session: ServerSession,
): TrackTransport {
  for (const spec of specs) {
    if (spec.multicast || spec.profile !== "RTP/AVP") continue;
    if (spec.lowerTransport === "TCP") {
      const channel = spec.interleaved?.[0] ?? index * 2;
      if (channel > 254) continue;
      for (const [i, t] of session.tracks) {
        if (
          i !== index && t.channel !== undefined &&
          Math.abs(t.channel - channel) < 2
        ) {
          throw new RtspProtocolError(
            461,
            "Cannot SETUP: interleaved channel in use",
          );
        }
      }
      return {
        spec: {
          profile: "RTP/AVP",
          lowerTransport: "TCP",
          multicast: false,
          interleaved: [channel, channel + 1],
          ...(mode === "record" ? { mode } : {}),
        },
        channel,
      };
    }
    if (spec.clientPort !== undefined && udp !== undefined) {
      return {
        spec: {
          profile: "RTP/AVP",
          lowerTransport: "UDP",
          multicast: false,
          clientPort: spec.clientPort,
          serverPort: [udp.rtpPort, udp.rtcpPort],
          ...(mode === "record" ? { mode } : {}),
        },
        udp: {
          host: remoteHost,
          rtpPort: spec.clientPort[0],
          rtcpPort: spec.clientPort[1],
        },
      };
    }
  }
  throw new RtspProtocolError(
    461,
    `Cannot SETUP: no supported transport (RTP/AVP/TCP interleaved${
      udp ? " or RTP/AVP unicast client_port" : ""
    })`,
  );
}

/**
 * Route a UDP track's datagrams from the client's ports: RTCP (and, for a
 * publisher, RTP) keep the session alive; RTP goes to `rtp`.
 *
 * @returns unregister both routes
 */
export function routeUdp(
  udp: UdpPair,
  client: { host: string; rtpPort: number; rtcpPort: number },
  record: boolean,
  on: { alive: () => void; rtp: (bytes: Uint8Array) => void },
): () => void {
  const offs = [udp.register(1, client.host, client.rtcpPort, on.alive)];
  if (record) {
    offs.push(udp.register(0, client.host, client.rtpPort, (bytes) => {
      on.alive();
      on.rtp(bytes);
    }));
  }
  return () => offs.forEach((f) => f());
}
