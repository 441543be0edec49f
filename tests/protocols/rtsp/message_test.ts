import assert from "node:assert/strict";
import {
  formatTransport,
  parseSessionHeader,
  parseTransport,
  RtspHeaders,
  RtspProtocolError,
  RtspReader,
  serializeRtspResponse,
} from "../../../protocols/rtsp/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("rtsp reader: request with body split in pieces, then interleaved, then response", () => {
  const sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n";
  const text =
    `ANNOUNCE rtsp://h/live/cam RTSP/1.0\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`;
  const all = new Uint8Array([
    ...enc(text),
    0x24,
    0,
    0,
    3,
    1,
    2,
    3,
    ...enc("RTSP/1.0 200 OK\r\nCSeq: 5\r\n\r\n"),
  ]);
  const reader = new RtspReader();
  const out = [];
  for (let i = 0; i < all.length; i += 7) {
    reader.push(all.subarray(i, i + 7));
    for (let m = reader.next(); m !== null; m = reader.next()) out.push(m);
  }
  assert.equal(out.length, 3);
  assert.ok(out[0]?.type === "request");
  assert.equal(out[0].request.method, "ANNOUNCE");
  assert.equal(new TextDecoder().decode(out[0].request.body), sdp);
  assert.ok(out[1]?.type === "interleaved");
  assert.deepEqual([...out[1].payload], [1, 2, 3]);
  assert.ok(out[2]?.type === "response");
  assert.equal(out[2].response.status, 200);
  assert.equal(out[2].response.headers.get("cseq"), "5");
});

Deno.test("rtsp reader: bounded heads, header counts, bodies and garbage answer with a status", () => {
  const cases: [string | Uint8Array, number][] = [
    ["OPTIONS * RTSP/1.0\r\n" + "X: y\r\n".repeat(100) + "\r\n", 400],
    ["OPTIONS * RTSP/1.0\r\nX: " + "a".repeat(9000), 400],
    [
      "ANNOUNCE rtsp://h/a RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n",
      413,
    ],
    ["GET / HTTP/1.1\r\n\r\n", 505],
    ["\x00\x01garbage garbage garbage\r\n\r\n", 400],
    ["OPTIONS * RTSP/1.0\r\nContent-Length: -1\r\n\r\n", 400],
  ];
  for (const [input, status] of cases) {
    const reader = new RtspReader();
    assert.throws(() => {
      reader.push(typeof input === "string" ? enc(input) : input);
      reader.next();
    }, (e) => e instanceof RtspProtocolError && e.status === status);
  }
});

Deno.test("rtsp headers: Transport and Session round trips", () => {
  const specs = parseTransport(
    'RTP/AVP/TCP;unicast;interleaved=0-1;mode="RECORD", RTP/AVP;unicast;client_port=6000-6001',
  );
  assert.equal(specs.length, 2);
  assert.equal(specs[0]?.lowerTransport, "TCP");
  assert.deepEqual(specs[0]?.interleaved, [0, 1]);
  assert.equal(specs[0]?.mode, "record");
  assert.equal(
    formatTransport({ ...specs[1]!, serverPort: [8000, 8001] }),
    "RTP/AVP;unicast;client_port=6000-6001;server_port=8000-8001",
  );
  assert.throws(
    () => parseTransport("RAW/RAW/UDP;unicast"),
    (e) => e instanceof RtspProtocolError && e.status === 461,
  );
  assert.throws(
    () => parseTransport("RTP/AVP;interleaved=0-999"),
    RtspProtocolError,
  );
  assert.deepEqual(parseSessionHeader("12345678;timeout=60"), {
    id: "12345678",
    timeoutS: 60,
  });
  assert.throws(
    () => parseSessionHeader("bad id"),
    (e) => e instanceof RtspProtocolError && e.status === 454,
  );
  const bytes = serializeRtspResponse({
    status: 200,
    reason: "OK",
    headers: new RtspHeaders([["CSeq", "1"]]),
    body: enc("v=0\r\n"),
  });
  assert.match(new TextDecoder().decode(bytes), /Content-Length: 5\r\n\r\nv=0/);
});
