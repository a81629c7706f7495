// Cold start from Swift, one fresh process per run (scripts/bench-coldstart-swift.sh runs it
// several times per mode, alternating):
//   sdk    `VKSession.current.configure(…)` + `start(apiToken:identity:)` on the main thread,
//          then the first token (the completion, on the main queue);
//   plain  one URLSession POST to the same gateway route, the way an app without the SDK would.
// Prints one line: `mode=… calls_ms=… first_token_ms=…`, times from the start of `main`.
// A benchmark: it asserts nothing.
import Dispatch
import Foundation
import VideoKitCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

let t0 = DispatchTime.now().uptimeNanoseconds
func msSinceStart() -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 }

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: VideoKitColdStart sdk|plain BASE_URL\n".utf8))
    exit(2)
}
let mode = args[1]
let base = args[2]

/// When `configure` + `start` (or the request's `resume`) returned, in ms since `main` began.
nonisolated(unsafe) var callsMs = 0.0

@Sendable func finish(_ calls: Double, _ token: String?) -> Never {
    let first = msSinceStart()
    print(
        String(format: "mode=%@ calls_ms=%.3f first_token_ms=%.3f ok=%@", mode, calls, first, token?.isEmpty == false ? "true" : "false")
            + breakdown)
    exit(token?.isEmpty == false ? 0 : 1)
}

nonisolated(unsafe) var breakdown = ""
if mode == "sdk" {
    _ = VKSession.current  // the shared session: the SDK's runtime and a native session
    let tCurrent = msSinceStart()
    VKSession.current.configure(VKConfiguration(gatewayURL: base, allowInsecureHTTP: true))
    let tConfigure = msSinceStart()
    VKSession.current.start(apiToken: "vk_dev_app_token", identity: "alice") { _, data, _ in
        finish(callsMs, data?.token)
    }
    callsMs = msSinceStart()
    breakdown = String(format: " current_ms=%.3f configure_ms=%.3f start_ms=%.3f", tCurrent, tConfigure - tCurrent, callsMs - tConfigure)
} else {
    var req = URLRequest(url: URL(string: base + "/v1/sessions")!)
    req.httpMethod = "POST"
    req.setValue("Bearer vk_dev_app_token", forHTTPHeaderField: "Authorization")
    req.setValue("application/json", forHTTPHeaderField: "Content-Type")
    req.httpBody = Data(#"{"identity":"alice","scopes":[]}"#.utf8)
    let task = URLSession.shared.dataTask(with: req) { data, _, _ in
        let json = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let token = json?["sessionToken"] as? String
        DispatchQueue.main.async { finish(callsMs, token) }
    }
    task.resume()
    callsMs = msSinceStart()
}
RunLoop.main.run()
