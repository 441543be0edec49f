// Browser-side scripts (run with page.evaluate) for WHIP/WHEP tests.
import type { Page } from "playwright-core";

type G = Record<string, unknown> & {
  document: {
    createElement(t: string): Record<string, unknown>;
    body: { append(e: unknown): void };
  };
};

/** Start a WHEP viewer in the page; resolves with the POST status and answer headers. */
export function startWhep(
  page: Page,
  url: string,
  token?: string,
): Promise<
  {
    status: number;
    location: string | null;
    etag: string | null;
    body: string;
    audio: string | null;
    playing: string | null;
  }
> {
  return page.evaluate(async ([url, token]) => {
    const g = globalThis as unknown as G & {
      RTCPeerConnection: new () => {
        addTransceiver(k: string, o: unknown): void;
        createOffer(): Promise<{ sdp: string }>;
        setLocalDescription(d: unknown): Promise<void>;
        setRemoteDescription(d: unknown): Promise<void>;
        localDescription: { sdp: string };
        iceGatheringState: string;
        ontrack: ((e: { track: unknown }) => void) | null;
        getStats(): Promise<Map<string, Record<string, unknown>>>;
      };
      MediaStream: new () => { addTrack(t: unknown): void };
    };
    const pc = new g.RTCPeerConnection();
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const video = g.document.createElement("video");
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    g.document.body.append(video);
    const stream = new g.MediaStream();
    video.srcObject = stream;
    pc.ontrack = (e) => stream.addTrack(e.track);
    await pc.setLocalDescription(await pc.createOffer());
    const t0 = performance.now();
    while (
      pc.iceGatheringState !== "complete" && performance.now() - t0 < 2000
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const headers: Record<string, string> = {
      "content-type": "application/sdp",
    };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: pc.localDescription.sdp,
    });
    const body = await res.text();
    g.arclyPc = pc;
    g.arclyVideo = video;
    g.arclyStart = performance.now();
    g.arclyFirstFrameMs = null;
    if (res.status === 201) {
      await pc.setRemoteDescription({ type: "answer", sdp: body });
      const v = video as unknown as {
        requestVideoFrameCallback?(fn: () => void): void;
      };
      v.requestVideoFrameCallback?.(() => {
        g.arclyFirstFrameMs = performance.now() - (g.arclyStart as number);
      });
    }
    return {
      status: res.status,
      location: res.headers.get("location"),
      etag: res.headers.get("etag"),
      body,
      audio: res.headers.get("x-arcly-webrtc-audio"),
      playing: res.headers.get("x-arcly-webrtc-stream"),
    };
  }, [url, token ?? ""] as const);
}

/** What the WHEP viewer page reports. */
export interface ViewerState {
  currentTime: number;
  framesDecoded: number;
  audioPackets: number;
  videoPackets: number;
  firstFrameMs: number | null;
  connectionState: string;
  transport: string;
}

export function viewerState(page: Page): Promise<ViewerState> {
  return page.evaluate(async () => {
    const g = globalThis as unknown as {
      arclyPc: {
        getStats(): Promise<Map<string, Record<string, unknown>>>;
        connectionState: string;
      };
      arclyVideo: { currentTime: number };
      arclyFirstFrameMs: number | null;
    };
    let framesDecoded = 0;
    let audioPackets = 0;
    let videoPackets = 0;
    let transport = "";
    const stats = await g.arclyPc.getStats();
    stats.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        framesDecoded = Number(s.framesDecoded ?? 0);
        videoPackets = Number(s.packetsReceived ?? 0);
      }
      if (s.type === "transport") {
        transport = `ice ${s.iceState} dtls ${s.dtlsState} role ${s.dtlsRole}`;
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        audioPackets = Number(s.packetsReceived ?? 0);
      }
    });
    return {
      currentTime: g.arclyVideo.currentTime,
      framesDecoded,
      audioPackets,
      videoPackets,
      firstFrameMs: g.arclyFirstFrameMs,
      connectionState: g.arclyPc.connectionState,
      transport,
    };
  });
}

/** A page (served by its own origin) that publishes camera + mic over WHIP. */
export const WHIP_PAGE =
  `<!doctype html><meta charset="utf-8"><title>whip</title>
<script>
window.publish = async (url, token) => {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 }, audio: true });
  const pc = new RTCPeerConnection();
  for (const t of stream.getTracks()) pc.addTransceiver(t, { direction: "sendonly", streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  const t0 = performance.now();
  while (pc.iceGatheringState !== "complete" && performance.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 20));
  const headers = { "content-type": "application/sdp" };
  if (token) headers.authorization = "Bearer " + token;
  const res = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp });
  const body = await res.text();
  window.pc = pc;
  if (res.status === 201) await pc.setRemoteDescription({ type: "answer", sdp: body });
  return { status: res.status, location: res.headers.get("location"), etag: res.headers.get("etag"), body, offer: pc.localDescription.sdp };
};
window.sent = async () => {
  let video = 0, audio = 0;
  (await window.pc.getStats()).forEach((s) => {
    if (s.type === "outbound-rtp" && s.kind === "video") video = s.packetsSent;
    if (s.type === "outbound-rtp" && s.kind === "audio") audio = s.packetsSent;
  });
  return { video, audio, state: window.pc.connectionState };
};
</script>`;

/** Serve `html` at / on 127.0.0.1 (another origin than the server under test). */
export function servePage(
  html: string,
  hostname = "127.0.0.1",
): Deno.HttpServer<Deno.NetAddr> & { url: string } {
  const server = Deno.serve(
    { hostname, port: 0, onListen: () => {} },
    () =>
      new Response(html, {
        headers: { "content-type": "text/html; charset=utf-8" },
      }),
  );
  return Object.assign(server, {
    url: `http://${hostname}:${server.addr.port}/`,
  });
}
