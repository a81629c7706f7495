// Test fixtures: the devserver (`videokit serve --port 0 --json`, one process for the whole
// run, reset between tests), its control API, and helpers that wait for completions and state
// changes without sleep-and-hope. The same fixtures as the Kotlin JVM tests
// (android-aar/src/test/kotlin/io/videokit/core/TestSupport.kt).
import Foundation
import XCTest

@testable import VideoKitCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A thread-safe box.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
    func set(_ v: T) {
        lock.lock()
        value = v
        lock.unlock()
    }
    func update<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Runs `body` on the Swift concurrency pool and blocks the calling (test) thread until it ends,
/// like Kotlin's `runBlocking`. Never call it on `callbackQueue`.
func runBlocking<T>(timeout: TimeInterval = 60, _ body: @escaping () async throws -> T) throws -> T {
    let result = Locked<Result<T, Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { result.set(.success(try await body())) } catch { result.set(.failure(error)) }
        done.signal()
    }
    guard done.wait(timeout: .now() + timeout) == .success else { throw TestFailure("not done within \(timeout) s") }
    return try result.get()!.get()
}

/// `GET url` from async code, on every OS version the package supports (`URLSession.data(from:)`
/// needs macOS 12 / iOS 15).
func httpGet(_ url: URL) async throws -> Data {
    try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Data, Error>) in
        URLSession.shared.dataTask(with: url) { data, _, error in
            if let error = error { cont.resume(throwing: error) } else { cont.resume(returning: data ?? Data()) }
        }.resume()
    }
}

/// The error `body` throws, as a VKError (fails the test when it does not throw one).
func vkError<T>(_ body: @escaping () async throws -> T, file: StaticString = #filePath, line: UInt = #line) -> VKError? {
    do {
        _ = try runBlocking(body)
        XCTFail("expected a VKError", file: file, line: line)
        return nil
    } catch let e as VKError {
        return e
    } catch {
        XCTFail("expected a VKError, got \(error)", file: file, line: line)
        return nil
    }
}

/// The local backend. On macOS and Linux the tests start `videokit serve --port 0 --json` themselves
/// (VIDEOKIT_CLI, default `<repo>/target/debug/videokit`); elsewhere (an iOS simulator) they use
/// a running one at VIDEOKIT_BASE_URL (scripts/test-ios-simulator.sh starts it).
final class DevServer {
    static let shared: Result<DevServer, Error> = Result { try DevServer() }

    let base: String
    let appToken: String
    #if os(macOS) || os(Linux)
        private var process: Process?
    #endif

