#!/bin/sh
# Regenerate the fuzz seed corpus from real captures (ffmpeg 5.1).
# Small on purpose: every seed is fed thousands of times per target.
set -eu
cd "$(dirname "$0")"
ff="ffmpeg -hide_banner -loglevel error -y"
src="-f lavfi -i testsrc=size=96x64:rate=15 -f lavfi -i sine=frequency=440:sample_rate=44100 -t 1"
# FLV (H.264 + AAC) as written by ffmpeg's muxer.
$ff $src -c:v libx264 -preset ultrafast -g 15 -c:a aac -b:a 32k -f flv small.flv
# Fragmented MP4 (moov + moof/mdat) as written by ffmpeg.
$ff $src -c:v libx264 -preset ultrafast -g 15 -c:a aac -b:a 32k \
  -movflags frag_keyframe+empty_moov+default_base_moof -f mp4 small_frag.mp4
# Elementary streams.
$ff -f lavfi -i testsrc=size=64x64:rate=10 -t 0.5 -c:v libx264 -preset ultrafast -f h264 small.h264
$ff -f lavfi -i testsrc=size=64x64:rate=10 -t 0.5 -c:v libx265 -x265-params log-level=none -f hevc small.h265
$ff -f lavfi -i sine=frequency=440:sample_rate=48000 -t 0.3 -c:a aac -b:a 32k -f adts small.aac
# What ffmpeg sends to an RTMP server: publish (handshake, connect,
# createStream, publish, metadata, media) and play.
deno run -A capture_rtmp.ts rtmp_publish.bin publish 24000
deno run -A capture_rtmp.ts rtmp_play.bin play 8000
ls -l small.* small_frag.mp4 rtmp_*.bin
