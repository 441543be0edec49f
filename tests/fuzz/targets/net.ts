// protocols/net/udp_batch.ts: the IPv4 address reader (any text: a number
// or -1, never a throw) and, when FFI is granted, a real datagram round trip
// through two UdpBatchSockets (sendmmsg → recvmmsg): every input up to
// 4,096 B arrives whole and unchanged, longer ones are refused by count.
// Only StreamError may escape.
import {
  udpBatchAvailable,
  UdpBatchSocket,
} from "../../../protocols/net/mod.ts";
import { parseIpv4 } from "../../../protocols/net/udp_batch_ffi.ts";
import type { FuzzTargetDef } from "./_target.ts";

const text = new TextDecoder("utf-8", { fatal: false });

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The net targets. */
export function netTargets(): FuzzTargetDef[] {
  return [{
    name: "net.udp_batch_roundtrip",
    seeds: [
      new TextEncoder().encode("127.0.0.1"),
      new Uint8Array(0),
      new Uint8Array(1_200).fill(0x80),
    ],
    shortCases: 500,
    prepare() {
      const ffi = udpBatchAvailable();
      const rx = ffi ? UdpBatchSocket.bind({ hostname: "127.0.0.1" }) : null;
      const tx = ffi ? UdpBatchSocket.bind({ hostname: "127.0.0.1" }) : null;
      let waiting: ((d: Uint8Array) => void) | undefined;
      if (rx) rx.onMessage = (d) => waiting?.(d);
      return {
        async run(input) {
          const ip = parseIpv4(text.decode(input));
          if (!Number.isInteger(ip) || ip < -1 || ip > 0xffffffff) {
            throw new Error(`parseIpv4 gave ${ip}`);
          }
          if (!rx || !tx || input.length > 4_096) return;
          const got = await new Promise<Uint8Array | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), 2_000);
            waiting = (d) => {
              clearTimeout(timer);
              resolve(d);
            };
            tx.send(input, "127.0.0.1", rx.port);
          });
          waiting = undefined;
          if (!got || !same(got, input)) {
            throw new Error(
              `datagram of ${input.length} B not delivered whole`,
            );
          }
        },
        async close() {
          await rx?.close();
          await tx?.close();
        },
      };
    },
  }];
}
