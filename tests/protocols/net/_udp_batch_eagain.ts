// Run by udp_batch_eagain_test.ts inside a fresh network namespace whose
// loopback has a slow tbf qdisc: datagrams wait in the qdisc, charged to
// the sender's SO_SNDBUF, so sendmmsg meets EAGAIN. Sends 600 datagrams in
// one turn to a node:dgram peer; prints one JSON line of what happened.
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import { UdpBatchSocket, UdpBatchWaiter } from "../../../protocols/net/mod.ts";

const peer = dgram.createSocket("udp4");
await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
peer.setRecvBufferSize(4 << 20);
const got: number[] = [];
peer.on("message", (m: Buffer) => got.push(m.readUInt32BE(0)));
const port = (peer.address() as { port: number }).port;
// `--waiter`: the socket waits in a shared epoll waiter, not its own poll.
const waiter = Deno.args.includes("--waiter")
  ? UdpBatchWaiter.create()
  : undefined;
const socket = UdpBatchSocket.bind({
  hostname: "127.0.0.1",
  sendBufferSize: 4_096,
  maxQueue: 500,
  ...(waiter ? { waiter } : {}),
});
let dones = 0;
let accepted = 0;
for (let i = 0; i < 600; i++) {
  const d = new Uint8Array(1_000);
  new DataView(d.buffer).setUint32(0, i);
  if (socket.send(d, "127.0.0.1", port, () => dones++)) accepted++;
}
const end = performance.now() + 10_000;
while ((dones < 600 || got.length < 500) && performance.now() < end) {
  await new Promise((r) => setTimeout(r, 10));
}
const ordered = got.every((v, i) => i === 0 || v > got[i - 1]!);
// deno-lint-ignore no-console
console.log(JSON.stringify({
  accepted,
  dones,
  received: got.length,
  ordered,
  stats: socket.stats,
}));
await socket.close();
await waiter?.close();
peer.close();
