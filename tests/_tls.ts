// Throw-away TLS material for RTMPS/HTTPS tests (needs openssl).
import assert from "node:assert/strict";
import { run } from "./_tools.ts";

/** A throw-away CA and a leaf certificate for 127.0.0.1 signed by it. */
export async function testCertificates(
  dir: string,
): Promise<{ cert: string; key: string; ca: string }> {
  const ec = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
  ];
  for (
    const args of [
      [
        "req",
        "-x509",
        ...ec,
        "-subj",
        "/CN=arcly test CA",
        "-keyout",
        `${dir}/ca.key`,
        "-out",
        `${dir}/ca.pem`,
      ],
      [
        "req",
        "-x509",
        ...ec,
        "-subj",
        "/CN=127.0.0.1",
        "-CA",
        `${dir}/ca.pem`,
        "-CAkey",
        `${dir}/ca.key`,
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-keyout",
        `${dir}/key.pem`,
        "-out",
        `${dir}/cert.pem`,
      ],
    ]
  ) {
    const r = await run("openssl", args);
    assert.equal(r.code, 0, r.stderr);
  }
  return {
    cert: await Deno.readTextFile(`${dir}/cert.pem`),
    key: await Deno.readTextFile(`${dir}/key.pem`),
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
  };
}
