// RateLimiter and ConnectionGate on a ManualClock: refill arithmetic, LRU
// bound on keys, idle-key expiry, per-IP and global caps, idempotent release.
import assert from "node:assert/strict";
import {
  clientKeyOf,
  ConnectionGate,
  type GateDecision,
  ManualClock,
  MAX_RATE_LIMITER_KEYS,
  RateLimiter,
  StreamError,
} from "../../mod.ts";

function released(decisions: GateDecision[]): void {
  for (const d of decisions) if (d.ok) d.release();
}

Deno.test("RateLimiter.tryAcquire() allows the burst, then the refill rate", () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 5, clock });
  const first = Array.from({ length: 7 }, () => limiter.tryAcquire("a"));
  assert.deepEqual(first, [true, true, true, true, true, false, false]);
  assert.equal(limiter.denied, 2);
  clock.advance(99);
  assert.equal(limiter.tryAcquire("a"), false); // 0.99 tokens
  clock.advance(1);
  assert.equal(limiter.tryAcquire("a"), true); // 1 token at 100 ms
  // One second of silence refills at most the burst.
  clock.advance(60_000);
  assert.equal(limiter.available("a"), 5);
  let granted = 0;
  for (let i = 0; i < 100; i++) if (limiter.tryAcquire("a")) granted++;
  assert.equal(granted, 5);
});

Deno.test("RateLimiter.tryAcquire() sustains exactly the configured rate", () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ ratePerSecond: 50, burst: 1, clock });
  let granted = 0;
  // A client asking every millisecond for 10 s gets 50/s (+ its first token).
  for (let t = 0; t < 10_000; t++) {
    if (limiter.tryAcquire("flood")) granted++;
    clock.advance(1);
  }
  assert.ok(granted >= 500 && granted <= 501, `granted ${granted}`);
});

Deno.test("RateLimiter.tryAcquire() honours a cost above 1", () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ ratePerSecond: 1, burst: 4, clock });
  assert.equal(limiter.tryAcquire("k", 3), true);
  assert.equal(limiter.tryAcquire("k", 3), false);
  assert.equal(limiter.tryAcquire("k", 1), true);
});

Deno.test("RateLimiter keeps at most maxKeys buckets, evicting the least recently used", () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({
    ratePerSecond: 1,
    burst: 2,
    maxKeys: 100,
    clock,
  });
  for (let i = 0; i < 10_000; i++) {
    limiter.tryAcquire(`10.0.${i >> 8}.${i & 255}`);
  }
  assert.equal(limiter.size, 100);
  // "hot" stays remembered while it keeps being used among a flood of new keys.
  limiter.tryAcquire("hot");
  limiter.tryAcquire("hot");
  for (let i = 0; i < 1_000; i++) {
    limiter.tryAcquire(`flood${i}`);
    if (i % 50 === 0) assert.equal(limiter.tryAcquire("hot"), false);
  }
  assert.equal(limiter.size, 100);
  assert.ok(limiter.available("hot") < 2);
});

Deno.test("RateLimiter forgets idle keys: prune() and amortized pruning", () => {
  const clock = new ManualClock();
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 1, clock });
  for (let i = 0; i < 500; i++) limiter.tryAcquire(`k${i}`);
  assert.equal(limiter.size, 500);
  clock.advance(100); // every bucket has refilled
  // Each call drops up to two refilled keys from the cold end.
  for (let i = 0; i < 100; i++) limiter.tryAcquire("busy");
  assert.ok(limiter.size <= 500 - 190, `size ${limiter.size}`);
  assert.ok(limiter.prune() > 0);
  assert.equal(limiter.size, 1); // only "busy", whose bucket is empty
  clock.advance(100);
  assert.equal(limiter.prune(), 1);
  assert.equal(limiter.size, 0);
});

Deno.test("RateLimiter rejects nonsense options with StreamError InvalidInput", () => {
  for (
    const bad of [
      { ratePerSecond: 0, burst: 1 },
      { ratePerSecond: -1, burst: 1 },
      { ratePerSecond: Number.NaN, burst: 1 },
      { ratePerSecond: 1, burst: 0 },
      { ratePerSecond: 1, burst: 1, maxKeys: 0 },
    ]
  ) {
    assert.throws(
      () => new RateLimiter(bad),
      (e: unknown) => e instanceof StreamError && e.code === "InvalidInput",
    );
  }
  assert.ok(MAX_RATE_LIMITER_KEYS >= 1024);
});

