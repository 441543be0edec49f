import assert from "node:assert/strict";
import { run } from "../_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DATA = `${ROOT}tests/testdata/codec/`;

function keyFlags(name: string): boolean[] {
  const json = JSON.parse(Deno.readTextFileSync(`${DATA}${name}.packets.json`));
  return json.packets.map((p: { flags: string }) => p.flags.startsWith("K"));
}

const CASES: [string, string][] = [
  ["h264_main.h264", "avc1.4d401e"],
  ["h265_main.h265", "hvc1.1.6.L30.90"],
  ["av1.obu", "av01.0.00M.08"],
  ["vp9.ivf", "vp09.00.10.08"],
  ["aac_lc_stereo.aac", "mp4a.40.2"],
  ["opus_stereo.ogg", "opus"],
];

Deno.test("examples/codec_inspect.ts prints codec strings and ffprobe's key frames", async () => {
  const outputs = await Promise.all(CASES.map(([name]) =>
    run(Deno.execPath(), [
      "run",
      "--allow-read",
      `${ROOT}examples/codec_inspect.ts`,
      `${DATA}${name}`,
    ])
  ));
  for (const [i, [name, expected]] of CASES.entries()) {
    const { code, stdout, stderr } = outputs[i]!;
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      new RegExp(`codec string: ${expected.replaceAll(".", "\\.")}\n`),
    );
    const frames = [...stdout.matchAll(/^frame \d+ bytes \d+ (\S+)$/gm)].map((
      m,
    ) => m[1] === "random-access");
    if (name.endsWith(".aac")) {
      assert.ok(frames.length > 0 && frames.every(Boolean));
    } else if (!name.endsWith(".ogg")) {
      assert.deepEqual(frames, keyFlags(name), name);
    }
  }
});

Deno.test("examples/codec_inspect.ts fails cleanly on an unknown input", async () => {
  const { code } = await run(Deno.execPath(), [
    "run",
    "--allow-read",
    `${ROOT}examples/codec_inspect.ts`,
    `${DATA}make_fixtures.sh`,
  ]);
  assert.notEqual(code, 0);
});
