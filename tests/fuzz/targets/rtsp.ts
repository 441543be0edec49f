// RTSP targets, socket-free: the RtspReader (requests, responses, bodies and
// interleaved `$` frames from one TCP stream, fed in random pieces) and the
// structured header parsers (Transport, Session, RTP-Info, Authorization).
// Seeds are the messages ffmpeg, GStreamer and VLC send (publish and play).
import {
  parseAuthorization,
  parseRtpInfo,
  parseSessionHeader,
  parseTransport,
  RtspReader,
} from "../../../protocols/rtsp/mod.ts";
import { feedInPieces } from "../_harness.ts";
import { type FuzzTargetDef, simple } from "./_target.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const SDP =
  "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=No Name\r\nc=IN IP4 127.0.0.1\r\n" +
  "t=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
  "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z2QAHqzZQKAv+XARAAADAAEAAAMAMg8WLZY=,aOvjyyLA; profile-level-id=64001E\r\n" +
  "a=control:streamid=0\r\n";

const MESSAGES = [
  "OPTIONS rtsp://127.0.0.1:8554/live/cam RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf59.27.100\r\n\r\n",
  `ANNOUNCE rtsp://127.0.0.1:8554/live/cam RTSP/1.0\r\nContent-Type: application/sdp\r\nCSeq: 2\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
  "SETUP rtsp://127.0.0.1:8554/live/cam/streamid=0 RTSP/1.0\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\nCSeq: 3\r\n\r\n",
  "RECORD rtsp://127.0.0.1:8554/live/cam RTSP/1.0\r\nRange: npt=0.000-\r\nCSeq: 5\r\nSession: 8f3a2b1c\r\n\r\n",
  'DESCRIBE rtsp://127.0.0.1:8554/live/cam RTSP/1.0\r\nAccept: application/sdp\r\nCSeq: 2\r\nAuthorization: Digest username="u", realm="arcly", nonce="1a.00", uri="rtsp://127.0.0.1:8554/live/cam", response="0123456789abcdef0123456789abcdef"\r\n\r\n',
  "SETUP rtsp://127.0.0.1:8554/live/cam/trackID=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
  "PLAY rtsp://127.0.0.1:8554/live/cam/ RTSP/1.0\r\nCSeq: 5\r\nSession: abc;timeout=60\r\nRange: npt=0.000-\r\n\r\n",
  "RTSP/1.0 200 OK\r\nCSeq: 5\r\nRTP-Info: url=rtsp://h/a/trackID=0;seq=1;rtptime=0\r\nSession: abc;timeout=60\r\n\r\n",
  'RTSP/1.0 401 Unauthorized\r\nCSeq: 2\r\nWWW-Authenticate: Digest realm="cam", nonce="abc"\r\nWWW-Authenticate: Basic realm="cam"\r\n\r\n',
].map(enc);

const INTERLEAVED = new Uint8Array([
  0x24,
  0,
  0,
  12,
  0x80,
  0x60,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  0x24,
  1,
  0,
  8,
  0x81,
  0xc9,
  0,
  1,
  0,
  0,
  0,
  1,
  ...enc(
    "GET_PARAMETER rtsp://h/a RTSP/1.0\r\nCSeq: 9\r\nSession: abc\r\n\r\n",
  ),
]);

const HEADER_VALUES = [
  "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record",
  "RTP/AVP;unicast;client_port=6000-6001;server_port=8000-8001;ssrc=1234ABCD",
  'RTP/AVP;multicast;destination=224.1.1.1;ttl=16, RTP/AVP/TCP;interleaved=2-3;mode="PLAY"',
  "abc123;timeout=60",
  "url=rtsp://h/a/trackID=0;seq=1;rtptime=0,url=rtsp://h/a/trackID=1;seq=9;rtptime=44100",
  "Basic dTpw",
  'Digest username="u", realm="r", nonce="n", uri="rtsp://h/a", response="00", qop=auth, nc=00000001, cnonce="c"',
].map(enc);

const dec = new TextDecoder();

/** The RTSP reader and header parsers. */
export function rtspTargets(): FuzzTargetDef[] {
  return [
    simple("rtsp.RtspReader", [...MESSAGES, INTERLEAVED], (input, random) => {
      const reader = new RtspReader();
      feedInPieces(input, random, 600, (piece) => {
        reader.push(piece);
        for (let m = reader.next(); m !== null; m = reader.next()) {
          if (m.type === "request") {
            const t = m.request.headers.get("transport");
            if (t !== undefined) parseTransport(t);
            const s = m.request.headers.get("session");
            if (s !== undefined) parseSessionHeader(s);
            parseAuthorization(m.request.headers.get("authorization"));
          }
        }
      });
    }),
    simple("rtsp.headers", HEADER_VALUES, (input) => {
      const text = dec.decode(input);
      try {
        parseTransport(text);
      } finally {
        parseRtpInfo(text);
        parseAuthorization(text);
        try {
          parseSessionHeader(text);
        } catch { /* typed error checked by the first call */ }
      }
    }),
  ];
}
