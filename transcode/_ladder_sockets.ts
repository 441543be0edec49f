// The listening sockets of one ladder run (_ladder_run.ts): one per
// rendition's output and the last one for ffmpeg's input.
//
// Which (`ladderTransport()`, or ticked): with `--allow-net` (Deno asks for
// an unscoped net grant, or one per exact path, to listen on a Unix socket)
// a private directory made with `Deno.makeTempDir` (mode 0700, in TMPDIR)
// holds one listening Unix socket per rendition and `in.sock`; with only
// `--allow-net=127.0.0.1` one TCP listener each on 127.0.0.1 port 0; ticked
// (`ladderOutput: "ticked"`, _ticked_io.ts) one libc TCP listener each on
// 127.0.0.1 port 0, whose accepted sockets no epoll watches (FFI: no net
// permission needed). On TCP a local process could connect first: its bytes
// would fail FlvReader, or ffmpeg would not get its input, and the run
// would restart. Listeners are made before ffmpeg is spawned; ffmpeg
// connects to its input URL at start and to each output URL
// (`unix:/…/0.sock`, `tcp://127.0.0.1:…`) once it has probed its input;
// exactly one connection is accepted per listener; then the listeners close
// and the directory is removed (the connections stay). No byte passes here.
import type { FfiTcpSocket } from "../protocols/net/mod.ts";
import { TickedListeners } from "./_ticked_io.ts";

/**
 * How a ladder's outputs can reach us with the permissions granted: Unix
 * sockets (unscoped `--allow-net`, read and write on TMPDIR), loopback TCP
 * (`--allow-net=127.0.0.1`), or none (the service then runs one ffmpeg per
 * rendition, on stdout, unless the ladder is ticked).
 */
export function ladderTransport(): "unix" | "tcp" | undefined {
  try {
    const q = (d: Deno.PermissionDescriptor) =>
      Deno.permissions.querySync(d).state === "granted";
    let tmp = "/tmp";
    try {
      tmp = Deno.env.get("TMPDIR") || tmp;
    } catch { /* no env permission: the default */ }
    if (
      q({ name: "net" }) && q({ name: "read", path: tmp }) &&
      q({ name: "write", path: tmp })
    ) return "unix";
    if (q({ name: "net", host: "127.0.0.1" })) return "tcp";
  } catch { /* no permissions API: none */ }
  return undefined;
}

/** One connection of a run: Deno's, or a ticked socket. */
export type LadderConn =
  | { ticked: false; conn: Deno.Conn }
  | { ticked: true; socket: FfiTcpSocket };

/** The listeners of one run, `count` of them (see the module comment). */
export class LadderListeners {
  /** ffmpeg's URL of each listener, in order. */
  readonly urls: string[] = [];
  #dir: string | undefined;
  #listeners: Deno.Listener[] = [];
  #ticked: TickedListeners | undefined;

  private constructor() {}

  /**
   * Listen `count` times: ticked, else on the transport the permissions
   * allow. Throws an Error saying why not (nothing left open).
   */
  static async open(count: number, ticked: boolean): Promise<LadderListeners> {
    const l = new LadderListeners();
    if (ticked) {
      l.#ticked = new TickedListeners(count);
      l.urls.push(...l.#ticked.urls);
      return l;
    }
    const transport = ladderTransport();
    if (!transport) throw new Error("no permission to listen (--allow-net)");
    if (transport === "unix") {
      try {
        l.#dir = await Deno.makeTempDir({ prefix: "arcly-ladder-" });
      } catch (error) {
        throw new Error(
          `cannot make a socket directory in TMPDIR (--allow-read/--allow-write=/tmp): ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    try {
      for (let i = 0; i < count; i++) {
        if (l.#dir) {
          const path = `${l.#dir}/${i < count - 1 ? i : "in"}.sock`;
          l.#listeners.push(Deno.listen({ transport: "unix", path }));
          l.urls.push(`unix:${path}`);
        } else {
          const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
          l.#listeners.push(tcp);
          l.urls.push(`tcp://127.0.0.1:${tcp.addr.port}`);
        }
      }
    } catch (error) {
      await l.close();
      throw error;
    }
    return l;
  }

  /** The one connection of listener `i`. */
  async accept(i: number): Promise<LadderConn> {
    if (this.#ticked) {
      return { ticked: true, socket: await this.#ticked.accept(i) };
    }
    return { ticked: false, conn: await this.#listeners[i]!.accept() };
  }

  /** Close the listeners (a pending accept rejects), remove the directory; idempotent. */
  async close(): Promise<void> {
    for (const l of this.#listeners.splice(0)) l.close();
    this.#ticked?.close();
    const dir = this.#dir;
    this.#dir = undefined;
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
