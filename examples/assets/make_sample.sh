#!/usr/bin/env sh
# Regenerates sample.flv, the clip `deno task demo` publishes in a loop.
# 10 s, 640x360 at 30 fps, H.264 (main, keyframe every second) + AAC-LC 48 kHz stereo,
# small enough to ship in the package (a few hundred KB).
set -eu
cd "$(dirname "$0")"
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30:duration=10" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=10,aformat=channel_layouts=stereo" \
  -c:v libx264 -profile:v main -preset veryslow -tune animation -b:v 220k -maxrate 300k -bufsize 300k \
  -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p \
  -c:a aac -b:a 48k \
  -f flv sample.flv
