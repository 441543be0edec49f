// Run by udp_mux_backend_test.ts with chosen permissions: binds a UdpMux
// with backend "auto" and prints the backend it got.
import { UdpMux } from "../../../protocols/webrtc/mod.ts";

const mux = await UdpMux.bind({ hostname: "127.0.0.1", port: 0 });
// deno-lint-ignore no-console
console.log(mux.backend);
await mux.close();
