/**
 * The caller side of the HSv5 caller-listener handshake (internal): an
 * induction, then a conclusion with HSREQ, the stream id and KMREQ, each
 * repeated every 250 ms until the listener answers or the timeout.
 *
 * @module
 */
import { StreamError } from "../../media/stream_error.ts";
import {
  encodeStreamIdExt,
  findExtension,
  parseHandshake,
  parseHsExt,
  SRT_HS_EXT,
  type SrtExtension,
  SrtExtensionType,
  type SrtHandshake,
  SrtHandshakeType,
} from "./handshake.ts";
import { buildKeyMaterial, SrtCrypto } from "./key_material.ts";
import {
  handshakePacket,
  SRT_OUR_FLAGS,
  SRT_VERSION,
} from "./listener_handshake.ts";
import { parseSrtPacket, SrtControlType } from "./packet.ts";

/** What the caller needs to know to connect. */
export interface CallerOptions {
  hostname: string;
  port: number;
  streamId?: string;
  passphrase?: string;
  pbKeyLen?: 16 | 24 | 32;
  latencyMs?: number;
  connectTimeoutMs?: number;
}

/** The socket, as the handshake sees it. */
export interface CallerLink {
  /** Send a datagram to the listener. */
  send(bytes: Uint8Array): void;
  /** Route received datagrams to `handler` (undefined: stop). */
  listen(handler: ((bytes: Uint8Array) => void) | undefined): void;
}

/** What was agreed. */
export interface Agreed {
  localSocketId: number;
  peerSocketId: number;
  initialSeq: number;
  receiveLatencyMs: number;
  sendLatencyMs: number;
  crypto?: SrtCrypto;
}

function rejection(type: number): StreamError {
  const reason = type - 1000;
  const code =
    reason === 1401 || reason === 1403 || reason === 10 || reason === 11
      ? "Unauthorized"
      : reason === 1404
      ? "NotFound"
      : reason === 1409
      ? "AlreadyPublishing"
      : "Protocol";
  return new StreamError(
    code,
    `Cannot connect over SRT: the listener rejected the connection (${reason})`,
  );
}

/** Run the caller handshake: induction, then conclusion, retried every 250 ms. */
export async function callerHandshake(
  link: CallerLink,
  o: CallerOptions,
): Promise<Agreed> {
  const localSocketId = 1 + Math.floor(Math.random() * 0x7ffffffe);
  const initialSeq = Math.floor(Math.random() * 0x7fffffff);
  const latency = o.latencyMs ?? 120;
  const keyLen = o.pbKeyLen ?? 16;
  const km = o.passphrase !== undefined
    ? buildKeyMaterial(o.passphrase, keyLen).message
    : undefined;
  const base: SrtHandshake = {
    version: 4,
    encryption: 0,
    extension: 2,
    initialSeq,
    mtu: 1500,
    flowWindow: 8192,
    type: SrtHandshakeType.Induction,
    socketId: localSocketId,
    cookie: 0,
    peerIp: new Uint8Array(16),
    extensions: [],
  };
  let request = handshakePacket(0, 0, base);
  let phase: "induction" | "conclusion" = "induction";
  const send = () => link.send(request);
  return await new Promise<Agreed>((resolve, reject) => {
    const deadline = setTimeout(
      () =>
        finish(
          new StreamError(
            "Timeout",
            `Cannot connect over SRT to ${o.hostname}:${o.port}: no answer`,
          ),
        ),
      o.connectTimeoutMs ?? 5000,
    );
    const retry = setInterval(send, 250);
    const finish = (result: Agreed | StreamError) => {
      clearTimeout(deadline);
      clearInterval(retry);
      link.listen(undefined);
      if (result instanceof StreamError) reject(result);
      else resolve(result);
    };
    const onMessage = (buf: Uint8Array) => {
      let hs: SrtHandshake;
      try {
        const p = parseSrtPacket(buf);
        if (!p.control || p.type !== SrtControlType.Handshake) return;
        hs = parseHandshake(p.cif);
      } catch {
        return;
      }
      if (hs.type >= 1000 && hs.type < 0xfffffffd) {
        return finish(rejection(hs.type));
      }
      if (phase === "induction" && hs.type === SrtHandshakeType.Induction) {
        phase = "conclusion";
        const extensions: SrtExtension[] = [{
          type: SrtExtensionType.HsReq,
          content: hsreq(latency),
        }];
        if (o.streamId !== undefined) {
          extensions.push({
            type: SrtExtensionType.Sid,
            content: encodeStreamIdExt(o.streamId),
          });
        }
        if (km !== undefined) {
          extensions.push({ type: SrtExtensionType.KmReq, content: km });
        }
        request = handshakePacket(0, 0, {
          ...base,
          version: 5,
          encryption: km !== undefined ? keyLen / 8 : 0,
          extension: SRT_HS_EXT.hsreq | SRT_HS_EXT.config |
            (km !== undefined ? SRT_HS_EXT.kmreq : 0),
          type: SrtHandshakeType.Conclusion,
          cookie: hs.cookie,
          extensions,
        });
        send();
        return;
      }
      if (phase !== "conclusion" || hs.type !== SrtHandshakeType.Conclusion) {
        return;
      }
      const rsp = findExtension(hs.extensions, SrtExtensionType.HsRsp);
      if (rsp === undefined || rsp.length < 12) {
        return finish(
          new StreamError(
            "Protocol",
            "Cannot connect over SRT: the listener sent no HSRSP (SRT < 1.3)",
          ),
        );
      }
      const ext = parseHsExt(rsp);
      let crypto: SrtCrypto | undefined;
      if (km !== undefined) {
        const kmrsp = findExtension(hs.extensions, SrtExtensionType.KmRsp);
        if (kmrsp === undefined || kmrsp.length <= 4) {
          return finish(
            new StreamError(
              "Unauthorized",
              "Cannot connect over SRT: the listener refused the passphrase",
            ),
          );
        }
        crypto = new SrtCrypto(o.passphrase!);
        crypto.install(km);
      }
      finish({
        localSocketId,
        peerSocketId: hs.socketId,
        initialSeq,
        receiveLatencyMs: Math.max(latency, ext.senderDelayMs),
        sendLatencyMs: Math.max(latency, ext.receiverDelayMs),
        ...(crypto !== undefined ? { crypto } : {}),
      });
    };
    link.listen(onMessage);
    send();
  });
}

function hsreq(latency: number): Uint8Array {
  const out = new Uint8Array(12);
  const v = new DataView(out.buffer);
  v.setUint32(0, SRT_VERSION);
  v.setUint32(4, SRT_OUR_FLAGS);
  v.setUint16(8, latency);
  v.setUint16(10, latency);
  return out;
}
