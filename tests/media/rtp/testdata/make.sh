#!/bin/sh
# Regenerates the RTP test fixtures (real encoder output, a few GOPs each).
# Usage: sh tests/media/rtp/testdata/make.sh  (ffmpeg with libx264, libx265)
set -eu
cd "$(dirname "$0")"
FF="ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=160x120:rate=25 -frames:v 60 -pix_fmt yuv420p"
$FF -c:v libx264 -profile:v main -g 12 -bf 2 -x264-params scenecut=0 gop.h264
$FF -c:v libx265 -x265-params log-level=error:keyint=12:min-keyint=12:bframes=2:scenecut=0 gop.h265
