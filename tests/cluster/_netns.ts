// Test hosts in network namespaces (root only): a bridge in the root
// namespace and one namespace per host, each with one veth leg on the bridge
// and an address in 10.77.N.0/24 (N random per run). Only addresses inside
// namespaces this test made are ever used.
import { run } from "../_tools.ts";

export interface Netns extends AsyncDisposable {
  /** The bridge's address (reachable from the root namespace). */
  gateway: string;
  /** Host name → { ns, addr }. */
  hosts: Map<string, { ns: string; addr: string }>;
  /** `ip netns exec NS` prefix for commands run inside host `name`. */
  exec(name: string): string[];
}

async function ip(args: string[]): Promise<void> {
  const r = await run("ip", args, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

/** True when this process may create namespaces (root with iproute2). */
export async function canNetns(): Promise<boolean> {
  if (Deno.uid?.() !== 0) return false;
  try {
    const probe = `arcly-probe-${Math.random().toString(36).slice(2, 8)}`;
    await ip(["netns", "add", probe]);
    await ip(["netns", "del", probe]);
    return true;
  } catch {
    return false;
  }
}

/** Make `names.length` hosts on one bridge. */
export async function makeNetns(names: string[]): Promise<Netns> {
  const tag = Math.random().toString(36).slice(2, 7);
  const subnet = 100 + Math.floor(Math.random() * 150);
  const bridge = `abr${tag}`;
  const hosts = new Map<string, { ns: string; addr: string }>();
  const cleanup = async () => {
    for (const { ns } of hosts.values()) {
      await run("ip", ["netns", "del", ns]).catch(() => {});
    }
    await run("ip", ["link", "del", bridge]).catch(() => {});
  };
  try {
    await ip(["link", "add", bridge, "type", "bridge"]);
    await ip(["addr", "add", `10.77.${subnet}.1/24`, "dev", bridge]);
    await ip(["link", "set", bridge, "up"]);
    for (const [i, name] of names.entries()) {
      const ns = `arcly-${tag}-${name}`;
      const addr = `10.77.${subnet}.${i + 2}`;
      const outer = `av${tag}${i}`;
      const inner = `ai${tag}${i}`;
      hosts.set(name, { ns, addr });
      await ip(["netns", "add", ns]);
      await ip(["link", "add", outer, "type", "veth", "peer", "name", inner]);
      await ip(["link", "set", inner, "netns", ns]);
      await ip(["link", "set", outer, "master", bridge]);
      await ip(["link", "set", outer, "up"]);
      await ip(["-n", ns, "addr", "add", `${addr}/24`, "dev", inner]);
      await ip(["-n", ns, "link", "set", inner, "up"]);
      await ip(["-n", ns, "link", "set", "lo", "up"]);
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    gateway: `10.77.${subnet}.1`,
    hosts,
    exec: (name) => ["ip", "netns", "exec", hosts.get(name)!.ns],
    [Symbol.asyncDispose]: cleanup,
  };
}
