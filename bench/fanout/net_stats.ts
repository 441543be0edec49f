/**
 * Kernel TCP counters for the fan-out benchmark's accept-queue checks:
 *
 * - `/proc/net/netstat` (proc(5)): `TcpExt: ListenOverflows` (a completed
 *   connection found the accept queue full), `ListenDrops` (every SYN or ACK
 *   dropped on a listening socket, overflows included) and `TCPSynRetrans`
 *   (SYNs retransmitted by connecting clients, e.g. after a dropped SYN). These
 *   counters are per network namespace, not per socket: anything else that
 *   listens on this machine's loopback during a run is counted too.
 * - the server port's own accept queue: `/proc/net/tcp` `rx_queue` of the
 *   LISTEN socket, sampled (a direct read: the load client runs with `-A`),
 *   and its backlog from `ss -Hltn sport = :PORT` (`Send-Q`; `Recv-Q` is the
 *   queue). This one is per port, so a peak equal to the limit pins an
 *   overflow on the server under test.
 *
 * The netstat counters are read through `cat` like `proc_stats.ts` does, so
 * the scoped bench task (`--allow-run`) can read them.
 *
 * @module
 */

import { readProcText } from "./proc_stats.ts";

/** The namespace-wide TCP counters the benchmark tracks. */
export interface NetCounters {
  /** `TcpExt: ListenOverflows`: accept queue full when a handshake completed. */
  listenOverflows: number;
  /** `TcpExt: ListenDrops`: SYNs/ACKs dropped on listening sockets (overflows included). */
  listenDrops: number;
  /** `TcpExt: TCPSynRetrans`: SYN retransmissions by clients. */
  synRetrans: number;
}

/**
 * Parses `/proc/net/netstat` (or `/proc/net/snmp`): pairs of lines, a header
 * `Prefix: Name1 Name2 …` followed by `Prefix: v1 v2 …`.
 *
 * @param text The file's text.
 * @returns Values keyed `Prefix:Name`, e.g. `TcpExt:ListenOverflows`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const m = parseNetstat("TcpExt: A B\nTcpExt: 1 2\n");
 * assert.equal(m.get("TcpExt:B"), 2);
 * ```
 */
export function parseNetstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = lines[i]!.trim().split(/\s+/);
    const vals = lines[i + 1]!.trim().split(/\s+/);
    const prefix = head[0];
    if (prefix === undefined || !prefix.endsWith(":") || vals[0] !== prefix) {
      throw new Error(
        `Cannot parse netstat: line ${i + 1} does not pair with the next one`,
      );
    }
    const name = prefix.slice(0, -1);
    for (let k = 1; k < head.length && k < vals.length; k++) {
      out.set(`${name}:${head[k]}`, Number(vals[k]));
    }
  }
  return out;
}

/**
 * Picks the tracked counters out of a parsed netstat (missing ones are NaN).
 *
 * @param m Output of {@linkcode parseNetstat}.
 * @returns The counters.
 */
export function countersOf(m: ReadonlyMap<string, number>): NetCounters {
  const get = (k: string): number => m.get(`TcpExt:${k}`) ?? NaN;
  return {
    listenOverflows: get("ListenOverflows"),
    listenDrops: get("ListenDrops"),
    synRetrans: get("TCPSynRetrans"),
  };
}

/**
 * Reads the counters now, or `null` when `/proc/net/netstat` is unreadable.
 *
 * @returns The counters or null.
 */
export function readNetCounters(): NetCounters | null {
  try {
    return countersOf(parseNetstat(readProcText("/proc/net/netstat")));
  } catch {
    return null;
  }
}

/**
 * Counter increments between two readings (NaN where either is missing).
 *
 * @param a The earlier reading.
 * @param b The later reading.
 * @returns b − a per counter.
 */
export function counterDelta(
  a: NetCounters | null,
  b: NetCounters | null,
): NetCounters {
  const d = (k: keyof NetCounters): number =>
    a === null || b === null ? NaN : b[k] - a[k];
  return {
    listenOverflows: d("listenOverflows"),
    listenDrops: d("listenDrops"),
    synRetrans: d("synRetrans"),
  };
}

/** Accept-queue length of one listening socket. */
export interface ListenQueue {
  /** Connections completed and waiting for `accept()` (ss `Recv-Q`). */
  queued: number;
  /** The socket's backlog (ss `Send-Q`): past it the kernel drops. */
  limit: number;
}

/**
 * Parses `ss -Hltn` output and returns the queue of the socket listening on
 * `port` (the largest, if several addresses listen on it).
 *
 * @param text ss output, one `State Recv-Q Send-Q Local Peer` line a socket.
 * @param port The local port.
 * @returns The queue, or null when nothing listens on `port`.
 */
