// The EAGAIN path of UdpBatchSocket against a real full socket buffer:
// loopback frees a datagram's send-buffer charge at once, so the child
// (_udp_batch_eagain.ts) runs in a fresh network namespace (`unshare -n`,
// root) whose loopback has a slow tbf qdisc holding the datagrams. The
// machine's own loopback is never touched.
import assert from "node:assert/strict";
import { udpBatchAvailable } from "../../../protocols/net/udp_batch.ts";

function canNetns(): boolean {
  if (!udpBatchAvailable() || Deno.uid() !== 0) return false;
  try {
    const probe = new Deno.Command("unshare", {
      args: ["-n", "tc", "qdisc", "show", "dev", "lo"],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return probe.success;
  } catch {
    return false;
  }
}

for (const mode of ["own poll", "shared epoll waiter"]) {
  Deno.test({
    name:
      `udp batch (${mode}): a full send buffer (EAGAIN) waits for POLLOUT; the queue stays bounded, nothing is reordered`,
    ignore: !canNetns(),
    async fn() {
      const child = new URL("./_udp_batch_eagain.ts", import.meta.url).pathname;
      const script =
        'ip link set lo up && tc qdisc add dev lo root tbf rate 8mbit burst 4kb latency 400ms && exec "$@"';
      const out = await new Deno.Command("timeout", {
        args: [
          "60",
          "unshare",
          "-n",
          "sh",
          "-c",
          script,
          "sh",
          Deno.execPath(),
          "run",
          "--allow-ffi",
          "--allow-net=127.0.0.1",
          "--allow-read",
          child,
          ...(mode === "own poll" ? [] : ["--waiter"]),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const r = JSON.parse(text.trim().split("\n").at(-1)!) as {
        accepted: number;
        dones: number;
        received: number;
        ordered: boolean;
        stats: { sent: number; blocked: number; sendDropped: number };
      };
      assert.equal(r.accepted, 500); // maxQueue 500: 100 of 600 refused
      assert.equal(r.stats.sendDropped, 100);
      assert.equal(r.dones, 600);
      assert.equal(r.stats.sent, 500);
      assert.ok(r.stats.blocked > 0, `blocked ${r.stats.blocked}`);
      assert.equal(r.received, 500);
      assert.equal(r.ordered, true);
    },
  });
}