    private init() throws {
        let env = ProcessInfo.processInfo.environment
        if let url = env["VIDEOKIT_BASE_URL"], !url.isEmpty {
            base = url.hasSuffix("/") ? String(url.dropLast()) : url
            appToken = env["VIDEOKIT_APP_TOKEN"] ?? "vk_dev_app_token"
            return
        }
        #if os(macOS) || os(Linux)
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent()
            let cli = env["VIDEOKIT_CLI"] ?? root.appendingPathComponent("target/debug/videokit").path
            guard FileManager.default.isExecutableFile(atPath: cli) else {
                throw TestFailure("no devserver: \(cli) is missing (cargo build -p videokit-cli, or set VIDEOKIT_CLI / VIDEOKIT_BASE_URL)")
            }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: cli)
            p.arguments = ["serve", "--port", "0", "--json"]
            let out = Pipe()
            p.standardOutput = out
            try p.run()
            process = p
            DevServerShutdown.register(p)
            // The first line: {"app_tokens": [...], "base_url": "http://127.0.0.1:PORT"}.
            var line = Data()
            let deadline = Date().addingTimeInterval(60)
            while !line.contains(0x0A) {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty || Date() > deadline { break }
                line.append(chunk)
            }
            // Keep draining stdout so that the server never blocks on a full pipe.
            out.fileHandleForReading.readabilityHandler = { h in _ = h.availableData }
            let first = line.split(separator: 0x0A).first.map { Data($0) } ?? Data()
            guard let json = (try? JSONSerialization.jsonObject(with: first)) as? [String: Any],
                let url = json["base_url"] as? String
            else {
                p.terminate()
                throw TestFailure("`\(cli) serve --port 0 --json` printed no base_url: \(String(decoding: first, as: UTF8.self))")
            }
            base = url
            appToken = (json["app_tokens"] as? [String])?.first ?? "vk_dev_app_token"
        #else
            throw TestFailure("set VIDEOKIT_BASE_URL to a running `videokit serve` (scripts/test-ios-simulator.sh does)")
        #endif
    }

    /// One HTTP request, blocking the test thread (never the callback queue).
    @discardableResult
    func request(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> (status: Int, body: Data) {
        var req = URLRequest(url: URL(string: base + path)!, timeoutInterval: 10)
        req.httpMethod = method
        if let json = json {
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
            req.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let result = Locked<(Int, Data)?>(nil)
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: req) { data, response, _ in
            result.set(((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data()))
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 15) == .success, let r = result.get() else {
            throw TestFailure("\(method) \(path): no answer")
        }
        return (r.0, r.1)
    }

    private func control(_ path: String, _ json: [String: Any]) throws {
        let r = try request("POST", path, json: json)
        guard (200..<300).contains(r.status) else {
            throw TestFailure("POST \(path) -> \(r.status): \(String(decoding: r.body, as: UTF8.self))")
        }
    }

    /// Clear faults and counts; back to hour-long tokens and no clock offset.
    func reset() throws {
        try control("/_control/reset", [:])
        try control("/_control/config", ["token_lifetime_secs": 3600, "clock_offset_secs": 0])
    }

    /// Inject a fault, e.g. `fault("sessions", "status", ["status": 503, "count": 1])`.
    func fault(_ route: String, _ kind: String, _ extra: [String: Any] = [:]) throws {
        var body: [String: Any] = ["route": route, "kind": kind]
        for (k, v) in extra { body[k] = v }
        try control("/_control/faults", body)
    }

    /// Changes the devserver's settings (`POST /_control/config`), e.g. `["videosdk_lifetime_secs": 3]`.
    func config(_ json: [String: Any]) throws {
        try control("/_control/config", json)
    }

    /// Lifetime of the tokens issued from now on.
    func tokenLifetime(_ secs: Int) throws {
        try control("/_control/config", ["token_lifetime_secs": secs])
    }

    /// Requests per route so far.
    func counts() throws -> [String: Int] {
        let r = try request("GET", "/_control/counts")
        let json = (try JSONSerialization.jsonObject(with: r.body)) as? [String: Any] ?? [:]
        return json.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    func count(_ route: String) throws -> Int { try counts()[route] ?? 0 }

    /// A session token from the backend route (`GET /token/{identity}`), as an app's backend gives it.
    func backendToken(_ identity: String) throws -> String {
        let r = try request("GET", "/token/" + (identity.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? identity))
        guard r.status == 200,
            let json = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any],
            let t = json["sessionToken"] as? String
        else {
            throw TestFailure("GET /token/\(identity) -> \(r.status)")
        }
        return t
    }
}

/// Ends the devserver subprocess when the test bundle finishes.
final class DevServerShutdown: NSObject, XCTestObservation {
    private static let processes = Locked<[AnyObject]>([])
    private static let installed = Locked(false)

    static func register(_ p: AnyObject) {
        processes.update { $0.append(p) }
        let first = installed.update { (v: inout Bool) -> Bool in
            defer { v = true }
            return !v
        }
        if first { XCTestObservationCenter.shared.addTestObserver(DevServerShutdown()) }
    }

    func testBundleDidFinish(_ testBundle: Bundle) {
        #if os(macOS) || os(Linux)
            for p in Self.processes.get() {
                (p as? Process)?.terminate()
            }
        #endif
    }
}

/// The claims of a JWT (no signature check): enough to know which user and expiry a token has.
enum Jwt {
    static func payload(_ token: String) -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return [:] }
        var b64 = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64),
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [:] }
        return json
    }

    static func sub(_ token: String) -> String? { payload(token)["sub"] as? String }

    static func exp(_ token: String) -> Date? {
        (payload(token)["exp"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
    }
}

/// The serial queue the tests give as `callbackQueue` (the Kotlin tests' "videokit-callbacks").
enum Callbacks {
    static let key = DispatchSpecificKey<String>()
    static let queue: DispatchQueue = {
        let q = DispatchQueue(label: "videokit-callbacks")
        q.setSpecific(key: key, value: "videokit-callbacks")
        return q
    }()

    /// The name of the queue we are on: "videokit-callbacks", "main", or "other".
    static var current: String {
        if let name = DispatchQueue.getSpecific(key: key) { return name }
        return Thread.isMainThread ? "main" : "other"
    }
}

/// The outcome of one `start`, captured from its completion.
struct Outcome {
    let state: VKSessionState
    let data: VKSessionData?
    let error: VKError?
    let queue: String
    let at: Date
}

/// A completion that can be waited for.
final class CompletionProbe {
    private let outcome = Locked<Outcome?>(nil)
    private let calls = Locked(0)
    private let done = DispatchSemaphore(value: 0)

    /// Pass this as the `completion:` of a `start`.
    var completion: VKSession.Completion {
        { [self] state, data, error in
            calls.update { $0 += 1 }
            if outcome.get() == nil {
                outcome.set(Outcome(state: state, data: data, error: error, queue: Callbacks.current, at: Date()))
                done.signal()
            }
        }
    }

    var callCount: Int { calls.get() }
    var isDone: Bool { outcome.get() != nil }

    /// Waits (blocking the test thread) for the completion.
    func wait(_ secs: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        if let o = outcome.get() { return o }
        guard done.wait(timeout: .now() + secs) == .success, let o = outcome.get() else {
            XCTFail("no completion within \(secs) s", file: file, line: line)
            throw TestFailure("no completion within \(secs) s")
        }
        done.signal()  // later waits return at once
        return o
    }
}

/// Records state changes from a listener.
final class StateRecorder {
    private let cond = NSCondition()
    private var queued: [VKStateChange] = []
    private var seen: [VKStateChange] = []
    private var queues: Set<String> = []

    /// Pass this to `addListener`.
    var listener: (VKStateChange) -> Void {
        { [self] change in
            cond.lock()
            queues.insert(Callbacks.current)
            seen.append(change)
            queued.append(change)
            cond.broadcast()
            cond.unlock()
        }
    }

    var all: [VKStateChange] {
        cond.lock()
        defer { cond.unlock() }
        return seen
    }
    var queueNames: Set<String> {
        cond.lock()
        defer { cond.unlock() }
        return queues
    }

    /// The next change, or nil after `secs`.
    func next(_ secs: TimeInterval = 15) -> VKStateChange? {
        let deadline = Date().addingTimeInterval(secs)
        cond.lock()
        defer { cond.unlock() }
        while queued.isEmpty {
            if !cond.wait(until: deadline) { return nil }
        }
        return queued.removeFirst()
    }

    /// The next `n` transitions (initial events skipped), within `secs`.
    func transitions(_ n: Int, _ secs: TimeInterval = 15) -> [VKSessionState] {
        let deadline = Date().addingTimeInterval(secs)
        var out: [VKSessionState] = []
        while out.count < n {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let c = next(left) else { break }
            if !c.isInitial { out.append(c.to) }
        }
        return out
    }

    /// Waits for a change to `state`.
    @discardableResult
    func waitFor(_ state: VKSessionState, _ secs: TimeInterval = 15, file: StaticString = #filePath, line: UInt = #line) -> VKStateChange? {
        let deadline = Date().addingTimeInterval(secs)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, let c = next(left) else {
                XCTFail("no change to \(state) within \(secs) s (seen: \(all.map { $0.to }))", file: file, line: line)
                return nil
            }
            if c.to == state { return c }
        }
    }
}

