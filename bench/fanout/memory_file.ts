/**
 * Preloaded into our origin by the fan-out harness (`servers.ts` runs it
 * with `--preload`, so `our_origin.ts` stays as a user would run it): with
 * `ARCLY_BENCH_MEMFILE=<path>` set, every 500 ms it rewrites that file with
 * one line `<epoch ms> <rss> <heapUsed> <heapTotal> <external>` (bytes, from
 * `Deno.memoryUsage()`) and, where glibc's `mallinfo2` can be called (Linux
 * with `--allow-ffi`), ` <malloc in use> <malloc free>`: the bytes malloc
 * has handed out (arenas and mmapped blocks) and the free bytes it keeps in
 * its arenas (what fragmentation holds). With `ARCLY_BENCH_MALLOC_INFO=<path>`,
 * `kill -USR1 <pid>` writes glibc's `malloc_info` (every arena's free chunks
 * by size, XML) to `<path>.<n>`. The load client reads the line
 * beside its RSS samples (`readHeapSample` in `load_client.ts`; a read that
 * meets the file mid-write is skipped). The file never grows. No GC is forced: the heap is
 * as the CLI would have it. The timer is unref'd: it keeps no process alive.
 *
 * @module
 */

/** glibc's `mallinfo2()` as " <in use> <free>", or null where it cannot run. */
function mallocReader(): (() => string) | null {
  if (Deno.build.os !== "linux") return null;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      // struct mallinfo2: ten size_t fields
      mallinfo2: {
        parameters: [],
        result: { struct: Array(10).fill("usize") },
      },
    });
    return () => {
      const v = new BigUint64Array(lib.symbols.mallinfo2().buffer);
      // uordblks (7) + hblkhd (4): handed out; fordblks (8): free in arenas
      return ` ${v[7]! + v[4]!} ${v[8]!}`;
    };
  } catch {
    return null; // no --allow-ffi, or no glibc
  }
}

const memFile = Deno.env.get("ARCLY_BENCH_MEMFILE");
if (memFile !== undefined) {
  const malloc = mallocReader();
  const timer = setInterval(() => {
    const m = Deno.memoryUsage();
    Deno.writeTextFileSync(
      memFile,
      `${Date.now()} ${m.rss} ${m.heapUsed} ${m.heapTotal} ${m.external}${
        malloc?.() ?? ""
      }\n`,
    );
  }, 500);
  Deno.unrefTimer(timer);
}

const mallocInfo = Deno.env.get("ARCLY_BENCH_MALLOC_INFO");
if (mallocInfo !== undefined && Deno.build.os === "linux") {
  const lib = Deno.dlopen("libc.so.6", {
    fopen: { parameters: ["buffer", "buffer"], result: "pointer" },
    fclose: { parameters: ["pointer"], result: "i32" },
    malloc_info: { parameters: ["i32", "pointer"], result: "i32" },
  });
  const cString = (s: string) => new TextEncoder().encode(`${s}\0`);
  let n = 0;
  Deno.addSignalListener("SIGUSR1", () => {
    const file = lib.symbols.fopen(
      cString(`${mallocInfo}.${++n}`),
      cString("w"),
    );
    if (file === null) return;
    lib.symbols.malloc_info(0, file);
    lib.symbols.fclose(file);
  });
}
