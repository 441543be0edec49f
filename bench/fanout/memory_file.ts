/**
 * Preloaded into our origin by the fan-out harness (`servers.ts` runs it
 * with `--preload`, so `our_origin.ts` stays as a user would run it): with
 * `ARCLY_BENCH_MEMFILE=<path>` set, every 500 ms it rewrites that file with
 * one line `<epoch ms> <rss> <heapUsed> <heapTotal> <external>` (bytes, from
 * `Deno.memoryUsage()`), which the load client reads beside its RSS samples
 * (`readHeapSample` in `load_client.ts`; a read that meets the file
 * mid-write is skipped). The file never grows. No GC is forced: the heap is
 * as the CLI would have it. The timer is unref'd: it keeps no process alive.
 *
 * @module
 */

const memFile = Deno.env.get("ARCLY_BENCH_MEMFILE");
if (memFile !== undefined) {
  const timer = setInterval(() => {
    const m = Deno.memoryUsage();
    Deno.writeTextFileSync(
      memFile,
      `${Date.now()} ${m.rss} ${m.heapUsed} ${m.heapTotal} ${m.external}\n`,
    );
  }, 500);
  Deno.unrefTimer(timer);
}
