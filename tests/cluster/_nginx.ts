// nginx for the cluster tests: the shipped examples/deploy/nginx.conf with its
// ports and cache path rewritten, run as a foreground child on 127.0.0.1.
import { hasTool } from "../_tools.ts";
import { freePort } from "./_redis.ts";

export interface Nginx {
  port: number;
  stop(): Promise<void>;
}

const CONF = new URL("../../examples/deploy/nginx.conf", import.meta.url);

/** Start nginx caching in front of the origins at `upstreamPorts`. */
export async function startNginx(
  upstreams: (number | string)[],
): Promise<Nginx> {
  hasTool("nginx");
  const dir = await Deno.makeTempDir({ prefix: "arcly-nginx-" });
  const port = freePort();
  let conf = await Deno.readTextFile(CONF);
  const servers = upstreams.map((u) =>
    `server ${typeof u === "number" ? `127.0.0.1:${u}` : u};`
  ).join("\n    ");
  conf = conf
    .replace(/server 127\.0\.0\.1:8080;[^\n]*/, servers)
    .replace("listen 8081;", `listen 127.0.0.1:${port};`)
    .replace("/var/cache/nginx/arcly-hls", `${dir}/cache`)
    .replace("worker_processes auto;", "worker_processes 1;")
    .replace(
      "http {",
      `http {\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;`,
    );
  assert(conf.includes(`listen 127.0.0.1:${port};`), "listen rewritten");
  await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
  // Run as root (CI), nginx's workers are `nobody`: they must write the cache.
  await Deno.chmod(dir, 0o777);
  for (const sub of ["cache", "body", "proxy", "fastcgi", "uwsgi", "scgi"]) {
    await Deno.mkdir(`${dir}/${sub}`);
    await Deno.chmod(`${dir}/${sub}`, 0o777);
  }
  const child = new Deno.Command("nginx", {
    args: [
      "-p",
      dir,
      "-c",
      `${dir}/nginx.conf`,
      "-e",
      "stderr",
      "-g",
      `daemon off; pid ${dir}/nginx.pid; error_log stderr warn;`,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let stderr = "";
  void child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (t) => void (stderr += t) }),
  ).catch(() => {});
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
        throw new Error(`nginx did not start: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    port,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Cannot prepare nginx.conf: ${what}`);
}
