/**
 * The accept loop every TCP protocol server runs, with its admission control.
 *
 * Data path: each accepted socket is checked against the connection cap and
 * the optional per-IP `ConnectionGate` before anything is spent on it (no
 * read buffer, no task); a refused socket is closed at once and reported. An
 * accept error other than the listener closing (e.g. out of file
 * descriptors) is reported and retried after a pause on the injected clock,
 * instead of spinning. The listener closes when the signal aborts. Memory:
 * one task per admitted connection, held in the caller's `tasks` set.
 *
 * @module
 */
import type { Clock } from "../../src/clock.ts";
import type { ConnectionGate, GateRefusal } from "../../src/connection_gate.ts";
import { clientKeyOf } from "../../src/rate_limiter.ts";
import { closeQuietly } from "./socket_io.ts";

/** Pause after an accept error, ms. */
const ACCEPT_RETRY_MS = 100;

/**
 * What an accept loop needs from its server.
 *
 * @example
 * ```ts ignore
 * import type { AcceptLoopOptions } from "./accept_loop.ts";
 * ```
 */
export interface AcceptLoopOptions {
  /** Stops the loop (and closes the listener). */
  signal: AbortSignal;
  /** Where the retry pause comes from. */
  clock: Clock;
  /** Open connections at most. */
  maxConnections: number;
  /** Connections open now. */
  open(): number;
  /** Per-IP caps and accept rate, decided before any byte is read. */
  gate?: ConnectionGate;
  /** The tasks of admitted connections; each removes itself when it ends. */
  tasks: Set<Promise<void>>;
  /** A socket was refused (already closed): the cap, or the gate's reason. */
  refused(
    conn: Deno.Conn,
    remote: Deno.NetAddr,
    why: "maxConnections" | GateRefusal,
  ): void;
  /** accept() failed with something else than the listener closing. */
  failed(error: unknown): void;
  /** Serve an admitted socket; the promise settles when the connection ends. */
  admitted(conn: Deno.Conn, remote: Deno.NetAddr): Promise<void>;
}

/**
 * Accept until `options.signal` aborts (see the module doc); the listener is
 * closed on return.
 *
 * @param listener the bound listener
 * @param options limits, gate and callbacks
 * @returns resolves once the listener is closed (tasks may still run)
 *
 * @example
 * ```ts ignore
 * import { acceptLoop } from "./accept_loop.ts";
 * ```
 */
export async function acceptLoop(
  listener: Deno.Listener,
  options: AcceptLoopOptions,
): Promise<void> {
  const { signal, tasks } = options;
  const stop = (): void => closeQuietly(listener);
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!signal.aborted) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (signal.aborted || error instanceof Deno.errors.BadResource) break;
        options.failed(error);
        await new Promise<void>((resolve) =>
          options.clock.setTimer(ACCEPT_RETRY_MS, resolve)
        );
        continue;
      }
      const remote = conn.remoteAddr as Deno.NetAddr;
      if (options.open() >= options.maxConnections) {
        closeQuietly(conn);
        options.refused(conn, remote, "maxConnections");
        continue;
      }
      const decision = options.gate?.admit(clientKeyOf(remote.hostname));
      if (decision !== undefined && !decision.ok) {
        closeQuietly(conn);
        options.refused(conn, remote, decision.reason);
        continue;
      }
      const task: Promise<void> = options.admitted(conn, remote).finally(() => {
        if (decision?.ok) decision.release();
        tasks.delete(task);
      });
      tasks.add(task);
    }
  } finally {
    signal.removeEventListener("abort", stop);
    stop();
  }
}
