// UdpMux on each socket backend: "auto" takes the batched FFI socket when
// --allow-ffi is granted (and falls back without it), media keeps its order
// through the send window and the sendmmsg batches, receive still routes.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import type { Buffer } from "node:buffer";
import { UdpMux } from "../../../protocols/webrtc/mod.ts";
import {
  udpBatchAvailable,
  UdpBatchSocket,
} from "../../../protocols/net/udp_batch.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = performance.now() + ms;
  while (!ok() && performance.now() < end) await sleep(5);
}

for (const backend of ["ffi", "deno", "node"] as const) {
  Deno.test({
    name:
      `udp mux (${backend}): 2,000 media datagrams in bursts all arrive (ffi: in order); a stranger's datagram is dropped`,
    ignore: backend === "ffi" && !udpBatchAvailable(),
    async fn() {
      const mux = await UdpMux.bind({
        hostname: "127.0.0.1",
        port: 0,
        backend,
      });
      const expected = backend === "deno" &&
          typeof (Deno as { listenDatagram?: unknown }).listenDatagram !==
            "function"
        ? "node"
        : backend;
      assert.equal(mux.backend, expected);
      // The peer's receive buffer must hold a burst of 250: Deno's
      // node:dgram reports setRecvBufferSize without applying it (`ss`
      // shows the system's 212,992 B, ~166 such datagrams), so the peer is
      // the libc socket with a real 4 MiB SO_RCVBUF where FFI is granted.
      const got: number[] = [];
      let peerPort: number;
      let closePeer: () => void;
      if (udpBatchAvailable()) {
        const peer = UdpBatchSocket.bind({
          hostname: "127.0.0.1",
          port: 0,
          receiveBufferSize: 4 << 20,
        });
        peer.onMessage = (m) =>
          got.push(new DataView(m.buffer, m.byteOffset).getUint32(0));
        peerPort = peer.port;
        closePeer = () => peer.close();
      } else {
        const peer = dgram.createSocket("udp4");
        await new Promise<void>((r) => peer.bind(0, "127.0.0.1", () => r()));
        peer.setRecvBufferSize(4 << 20);
        peer.on("message", (m: Buffer) => got.push(m.readUInt32BE(0)));
        peerPort = (peer.address() as { port: number }).port;
        closePeer = () => peer.close();
      }
      const addr: [string, number] = ["127.0.0.1", peerPort];
      const transport = mux.createTransport();
      for (let i = 0; i < 2_000; i++) {
        const d = new Uint8Array(200);
        new DataView(d.buffer).setUint32(0, i);
        transport.sendMedia(d, addr);
        // Bursts of 250 (a keyframe to many viewers), then the loop turns.
        if (i % 250 === 249) await until(() => got.length > i - 150, 2_000);
      }
      await until(() => got.length === 2_000, 5_000);
      assert.equal(mux.stats.sendDropped, 0);
      assert.equal(got.length, 2_000);
      if (backend === "ffi") {
        // One sendmmsg per window, in queue order: nothing overtakes.
        for (let i = 0; i < got.length; i++) assert.equal(got[i], i);
      } else {
        // Concurrent async sends may complete out of order: all arrive.
        assert.equal(new Set(got).size, 2_000);
      }
      // Receiving: a datagram from an address of no session is dropped.
      const stranger = dgram.createSocket("udp4");
      await new Promise<void>((r) => stranger.bind(0, "127.0.0.1", () => r()));
      stranger.send(new Uint8Array([0xff, 1, 2]), mux.port, "127.0.0.1");
      await until(() => mux.stats.dropped === 1);
      assert.equal(mux.stats.received, 1);
      assert.equal(mux.stats.dropped, 1);
      await transport.close();
      await mux.close();
      closePeer();
      stranger.close();
    },
  });
}

Deno.test({
  name:
    "udp mux: backend auto is ffi with --allow-ffi, Deno.DatagramConn without it",
  ignore: !udpBatchAvailable(),
  async fn() {
    const probe = new URL("./_udp_backend_probe.ts", import.meta.url).pathname;
    const run = async (flags: string[]) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--unstable-net",
          "--allow-net=127.0.0.1",
          "--allow-env",
          "--allow-read",
          "--allow-sys",
          ...flags,
          probe,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      return new TextDecoder().decode(out.stdout).trim();
    };
    assert.equal(await run(["--allow-ffi"]), "ffi");
    assert.equal(await run([]), "deno");
  },
});
