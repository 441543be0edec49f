// The ticked sockets' two loops (transcode/_ticked_io.ts) on real loopback
// sockets: a drain reads until EAGAIN but at most MAX_READS_PER_DRAIN reads
// (the rest on the next drain), its frames are FlvReader's, EOF ends it; the
// input writer keeps the unsent tail of a batch (the socket full: the peer
// does not read) and sends it on later ticks until all of it is taken.
import assert from "node:assert/strict";
import { FlvMuxer, FlvReader } from "../../media/flv/mod.ts";
import type { MediaFrame } from "../../media/frame.ts";
import { type FfiTcpSocket, tcpFfiAvailable } from "../../protocols/net/mod.ts";
import { FlvTagSlab } from "../../transcode/_flv_tag_slab.ts";
import {
  type DrainEnd,
  drainTicked,
  MAX_READS_PER_DRAIN,
  TickedListeners,
  tickedWriter,
} from "../../transcode/_ticked_io.ts";
import { concatBytes } from "../fuzz/_harness.ts";
import { audioConfig, audioFrame, videoConfig, videoFrame } from "../_fakes.ts";

const ignore = !tcpFfiAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function flvFile(): Uint8Array {
  const muxer = new FlvMuxer();
  muxer.configure(videoConfig(0));
  muxer.configure(audioConfig(0));
  const frames: MediaFrame[] = [];
  for (let i = 0; i < 200; i++) {
    frames.push(videoFrame(i * 40, i % 25 === 0, { size: 4000 + i * 37 }));
    frames.push(audioFrame(i * 40 + 1, 20 + i));
  }
  frames.forEach((f, i) =>
    f.data.forEach((_, j, d) => d[j] = (i * 31 + j) & 0xff)
  );
  return concatBytes([muxer.initSegment(), muxer.mux(frames)]);
}

async function connected() {
  const listeners = new TickedListeners(1);
  const url = new URL(listeners.urls[0]!);
  const peer = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(url.port),
  });
  const socket = await listeners.accept(0);
  listeners.close();
  return { peer, socket };
}

Deno.test({
  name:
    "ticked io: a drain reads until EAGAIN, at most MAX_READS_PER_DRAIN reads, FlvReader's frames, then EOF",
  ignore,
  async fn() {
    const { peer, socket } = await connected();
    const file = flvFile();
    const writing = (async () => {
      for (let at = 0; at < file.length;) {
        at += await peer.write(file.subarray(at));
      }
      peer.close();
    })();
    const slab = new FlvTagSlab(16 << 10);
    const frames: MediaFrame[] = [];
    const ends: DrainEnd[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      const end = drainTicked(socket, slab, frames);
      ends.push(end);
      if (end === "eof") break;
      assert.ok(Date.now() < deadline, "drained within 10 s");
      if (end === "again") await sleep(5); // the tick
    }
    await writing;
    assert.ok(ends.includes("again"), ends.join(","));
    const expected = new FlvReader().push(file);
    assert.equal(frames.length, expected.length);
    frames.forEach((f, i) => {
      assert.equal(f.dts, expected[i]!.dts);
      assert.deepEqual(f.data, expected[i]!.data);
    });
    assert.equal(slab.pendingBytes, 0);
    socket.close();
    // A closed socket ends a drain like EOF (the run's status tells why).
    assert.equal(drainTicked(socket, slab, frames), "eof");
  },
});

Deno.test("ticked io: a socket that always has bytes is drained MAX_READS_PER_DRAIN reads at a time", () => {
  const file = flvFile();
  let at = 0, reads = 0;
  // A peer faster than us: never EAGAIN (the bound keeps the drain finite).
  const socket = {
    tryRead(p: Uint8Array): number {
      reads++;
      const n = Math.min(p.length, 1000);
      p.set(file.subarray(at, at + n)); // 64 reads: far from the end
      at += n;
      return n;
    },
  } as unknown as FfiTcpSocket;
  const slab = new FlvTagSlab(16 << 10);
  const frames: MediaFrame[] = [];
  assert.equal(drainTicked(socket, slab, frames), "more");
  assert.equal(reads, MAX_READS_PER_DRAIN);
  assert.ok(frames.length > 0);
});

Deno.test({
  name:
    "ticked io: the writer keeps a batch's unsent tail while the socket is full and sends it on later ticks",
  ignore,
  async fn() {
    const { peer, socket } = await connected();
    const batch = new Uint8Array(32 << 20).map((_, i) => (i * 7) & 0xff);
    let paces = 0;
    let release!: () => void;
    const peerMayRead = new Promise<void>((r) => release = r);
    const writer = tickedWriter(socket, async () => {
      paces++;
      if (paces === 3) release(); // the peer starts reading after 3 ticks
      await sleep(2);
    });
    const written = writer.write(batch);
    // (Sent whole without a tick: the assertion below fails, no hang.)
    await Promise.race([peerMayRead, written]);
    const received = new Uint8Array(batch.length);
    let at = 0;
    while (at < batch.length) {
      const n = await peer.read(received.subarray(at));
      assert.ok(n !== null);
      at += n;
    }
    await written;
    assert.ok(paces >= 3, `${paces} ticks waited`);
    assert.deepEqual(received, batch);
    socket.closeWrite();
    assert.equal(await peer.read(new Uint8Array(1)), null);
    peer.close();
    // The peer gone: the writer rejects (the run's write loop ends).
    await sleep(20);
    await assert.rejects(async () => {
      for (let i = 0; i < 50; i++) {
        await writer.write(new Uint8Array(64 << 10));
        await sleep(2);
      }
    });
    socket.close();
  },
});
