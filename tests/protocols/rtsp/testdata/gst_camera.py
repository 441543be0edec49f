import sys, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
port = sys.argv[1]
audio = sys.argv[2] if len(sys.argv) > 2 else "aac"
AUDIO = {
    "aac": "audiotestsrc is-live=1 ! audio/x-raw,rate=44100,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97",
    "pcmu": "audiotestsrc is-live=1 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay name=pay1",
}[audio]
server = GstRtspServer.RTSPServer(); server.set_service(port); server.set_address("127.0.0.1")
f = GstRtspServer.RTSPMediaFactory()
f.set_launch("( videotestsrc is-live=1 ! video/x-raw,width=320,height=240,framerate=25/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! rtph264pay name=pay0 pt=96 config-interval=1 " + AUDIO + " )")
f.set_shared(True)
server.get_mount_points().add_factory("/cam", f)
server.attach(None)
print("ready", flush=True)
GLib.MainLoop().run()
