// WriteQueue (protocols/rtmp/_conn_io.ts): the cost of one awaited write, the
// RTMP egress pattern (one shared batch per flush tick per player, awaited
// before the next). Compared with the queue before the trim (copied below as
// `LegacyWriteQueue`: an async closure per write, a rest array, a `.catch`
// promise per write). The socket is a fake whose `write` resolves at once,
// so only the queue's own work is measured.
//
// Time per write: deno bench --allow-all bench/egress_write_queue_bench.ts
// Bytes allocated per write (young-generation growth over 20,000 writes with
// a semi-space large enough that no scavenge runs in between):
//   EGRESS_ALLOC=1 deno run --v8-flags=--expose-gc,--min-semi-space-size=64,--max-semi-space-size=64 bench/egress_write_queue_bench.ts
// deno-lint-ignore-file no-console -- the allocation report prints to stdout
import { WriteQueue } from "../protocols/rtmp/_conn_io.ts";

/** The queue as it was before the trim (for comparison only). */
class LegacyWriteQueue {
  #conn: Deno.Conn;
  #tail: Promise<void> = Promise.resolve();
  #failed: unknown = undefined;
  #onWrite: (bytes: number) => void;
  #pending = 0;

  constructor(conn: Deno.Conn, onWrite: (bytes: number) => void = () => {}) {
    this.#conn = conn;
    this.#onWrite = onWrite;
  }

  write(...parts: Uint8Array[]): Promise<void> {
    let size = 0;
    for (const p of parts) size += p.length;
    this.#pending += size;
    const next = this.#tail.then(async () => {
      if (this.#failed !== undefined) throw this.#failed;
      try {
        for (const bytes of parts) {
          let p = 0;
          while (p < bytes.length) {
            p += await this.#conn.write(p === 0 ? bytes : bytes.subarray(p));
          }
          this.#onWrite(bytes.length);
        }
      } catch (error) {
        this.#failed = error;
        throw error;
      } finally {
        this.#pending -= size;
      }
    });
    this.#tail = next.catch(() => {});
    return next;
  }
}

/** A socket that accepts every byte at once. */
function fakeConn(): Deno.Conn {
  return {
    write: (bytes: Uint8Array) => Promise.resolve(bytes.length),
  } as unknown as Deno.Conn;
}

const BATCH = new Uint8Array(12_000); // ~40 ms of a 3 Mbit/s stream
const onWrite = (_bytes: number): void => {};

const legacy = new LegacyWriteQueue(fakeConn(), onWrite);
const trimmed = new WriteQueue(fakeConn(), onWrite);

Deno.bench({
  name: "one awaited batch write: legacy queue",
  group: "write",
  baseline: true,
  async fn() {
    await legacy.write(BATCH);
  },
});

Deno.bench({
  name: "one awaited batch write: trimmed queue",
  group: "write",
  async fn() {
    await trimmed.write(BATCH);
  },
});

async function bytesPerWrite(
  write: (bytes: Uint8Array) => Promise<void>,
): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --v8-flags=--expose-gc");
  const n = 20_000;
  for (let i = 0; i < 1_000; i++) await write(BATCH); // warm up (JIT)
  gc();
  const before = Deno.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) await write(BATCH);
  const after = Deno.memoryUsage().heapUsed;
  return (after - before) / n;
}

if (import.meta.main && Deno.env.get("EGRESS_ALLOC") === "1") {
  const old = await bytesPerWrite((b) => legacy.write(b));
  const now = await bytesPerWrite((b) => trimmed.write(b));
  console.log(`| queue   | heap bytes per awaited write |`);
  console.log(`| ------- | ---------------------------: |`);
  console.log(`| legacy  | ${old.toFixed(0)} |`);
  console.log(`| trimmed | ${now.toFixed(0)} |`);
}
