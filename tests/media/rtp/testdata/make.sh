#!/bin/sh
# Regenerates the RTP test fixtures (real encoder output, a few GOPs each).
# Usage: sh tests/media/rtp/testdata/make.sh  (ffmpeg with libx264, libx265)
set -eu
cd "$(dirname "$0")"
FF="ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 60 -pix_fmt yuv420p"
$FF -c:v libx264 -profile:v main -g 12 -bf 2 -x264-params scenecut=0 gop.h264
$FF -c:v libx265 -x265-params log-level=error:keyint=12:min-keyint=12:bframes=2:scenecut=0 gop.h265
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 48 -pix_fmt yuv420p -c:v libvpx-vp9 -g 12 -deadline realtime -cpu-used 8 gop.vp9.ivf
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 24 -pix_fmt yuv420p -c:v libaom-av1 -g 12 -cpu-used 8 -usage realtime gop.av1.ivf
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 48 -pix_fmt yuv420p -c:v libvpx -g 12 -deadline realtime -cpu-used 8 gop.vp8.ivf