Deno.test("ConnectionGate.admit() enforces per-IP and global caps", () => {
  const clock = new ManualClock();
  const gate = new ConnectionGate({
    maxConnections: 5,
    maxPerIp: 2,
    acceptBurst: 100,
    clock,
  });
  const a = [gate.admit("a"), gate.admit("a"), gate.admit("a")];
  assert.deepEqual(a.map((d) => d.ok), [true, true, false]);
  assert.deepEqual(a[2], { ok: false, reason: "maxPerIp" });
  const others = ["b", "b", "c", "c"].map((ip) => gate.admit(ip));
  assert.deepEqual(others.map((d) => d.ok), [true, true, true, false]);
  assert.deepEqual(others[3], { ok: false, reason: "maxConnections" });
  assert.equal(gate.active, 5);
  assert.deepEqual(gate.stats, {
    active: 5,
    admitted: 5,
    maxConnections: 1,
    maxPerIp: 1,
    rateLimited: 0,
  });
  released([...a, ...others]);
  assert.equal(gate.active, 0);
  assert.equal(gate.activeFor("a"), 0);
  assert.equal(gate.admit("c").ok, true);
});

Deno.test("ConnectionGate release() is idempotent and frees per-IP state", () => {
  const gate = new ConnectionGate({ maxConnections: 10, maxPerIp: 1 });
  const d = gate.admit("198.51.100.4");
  assert.ok(d.ok);
  d.release();
  d.release();
  d.release();
  assert.equal(gate.active, 0);
  const again = gate.admit("198.51.100.4");
  assert.ok(again.ok);
  assert.equal(gate.active, 1);
  again.release();
});

Deno.test("ConnectionGate rate-limits connection attempts per IP, refused ones included", () => {
  const clock = new ManualClock();
  const gate = new ConnectionGate({
    maxConnections: 10_000,
    maxPerIp: 1,
    acceptsPerSecond: 5,
    acceptBurst: 5,
    clock,
  });
  const held = gate.admit("attacker");
  assert.ok(held.ok);
  // 100 more attempts: the first 4 hit maxPerIp, the rest the accept rate.
  const refused = Array.from({ length: 100 }, () => gate.admit("attacker"));
  assert.equal(refused.filter((d) => d.ok).length, 0);
  assert.equal(gate.stats.maxPerIp, 4);
  assert.equal(gate.stats.rateLimited, 96);
  // A different client is unaffected.
  const legit = gate.admit("viewer");
  assert.ok(legit.ok);
  // After a second the attacker may try again (and is admitted once released).
  held.release();
  clock.advance(1000);
  const later = gate.admit("attacker");
  assert.ok(later.ok);
  released([later, legit]);
});

Deno.test("ConnectionGate memory stays bounded under a many-address flood", () => {
  const clock = new ManualClock();
  const gate = new ConnectionGate({
    maxConnections: 100,
    maxKeys: 1_000,
    clock,
  });
  const admitted: GateDecision[] = [];
  for (let i = 0; i < 50_000; i++) {
    const d = gate.admit(`2001:db8:${i.toString(16)}::1`);
    if (d.ok) admitted.push(d);
  }
  assert.equal(admitted.length, 100);
  assert.ok(gate.trackedKeys <= 1_100, `tracked ${gate.trackedKeys}`);
  released(admitted);
  assert.equal(gate.active, 0);
});

Deno.test("clientKeyOf() folds IPv6 to /64 and unwraps IPv4-mapped addresses", () => {
  assert.equal(clientKeyOf("127.0.0.1"), "127.0.0.1");
  assert.equal(clientKeyOf("::1"), "0:0:0:0::/64");
  assert.equal(clientKeyOf("[2001:db8::7]"), "2001:db8:0:0::/64");
  assert.equal(clientKeyOf("2001:0db8:0000:0042:1::"), "2001:db8:0:42::/64");
  assert.equal(clientKeyOf("fe80::1%eth0"), "fe80:0:0:0::/64");
  assert.equal(clientKeyOf("::FFFF:10.1.2.3"), "10.1.2.3");
  assert.equal(
    clientKeyOf("2001:db8:aa:bb:1:2:3:4"),
    clientKeyOf("2001:db8:aa:bb:ffff::"),
  );
});
