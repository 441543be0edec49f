/**
 * `sockaddr_in` / `sockaddr_in6` for the FFI TCP backend: numeric IPv4 and
 * IPv6 text to the kernel's struct and back (no name resolution, except
 * `localhost`). Bounds: a struct is at most {@linkcode SOCKADDR_MAX} bytes;
 * text that is not a numeric address yields `null`.
 *
 * @module
 */

/** `AF_INET`. */
export const AF_INET = 2;
/** `AF_INET6`. */
export const AF_INET6 = 10;
/** `sizeof(struct sockaddr_in6)`, the larger of the two. */
export const SOCKADDR_MAX = 28;

/** Dotted IPv4 text to its 4 bytes, or null. */
function ipv4Bytes(host: string): Uint8Array | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** IPv6 text (`::` compression, an IPv4 tail, no zone) to 16 bytes, or null. */
export function ipv6Bytes(text: string): Uint8Array | null {
  let host = text;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host.length > 45 || host.includes("%")) return null;
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = ipv4Bytes(item);
        if (v4 === null) return null;
        out.push(v4[0]! * 256 + v4[1]!, v4[2]! * 256 + v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return null;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 255;
  });
  return out;
}

/**
 * The `sockaddr` for `hostname:port` (IPv4 or IPv6 numeric text, or
 * `localhost` = 127.0.0.1), or null when `hostname` needs a resolver.
 */
export function encodeSockaddr(
  hostname: string,
  port: number,
): { family: number; bytes: Uint8Array } | null {
  const v4 = ipv4Bytes(hostname === "localhost" ? "127.0.0.1" : hostname);
  if (v4 !== null) {
    const bytes = new Uint8Array(16);
    const dv = new DataView(bytes.buffer);
    dv.setUint16(0, AF_INET, true);
    dv.setUint16(2, port, false);
    bytes.set(v4, 4);
    return { family: AF_INET, bytes };
  }
  const v6 = ipv6Bytes(hostname);
  if (v6 === null) return null;
  const bytes = new Uint8Array(SOCKADDR_MAX);
  const dv = new DataView(bytes.buffer);
  dv.setUint16(0, AF_INET6, true);
  dv.setUint16(2, port, false);
  bytes.set(v6, 8);
  return { family: AF_INET6, bytes };
}

/** Compressed IPv6 text of 16 bytes (longest zero run as `::`). */
function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b[i * 2]! * 256 + b[i * 2 + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** The `Deno.NetAddr` of a `sockaddr` the kernel wrote into `b`. */
export function decodeSockaddr(b: Uint8Array): Deno.NetAddr {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const family = dv.getUint16(0, true);
  const port = dv.getUint16(2, false);
  if (family === AF_INET6) {
    const a = b.subarray(8, 24);
    // An IPv4 peer on a dual-stack socket: ::ffff:a.b.c.d (as Deno shows it).
    if (
      a.subarray(0, 10).every((x) => x === 0) && a[10] === 255 && a[11] === 255
    ) {
      return {
        transport: "tcp",
        hostname: `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`,
        port,
      };
    }
    return { transport: "tcp", hostname: formatIpv6(a), port };
  }
  return {
    transport: "tcp",
    hostname: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`,
    port,
  };
}
