/**
 * {@linkcode WebhookAuthenticator}: ask an HTTP endpoint whether a publish or
 * play may proceed, like nginx-rtmp `on_publish` / `on_play` and SRS HTTP
 * hooks.
 *
 * Each request is POSTed as JSON ({@linkcode WebhookPayload}: action, app,
 * name, protocol, remote address, query parameters) to the configured URL. A
 * 2xx answer allows; any other status, a network error or no answer within
 * `timeoutMs` refuses (fail closed). Query values named like secrets
 * (`token`, `sig`, `key`, `password`) are sent, because deciding on them is
 * the hook's job, but they never appear in refusal reasons or audit events.
 *
 * @module
 */
import type { AuthDecision, AuthRequest, StreamAuthenticator } from "./auth.ts";

/**
 * Default time to wait for the hook, in milliseconds. Publishing clients such
 * as OBS give up on `connect` after about 10 s; 3 s leaves room for a retry.
 *
 * @example
 * ```ts
 * import { DEFAULT_WEBHOOK_TIMEOUT_MS } from "@arcly/stream";
 * import assert from "node:assert/strict";
 * assert.equal(DEFAULT_WEBHOOK_TIMEOUT_MS, 3000);
 * ```
 */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 3000;

/**
 * The JSON body POSTed to the hook.
 *
 * @example
 * ```ts
 * import type { WebhookPayload } from "@arcly/stream";
 * const body: WebhookPayload = {
 *   action: "publish", app: "live", name: "cam", stream: "live/cam",
 *   protocol: "rtmp", remoteAddr: "10.0.0.5:50000", query: { token: "abc" },
 * };
 * ```
 */
export interface WebhookPayload {
  /** "publish" or "play". */
  action: string;
  /** Application part of the key. */
  app: string;
  /** Stream name part of the key. */
  name: string;
  /** "app/name". */
  stream: string;
  /** Protocol of the peer ("rtmp", "http-flv", "hls", …). */
  protocol: string;
  /** Peer address, when known. */
  remoteAddr: string | null;
  /** Query parameters of the publish/play URL. */
  query: Record<string, string>;
}

/**
 * Options for {@linkcode WebhookAuthenticator}.
 *
 * @example
 * ```ts
 * import type { WebhookAuthenticatorOptions } from "@arcly/stream";
 * const options: WebhookAuthenticatorOptions = { url: "http://127.0.0.1:9000/auth", timeoutMs: 1000 };
 * ```
 */
export interface WebhookAuthenticatorOptions {
  /** The hook URL (http or https). */
  url: string;
  /** How long to wait for an answer; default {@linkcode DEFAULT_WEBHOOK_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Extra request headers (e.g. an API key for the hook). */
  headers?: Record<string, string>;
  /** The fetch implementation; default the global `fetch`. */
  fetch?: typeof fetch;
}

/**
 * Authorizes by POSTing each request to an HTTP hook; 2xx allows.
 *
 * @example Allow when the hook answers 204
 * ```ts
 * import { StreamKey, WebhookAuthenticator } from "@arcly/stream";
 * import assert from "node:assert/strict";
 *
 * const fakeFetch = (async (_url: string | URL | Request, init?: RequestInit) => {
 *   const body = JSON.parse(String(init?.body));
 *   return new Response(null, { status: body.query.token === "ok" ? 204 : 403 });
 * }) as typeof fetch;
 * const auth = new WebhookAuthenticator({ url: "http://hooks.invalid/auth", fetch: fakeFetch });
 * const key = StreamKey.parse("live/cam");
 * const yes = await auth.authorize({
 *   action: "publish", key, credentials: { protocol: "rtmp", query: new URLSearchParams("token=ok") },
 * });
 * assert.equal(yes.allowed, true);
 * const no = await auth.authorize({ action: "publish", key, credentials: { protocol: "rtmp" } });
 * assert.equal(no.allowed, false);
 * ```
 */
export class WebhookAuthenticator implements StreamAuthenticator {
  #url: string;
  #timeoutMs: number;
  #headers: Record<string, string>;
  #fetch: typeof fetch;

  /**
   * Create an authenticator that asks `options.url`.
   *
   * @param options the hook URL, timeout, headers and fetch
   */
  constructor(options: WebhookAuthenticatorOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(
        `Cannot use webhook: ${JSON.stringify(options.url)} is not a URL`,
      );
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new TypeError(
        `Cannot use webhook: the URL must be http or https, received ${parsed.protocol}`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    if (!(timeoutMs > 0)) {
      throw new RangeError(
        `Cannot use webhook: timeoutMs must be > 0, received ${timeoutMs}`,
      );
    }
    this.#url = parsed.href;
    this.#timeoutMs = timeoutMs;
    this.#headers = { "content-type": "application/json", ...options.headers };
    this.#fetch = options.fetch ?? fetch;
  }

  /** POST the request to the hook and map its status to a decision. */
  async authorize(request: AuthRequest): Promise<AuthDecision> {
    const { credentials, key } = request;
    const payload: WebhookPayload = {
      action: request.action,
      app: key.app,
      name: key.name,
      stream: key.toString(),
      protocol: credentials.protocol,
      remoteAddr: credentials.remoteAddr ?? null,
      query: Object.fromEntries(credentials.query ?? []),
    };
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#fetch(this.#url, {
        method: "POST",
        headers: this.#headers,
        body: JSON.stringify(payload),
        signal,
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        return { allowed: true };
      }
      return {
        allowed: false,
        reason: `webhook answered ${response.status}`,
        challenge: response.status === 401,
      };
    } catch (error) {
      const timedOut = signal.aborted;
      return {
        allowed: false,
        reason: timedOut
          ? `webhook did not answer within ${this.#timeoutMs} ms`
          : `webhook unreachable (${(error as Error).name})`,
      };
    }
  }
}
