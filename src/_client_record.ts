// One registered client (the registry's record and the handle given to
// the connection): a few numbers and strings the connection already holds.
import type {
  ClientHandle,
  ClientInfo,
  ClientKind,
  ClientRegistration,
} from "./client_types.ts";

/** What a record calls back when it is unregistered. */
export interface RecordOwner {
  remove(record: ClientHandle): void;
}

export class ClientRecord implements ClientHandle, ClientInfo {
  readonly id: string;
  readonly kind: ClientKind;
  readonly protocol: string;
  readonly stream: string;
  readonly remoteAddr: string | null;
  readonly startedAt: number;
  bytesSent = 0;
  bytesReceived = 0;
  /** HLS sessions: the last request, ms, and the session map's key. */
  lastSeen = 0;
  hlsKey: string | null = null;
  /** Publishers: bytes the stream received, read at listing time. */
  received: (() => number) | null = null;
  close: ((reason: string) => void) | null;
  #registry: RecordOwner | null;

  constructor(
    id: string,
    info: ClientRegistration,
    startedAt: number,
    close: ((reason: string) => void) | null,
    registry: RecordOwner | null,
  ) {
    this.id = id;
    this.kind = info.kind;
    this.protocol = info.protocol;
    this.stream = info.stream;
    this.remoteAddr = info.remoteAddr ?? null;
    this.startedAt = startedAt;
    this.close = close;
    this.#registry = registry;
  }

  addSent(n: number): void {
    this.bytesSent += n;
  }

  addReceived(n: number): void {
    this.bytesReceived += n;
  }

  unregister(): void {
    const registry = this.#registry;
    if (registry === null) return;
    this.#registry = null;
    this.close = null;
    registry.remove(this);
  }

  snapshot(): ClientInfo {
    const received = this.received?.() ?? 0;
    return {
      id: this.id,
      kind: this.kind,
      protocol: this.protocol,
      stream: this.stream,
      remoteAddr: this.remoteAddr,
      startedAt: this.startedAt,
      bytesSent: this.bytesSent,
      bytesReceived: Math.max(this.bytesReceived, received),
    };
  }
}