/// An in-memory VKSessionStore written in Swift, as an app would.
final class MapStore: VKSessionStore {
    let records: Locked<[String: Data]>
    let loads = Locked(0)
    let saves = Locked(0)

    init(_ initial: [String: Data] = [:]) { records = Locked(initial) }

    func load(key: String) throws -> Data? {
        loads.update { $0 += 1 }
        return records.get()[key]
    }
    func save(key: String, record: Data) throws {
        saves.update { $0 += 1 }
        records.update { $0[key] = record }
    }
    func clear(key: String) throws { records.update { _ = $0.removeValue(forKey: key) } }
}

/// Polls `body` until it is true or `secs` pass.
func eventually(_ secs: TimeInterval = 10, _ what: String, file: StaticString = #filePath, line: UInt = #line, _ body: () -> Bool) {
    let deadline = Date().addingTimeInterval(secs)
    while !body() {
        if Date() > deadline {
            XCTFail("not within \(secs) s: \(what)", file: file, line: line)
            return
        }
        Thread.sleep(forTimeInterval: 0.01)
    }
}

/// Base of every test class: the devserver reset and a fresh configuration per test.
class SessionTestCase: XCTestCase {
    var server: DevServer!
    var session: VKSession { VKSession.current }
    private var tokens: [VKListenerToken] = []

    /// The tests' defaults: the devserver as gateway, quick retries, callbacks on `Callbacks.queue`.
    func makeConfig(
        requestTimeout: TimeInterval = 5, startAttempts: Int = 1, store: VKSessionStore? = nil,
        gatewayURL: String? = nil, callbackQueue: DispatchQueue = Callbacks.queue
    ) -> VKConfiguration {
        VKConfiguration(
            gatewayURL: gatewayURL ?? server.base, connectTimeout: 2, requestTimeout: requestTimeout,
            startAttempts: startAttempts, maxRetryDelay: 0.2, store: store, callbackQueue: callbackQueue)
    }

    /// Adds a listener that is removed after the test (listeners outlive `configure`).
    @discardableResult
    func listen(_ recorder: StateRecorder) -> VKListenerToken {
        let t = session.addListener(recorder.listener)
        tokens.append(t)
        return t
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        server = try DevServer.shared.get()
        try server.reset()
        session.configure(makeConfig())
    }

    override func tearDown() {
        session.stop()
        for token in tokens { token.remove() }
        tokens.removeAll()
        super.tearDown()
    }

    /// `{base}/token/{identity}` as a URL on every OS version (`URL(string:)` before iOS 17 /
    /// macOS 14 refuses `{` and `}`; the SDK takes the placeholder percent-encoded too).
    var tokenURL: URL { URL(string: server.base + "/token/%7Bidentity%7D")! }
}
