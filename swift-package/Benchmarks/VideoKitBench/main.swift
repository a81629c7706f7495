// The cost per call from Swift (scripts/bench-swift.sh): a session started against
// `videokit serve`, then the calls an app makes all the time, timed back to back. Two kinds of
// rows, side by side, as in the Kotlin bench (android-aar/src/bench/kotlin/FfiBench.kt):
//   - the public API (`VKSession.current.state`, the cached `token()`): answered from the
//     Swift-side cache, no FFI crossing;
//   - a raw FFI crossing through the generated binding: `VkSession.snapshot()` (the whole
//     record: state, session, error, lease), what each of those would cost without the cache.
// A benchmark: it prints markdown table rows and asserts nothing.
//
//   swift run -c release VideoKitBench BASE_URL [CALLS] [RUNS]   (raw FFI rows: CALLS / 20)
import Dispatch
import Foundation
import VideoKitCore
import VideoKitFFI

struct Row {
    let path: String
    let name: String
    let calls: Int
    let runsNs: [Double]
    var median: Double { runsNs.sorted()[runsNs.count / 2] }
}

/// Defeats dead-code elimination: every result is folded into it and printed at the end.
nonisolated(unsafe) var sink = 0

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func measure(_ path: String, _ name: String, _ calls: Int, _ runs: Int, _ body: (Int) async throws -> Void) async rethrows -> Row {
    try await body(max(1, calls / 2))  // warm-up
    var perRun: [Double] = []
    for _ in 0..<runs {
        let t0 = now()
        try await body(calls)
        perRun.append(Double(now() - t0) / Double(calls))
    }
    return Row(path: path, name: name, calls: calls, runsNs: perRun)
}

func fmt(_ ns: Double) -> String {
    if ns >= 10_000 { return String(format: "%.1f µs", ns / 1000) }
    if ns >= 100 { return String(format: "%.0f ns", ns) }
    return String(format: "%.1f ns", ns)
}

func bench(base: String, calls: Int, runs: Int) async throws {
    let ffiCalls = max(1, calls / 20)
    let session = VKSession.current
    session.configure(VKConfiguration(gatewayURL: base, allowInsecureHTTP: true))
    let data = try await session.start(apiToken: "vk_dev_app_token", identity: "bench")
    precondition(session.state == .active, "the session did not start")
    let first = try await session.token()
    precondition(first == data.token, "token() is not the session's token")
    // A native session of its own, for the raw crossing (no HTTP client: it never starts).
    let raw = try VkSession(config: VkConfig(gatewayUrl: base), store: nil, httpClient: nil, sink: nil)

    let api = "public API"
    let ffi = "raw FFI"
    var rows: [Row] = []
    rows.append(
        await measure(api, "`VKSession.current.state` (the Swift-side cache)", calls, runs) { n in
            var acc = 0
            for _ in 0..<n { acc &+= session.state == .active ? 1 : 0 }
            sink &+= acc
        })
    rows.append(
        try await measure(api, "`try await token()` (cached)", calls, runs) { n in
            var acc = 0
            for _ in 0..<n { acc &+= try await session.token().utf8.count }
            sink &+= acc
        })
    rows.append(
        await measure(api, "`sessionData` (the Swift-side cache)", calls, runs) { n in
            var acc = 0
            for _ in 0..<n { acc &+= session.sessionData?.token.utf8.count ?? 0 }
            sink &+= acc
        })
    rows.append(
        await measure(api, "`lastError` (the Swift-side cache)", calls, runs) { n in
            var acc = 0
            for _ in 0..<n { acc &+= session.lastError == nil ? 1 : 0 }
            sink &+= acc
        })
    rows.append(
        await measure(ffi, "`VkSession.snapshot()` (sync; the whole record)", ffiCalls, runs) { n in
            var acc: UInt64 = 0
            for _ in 0..<n { acc &+= raw.snapshot().version }
            sink &+= Int(truncatingIfNeeded: acc)
        })
    session.stop()

    print("")
    print("Cost per call from Swift (Swift 6.0.3, \(ProcessInfo.processInfo.operatingSystemVersionString)), median of \(runs) runs;")
    print("a live session against videokit serve, its token cached:")
    print("")
    print("| path | call | calls per run | median | runs (ns/call) |")
    print("|---|---|---:|---:|---|")
    for r in rows {
        let runsText = r.runsNs.map { $0 < 100 ? String(format: "%.1f", $0) : String(format: "%.0f", $0) }.joined(separator: " / ")
        print("| \(r.path) | \(r.name) | \(r.calls) | \(fmt(r.median)) | \(runsText) |")
    }
    print("")
    print("(sink \(sink))")
}

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: VideoKitBench BASE_URL [CALLS] [RUNS]\n".utf8))
    exit(2)
}
let calls = args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000
let runs = args.count > 3 ? Int(args[3]) ?? 5 : 5
let done = DispatchSemaphore(value: 0)
Task.detached {
    do { try await bench(base: args[1], calls: calls, runs: runs) } catch {
        print("bench failed: \(error)")
        exit(1)
    }
    done.signal()
}
done.wait()
