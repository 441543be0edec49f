/**
 * The SRTP transform's two primitives through the system's OpenSSL
 * (`libcrypto.so.3`, Deno FFI): AES-128 in counter mode (AES-NI) and
 * HMAC-SHA1 from precomputed pad states (SHA extensions where the CPU has
 * them). Used by {@linkcode SrtpProtector} when a handler was given one;
 * the JS transform stays the fallback (no FFI permission, no libcrypto,
 * not Linux) and produces the same bytes (tests compare them).
 *
 * Why: per WHEP viewer every RTP packet is protected once, so the
 * transform is on the fan-out's hot path. Measured per 1,200-byte packet
 * (bench/webrtc/srtp_bench.ts): the JS SHA-1 tag alone cost 4.6 µs and the
 * JS counter-mode XOR 2.3 µs; through libcrypto the whole transform is a
 * few FFI calls (synchronous, no promise).
 *
 * Data path: nothing is copied here. `ctr` encrypts a view of the caller's
 * output buffer in place; `mac` hashes a view and writes the tag into the
 * caller's buffer. State per protector: one `EVP_CIPHER_CTX` (keyed once:
 * a new packet only resets the IV) and the two SHA-1 states of the HMAC
 * key (96 bytes each). Per library: a scratch SHA-1 state and a digest
 * buffer (calls are synchronous on one thread). Each cipher context is
 * freed by `dispose()` (a FinalizationRegistry frees any that was not).
 *
 * @module
 */

const SYMBOLS = {
  EVP_CIPHER_CTX_new: { parameters: [], result: "pointer" },
  EVP_CIPHER_CTX_free: { parameters: ["pointer"], result: "void" },
  EVP_aes_128_ctr: { parameters: [], result: "pointer" },
  EVP_EncryptInit_ex: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
  },
  EVP_EncryptUpdate: {
    parameters: ["pointer", "buffer", "buffer", "buffer", "i32"],
    result: "i32",
  },
  SHA1_Init: { parameters: ["buffer"], result: "i32" },
  SHA1_Update: { parameters: ["buffer", "buffer", "usize"], result: "i32" },
  SHA1_Final: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;

/** `sizeof(SHA_CTX)`: five state words, two length words, a 64-byte block, a count. */
const SHA_CTX_BYTES = 96;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * A `size_t` argument: Deno's FFI takes a number for 64-bit parameters (a
 * BigInt per call would be an allocation on the hot path); its types say
 * bigint.
 */
const size = (n: number): bigint => n as unknown as bigint;

/** One session's AES-128-CTR cipher and HMAC-SHA1 key (see the module doc). */
export interface NativeSrtpKeys {
  /** Encrypt `data` in place with the counter block `iv` (16 bytes, counter 0). */
  ctr(iv: Uint8Array, data: Uint8Array): void;
  /** HMAC-SHA1 of `data`; the first `length` bytes of the tag into `out` at `at`. */
  mac(data: Uint8Array, out: Uint8Array, at: number, length: number): void;
  /** Free the cipher context (idempotent). */
  dispose(): void;
}

/** The library handle a handler opens once and its sessions share. */
export interface NativeSrtp {
  /** Key one session: AES-128 key (16 bytes), HMAC-SHA1 key (≤ 64 bytes). */
  keys(cipherKey: Uint8Array, authKey: Uint8Array): NativeSrtpKeys;
  /** Unload the library (idempotent); sessions keyed from it stop working (they throw, never crash). */
  close(): void;
}

/**
 * The system's libcrypto, or undefined when it cannot be used here: not
 * Linux, FFI not permitted, no `libcrypto.so.3` or a symbol missing.
 *
 * @example
 * ```ts
 * import { openNativeSrtp } from "./_native_srtp.ts";
 * const native = openNativeSrtp();
 * native?.close();
 * ```
 */
export function openNativeSrtp(): NativeSrtp | undefined {
  if (Deno.build.os !== "linux") return undefined;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return undefined;
    }
  } catch {
    return undefined;
  }
  let dl: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;
  for (const name of ["libcrypto.so.3", "libcrypto.so"]) {
    try {
      dl = Deno.dlopen(name, SYMBOLS);
      break;
    } catch { /* try the next name */ }
  }
  if (!dl) return undefined;
  const handle = dl;
  const lib: Lib = handle.symbols;
  const aes = lib.EVP_aes_128_ctr();
  const scratch = new Uint8Array(SHA_CTX_BYTES);
  const digest = new Uint8Array(20);
  const zeroIv = new Uint8Array(16);
  const outLength = new Int32Array(1);
  let closed = false;
  // A context whose protector was dropped without dispose(); never after
  // the library was unloaded (the memory then goes with the process).
  const contexts = new FinalizationRegistry<Deno.PointerValue>((ctx) => {
    if (ctx !== null && !closed) lib.EVP_CIPHER_CTX_free(ctx);
  });
  const live = (ctx: Deno.PointerValue): Deno.PointerObject => {
    if (ctx === null || closed) {
      throw new Error("Cannot protect SRTP: the native context was disposed");
    }
    return ctx;
  };
  const padState = (key: Uint8Array, pad: number): Uint8Array => {
    const block = new Uint8Array(64).fill(pad);
    for (let i = 0; i < key.length; i++) block[i]! ^= key[i]!;
    const state = new Uint8Array(SHA_CTX_BYTES);
    lib.SHA1_Init(state);
    lib.SHA1_Update(state, block, size(64));
    return state;
  };
  return {
    keys(cipherKey, authKey) {
      if (closed) throw new Error("Cannot key SRTP: libcrypto was unloaded");
      if (cipherKey.length !== 16 || authKey.length > 64) {
        throw new RangeError("AES-128 key of 16 bytes, HMAC key ≤ 64 bytes");
      }
      let ctx: Deno.PointerValue = lib.EVP_CIPHER_CTX_new();
      if (
        ctx === null ||
        lib.EVP_EncryptInit_ex(ctx, aes, null, cipherKey, zeroIv) !== 1
      ) {
        if (ctx !== null) lib.EVP_CIPHER_CTX_free(ctx);
        throw new Error("libcrypto refused an AES-128-CTR context");
      }
      const inner = padState(authKey, 0x36);
      const outer = padState(authKey, 0x5c);
      const token = {};
      contexts.register(token, ctx, token);
      return {
        ctr(iv, data) {
          const c = live(ctx);
          lib.EVP_EncryptInit_ex(c, null, null, null, iv);
          lib.EVP_EncryptUpdate(c, data, outLength, data, data.length);
        },
        mac(data, out, at, length) {
          live(ctx);
          scratch.set(inner);
          lib.SHA1_Update(scratch, data, size(data.length));
          lib.SHA1_Final(digest, scratch);
          scratch.set(outer);
          lib.SHA1_Update(scratch, digest, size(20));
          lib.SHA1_Final(digest, scratch);
          for (let i = 0; i < length; i++) out[at + i] = digest[i]!;
        },
        dispose() {
          if (ctx === null) return;
          contexts.unregister(token);
          if (!closed) lib.EVP_CIPHER_CTX_free(ctx);
          ctx = null;
        },
      };
    },
    close() {
      if (closed) return;
      closed = true;
      handle.close();
    },
  };
}
