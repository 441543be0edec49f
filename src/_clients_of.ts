/**
 * Which {@linkcode ClientRegistry} a live stream's viewers register with:
 * the engine binds each stream it creates, the egress seam looks it up once
 * per viewer (`LiveEgress.open`). A weak side table: nothing outlives the
 * stream object, and engines stay independent.
 *
 * @module
 */
import type { ClientRegistry } from "./clients.ts";
import type { StreamHandle } from "./stream_handle.ts";

/** A stream's registry and its key text (one string shared by its viewers). */
export interface StreamClients {
  readonly clients: ClientRegistry;
  readonly key: string;
}

const registries = new WeakMap<StreamHandle, StreamClients>();

/** Bind `stream` to its engine's registry. */
export function bindClients(
  stream: StreamHandle,
  clients: ClientRegistry,
): void {
  registries.set(stream, { clients, key: stream.key.toString() });
}

/** The registry `stream`'s viewers register with, if any. */
export function clientsOf(stream: StreamHandle): StreamClients | undefined {
  return registries.get(stream);
}
