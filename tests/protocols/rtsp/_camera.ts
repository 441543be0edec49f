// A GStreamer RTSP server as the camera (python3-gi + GstRtspServer,
// testdata/gst_camera.py): H.264 + AAC at /cam, bounded start-up.
const PY = "/usr/bin/python3";
const CAMERA = new URL("./testdata/gst_camera.py", import.meta.url).pathname;

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

export async function startCamera(
  port: number,
  audio: "aac" | "pcmu" = "aac",
): Promise<Deno.ChildProcess & AsyncDisposable> {
  const child = new Deno.Command(PY, {
    args: [CAMERA, String(port), audio],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const deadline = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 10_000);
  let text = "";
  while (!text.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  clearTimeout(deadline);
  (async () => { // keep draining: a closed pipe would kill the camera
    while (!(await reader.read()).done) { /* discard */ }
  })().catch(() => {});
  return Object.assign(child, {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
      await child.status;
    },
  });
}

export const hasGi: boolean = (() => {
  try {
    return new Deno.Command(PY, {
      args: ["-c", "import gi; gi.require_version('GstRtspServer','1.0')"],
    })
      .outputSync().success;
  } catch {
    return false;
  }
})();