export function parseSsListen(text: string, port: number): ListenQueue | null {
  let best: ListenQueue | null = null;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[0] !== "LISTEN") continue;
    const local = f[3]!;
    if (Number(local.slice(local.lastIndexOf(":") + 1)) !== port) continue;
    const q = { queued: Number(f[1]), limit: Number(f[2]) };
    if (best === null || q.queued > best.queued) best = q;
  }
  return best;
}

/**
 * Parses `/proc/net/tcp` (or `tcp6`) and returns the accept-queue length of
 * the socket listening on `port`: for a socket in state `0A` (LISTEN) the
 * kernel prints `sk_ack_backlog` as `rx_queue` (hex, after the colon of
 * `tx_queue:rx_queue`). The backlog itself is not in this file.
 *
 * @param text The file's text (a prefix is enough: listeners come first).
 * @param port The local port.
 * @returns The largest queue on that port, or null when no listener is seen.
 */
export function parseProcNetTcpListen(
  text: string,
  port: number,
): number | null {
  let best: number | null = null;
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || f[3] !== "0A") continue;
    const local = f[1]!;
    if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) !== port) {
      continue;
    }
    const queued = parseInt(f[4]!.split(":")[1] ?? "", 16);
    if (Number.isFinite(queued) && (best === null || queued > best)) {
      best = queued;
    }
  }
  return best;
}

/** What {@linkcode BacklogSampler.stop} reports. */
export interface BacklogSummary {
  /** Largest accept-queue length seen. */
  peak: number;
  /** The socket's backlog. */
  limit: number;
  /** Readings taken. */
  samples: number;
}

/** Bytes of `/proc/net/tcp` read per sample: listeners are listed first. */
const PROC_NET_TCP_PREFIX_BYTES = 16 * 1024;

/**
 * Samples a listening port's accept queue every `periodMs` until stopped.
 * Each reading is one read of the start of `/proc/net/tcp` (under 1 ms here;
 * spawning `ss` costs ~60 ms of a core on this host, too much at 20 Hz
 * during a flash crowd); the backlog is read once with `ss` at start. Without
 * read access to `/proc/net/tcp` it falls back to one `ss` per reading.
 */
export class BacklogSampler {
  #port: number;
  #periodMs: number;
  #running = true;
  #peak = 0;
  #limit = NaN;
  #samples = 0;
  #loop: Promise<void>;

  /**
   * Starts sampling.
   *
   * @param port The listening port on this host.
   * @param periodMs Time between readings.
   */
  constructor(port: number, periodMs = 50) {
    this.#port = port;
    this.#periodMs = periodMs;
    const first = this.#ss();
    if (first !== null) this.#record(first.queued, first.limit);
    this.#loop = this.#run();
  }

  #record(queued: number, limit?: number): void {
    this.#samples++;
    this.#peak = Math.max(this.#peak, queued);
    if (limit !== undefined) this.#limit = limit;
  }

  #ss(): ListenQueue | null {
    try {
      const out = new Deno.Command("ss", {
        args: ["-Hltn", `sport = :${this.#port}`],
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      return out.success
        ? parseSsListen(new TextDecoder().decode(out.stdout), this.#port)
        : null;
    } catch {
      return null; // ss missing
    }
  }

  #proc(buf: Uint8Array): number | null {
    const file = Deno.openSync("/proc/net/tcp", { read: true });
    try {
      const n = file.readSync(buf) ?? 0;
      return parseProcNetTcpListen(
        new TextDecoder().decode(buf.subarray(0, n)),
        this.#port,
      );
    } finally {
      file.close();
    }
  }

  async #run(): Promise<void> {
    const buf = new Uint8Array(PROC_NET_TCP_PREFIX_BYTES);
    let direct = true;
    while (this.#running) {
      await new Promise((r) => setTimeout(r, this.#periodMs));
      if (!this.#running) break;
      if (direct) {
        try {
          const q = this.#proc(buf);
          if (q !== null) this.#record(q);
          continue;
        } catch {
          direct = false; // no read permission: use ss from now on
        }
      }
      const q = this.#ss();
      if (q !== null) this.#record(q.queued, q.limit);
    }
  }

  /**
   * Stops sampling after the reading in flight.
   *
   * @returns Peak, limit and sample count (peak NaN without samples, limit
   * NaN when `ss` could not read it).
   */
  async stop(): Promise<BacklogSummary> {
    this.#running = false;
    await this.#loop;
    return {
      peak: this.#samples === 0 ? NaN : this.#peak,
      limit: this.#limit,
      samples: this.#samples,
    };
  }
}
