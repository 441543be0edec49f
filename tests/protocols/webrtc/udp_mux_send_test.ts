// The shared UDP socket's send path: a window of datagrams in flight, media
// (the WHEP fan-out's SRTP) queued behind control (STUN/DTLS/SRTCP) in a
// bounded FIFO; past the bound media is dropped and counted, control still
// goes out first.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { UdpMux } from "../../../protocols/webrtc/mod.ts";

Deno.test("udp mux: media FIFO bounded (drops counted), control datagrams sent before queued media", async () => {
  const mux = await UdpMux.bind({
    hostname: "127.0.0.1",
    port: 0,
    maxSendQueue: 100,
    sendWindow: 16, // the receiver below reads only after the burst
  });
  const rx = dgram.createSocket("udp4");
  await new Promise<void>((r) => rx.bind(0, "127.0.0.1", () => r()));
  const order: number[] = [];
  rx.on("message", (d: Uint8Array) => order.push(d[0]!));
  try {
    const t = mux.createTransport();
    const addr: [string, number] = ["127.0.0.1", rx.address().port];
    for (let i = 0; i < 2_000; i++) {
      t.sendMedia(new Uint8Array(64).fill(1), addr);
    }
    await t.send(new Uint8Array(64).fill(2), addr); // control
    // 16 in flight, 100 queued, the rest dropped.
    assert.equal(mux.stats.sendDropped, 2_000 - 16 - 100);
    const deadline = Date.now() + 5_000;
    while (order.length < 117 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(order.length, 117);
    const control = order.indexOf(2);
    assert.ok(control >= 0 && control <= 20, `control datagram at ${control}`);
    await t.close();
  } finally {
    rx.close();
    await mux.close();
  }
});
