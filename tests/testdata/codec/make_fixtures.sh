#!/bin/sh
# Regenerates the codec fixtures (real encoder output) and their ffprobe JSON.
# Output is byte-for-byte reproducible with the same FFmpeg build (verified with
# Debian FFmpeg 5.1; the Ogg file uses +bitexact for a fixed serial number).
# Usage: sh tests/testdata/codec/make_fixtures.sh   (needs ffmpeg/ffprobe with
# libx264, libx265, libaom, libvpx, aac, libopus). Each file is a few KB.
set -eu
cd "$(dirname "$0")"
FF="ffmpeg -hide_banner -loglevel error -y"
SRC="-f lavfi -i testsrc2=size=WxH:rate=R"

video() { # name size rate frames encoder-args... ; writes name.<ext>
  name=$1; size=$2; rate=$3; frames=$4; out=$5; shift 5
  $FF -f lavfi -i "testsrc2=size=$size:rate=$rate" -frames:v "$frames" "$@" "$out"
}

# H.264 (Annex B elementary streams), several profiles/levels/chroma/bit depths.
video h264_baseline 160x120 25 4 h264_baseline.h264 -c:v libx264 -profile:v baseline -level 2.1 -pix_fmt yuv420p -g 2
video h264_main 176x100 30000/1001 4 h264_main.h264 -c:v libx264 -profile:v main -level 3.0 -pix_fmt yuv420p -bf 1 -g 3
video h264_high 64x64 25 5 h264_high.h264 -c:v libx264 -profile:v high -level 4.1 -pix_fmt yuv420p -x264-params keyint=4:open-gop=0
video h264_high422 96x72 50 3 h264_high422.h264 -c:v libx264 -profile:v high422 -pix_fmt yuv422p
video h264_high10 80x48 24 3 h264_high10.h264 -c:v libx264 -profile:v high10 -pix_fmt yuv420p10le
video h264_high444 64x48 25 3 h264_high444.h264 -c:v libx264 -profile:v high444 -pix_fmt yuv444p
# Interlaced (frame_mbs_only_flag = 0, MBAFF) and open GOP (recovery-point SEI instead of IDR).
video h264_interlaced 160x120 25 3 h264_interlaced.h264 -c:v libx264 -pix_fmt yuv420p -flags +ildct+ilme -x264-params interlaced=1
video h264_opengop 64x64 25 9 h264_opengop.h264 -c:v libx264 -pix_fmt yuv420p -x264-params keyint=4:min-keyint=4:open-gop=1:bframes=2:scenecut=0
# The same H.264 stream in MP4, so tests compare buildAvcDecoderConfig() with ffmpeg's avcC.
$FF -i h264_high.h264 -c copy h264_high.mp4
# H.265: main and main10, Annex B and MP4 (hvcC).
video h265_main 160x120 25 4 h265_main.h265 -c:v libx265 -pix_fmt yuv420p -x265-params log-level=error:keyint=2
video h265_main10 72x40 30 3 h265_main10.h265 -c:v libx265 -pix_fmt yuv420p10le -x265-params log-level=error
$FF -i h265_main.h265 -c copy -tag:v hvc1 h265_main.mp4
video h265_rext444 64x64 25 2 h265_rext444.h265 -c:v libx265 -pix_fmt yuv444p -x265-params log-level=error
$FF -i h265_rext444.h265 -c copy -tag:v hvc1 h265_rext444.mp4
# AV1: low-overhead OBU stream (Section 5), IVF and MP4 (av1C).
video av1 64x64 25 3 av1.obu -c:v libaom-av1 -cpu-used 8 -b:v 100k -g 2
$FF -i av1.obu -c copy av1.mp4
$FF -i av1.obu -c copy av1.ivf
video av1_10bit 64x48 30 2 av1_10bit.obu -c:v libaom-av1 -cpu-used 8 -b:v 100k -pix_fmt yuv420p10le
$FF -i av1_10bit.obu -c copy av1_10bit.mp4
# VP9: IVF profile 0 and profile 2 (10-bit), MP4 (vpcC).
video vp9 64x64 25 3 vp9.ivf -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 100k -g 2
video vp9_10bit 64x48 25 2 vp9_10bit.ivf -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 100k -pix_fmt yuv420p10le
$FF -i vp9.ivf -c copy vp9.mp4
video vp9_444 64x64 25 2 vp9_444.ivf -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 100k -pix_fmt yuv444p
$FF -i vp9_444.ivf -c copy vp9_444.mp4
# AAC (ADTS): LC stereo 44.1 kHz and mono 22.05 kHz.
$FF -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=0.1" -ac 2 -c:a aac -b:a 64k aac_lc_stereo.aac
$FF -f lavfi -i "sine=frequency=440:sample_rate=22050:duration=0.1" -ac 1 -c:a aac -b:a 32k aac_lc_mono.aac
$FF -i aac_lc_stereo.aac -c copy aac_lc_stereo.m4a
# Opus in Ogg (OpusHead in the first page).
$FF -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=0.1" -ac 2 -c:a libopus -b:a 32k -fflags +bitexact opus_stereo.ogg
# An HLS master playlist for the codec strings ffmpeg writes (avc1 + mp4a).
rm -rf hls_tmp && mkdir hls_tmp
$FF -f lavfi -i "testsrc2=size=176x100:rate=25" -f lavfi -i "sine=sample_rate=44100" -t 0.2 \
  -c:v libx264 -profile:v main -level 3.0 -pix_fmt yuv420p -c:a aac -ac 2 -f hls -hls_time 1 \
  -master_pl_name master.m3u8 -hls_segment_filename "hls_tmp/s%d.ts" hls_tmp/index.m3u8
cp hls_tmp/master.m3u8 h264_aac_master.m3u8 && rm -rf hls_tmp

for f in *.h264 *.h265 *.obu *.ivf *.aac *.ogg *.mp4 *.m4a; do
  ffprobe -v error -print_format json -show_streams "$f" > "$f.json"
done
# Packet key flags in decoding order (FFmpeg's parsers mark IDR/recovery point, IRAP, key frames).
for f in *.h264 *.h265 *.obu *.ivf; do
  ffprobe -v error -print_format json -show_entries packet=flags "$f" > "$f.packets.json"
done
