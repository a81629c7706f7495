import XCTest
@testable import VideoKitCore

/// Runs `videokit serve --port 0 --json` (the repository's CLI, built by
/// `cargo build -p videokit-cli`; override with VIDEOKIT_CLI) for the duration of a test.
final class DevServer {
    let process = Process()
    let baseURL: URL

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let cli = ProcessInfo.processInfo.environment["VIDEOKIT_CLI"] ?? root.appendingPathComponent("target/debug/videokit").path
        process.executableURL = URL(fileURLWithPath: cli)
        process.arguments = ["serve", "--port", "0", "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let line = pipe.fileHandleForReading.availableData
        let json = try JSONSerialization.jsonObject(with: line) as? [String: Any]
        guard let base = json?["base_url"] as? String, let url = URL(string: base) else {
            throw VKError(kind: .internal, detail: "videokit serve printed no base_url")
        }
        baseURL = url
    }

    func post(_ path: String, _ body: [String: Any]) async throws {
        var req = URLRequest(url: baseURL.appendingPathComponent(path))
        req.httpMethod = "POST"
        req.httpBody = try JSONSerialization.data(withJSONObject: body)
        _ = try await URLSession.shared.data(for: req)
    }

    func counts() async throws -> [String: Int] {
        let (data, _) = try await URLSession.shared.data(from: baseURL.appendingPathComponent("_control/counts"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Int]) ?? [:]
    }

    deinit { process.terminate() }
}

final class VKSessionTests: XCTestCase {
    var server: DevServer!

    override func setUpWithError() throws {
        server = try DevServer()
        VKSession.current.configure(VKConfiguration(gatewayURL: server.baseURL.absoluteString, requestTimeout: 3,
                                                    callbackQueue: DispatchQueue(label: "test.callbacks")))
    }

    override func tearDown() {
        VKSession.current.stop()
        server = nil
    }

    func testSeedCallStartsWithApiTokenAndIdentity() {
        let done = expectation(description: "completion")
        VKSession.current.start(apiToken: "vk_dev_app_token", identity: "alice") { (sessionState, sessionData, error) in
            XCTAssertEqual(sessionState, .active)
            XCTAssertNil(error)
            XCTAssertEqual(sessionData?.identity, "alice")
            XCTAssertFalse(sessionData?.token.isEmpty ?? true)
            XCTAssertFalse(sessionData!.description.contains(sessionData!.token), "description hides the token")
            done.fulfill()
        }
        wait(for: [done], timeout: 10)
    }

    func testAsyncStartModes() async throws {
        let d = try await VKSession.current.start(tokenURL: server.baseURL.appendingPathComponent("token/{identity}"), identity: "bob smith")
        XCTAssertEqual(d.identity, "bob smith")
        XCTAssertEqual(d.source, .backend)
        let fixed = try await VKSession.current.start(sessionToken: d.token)
        XCTAssertEqual(fixed.source, .sessionToken)
        do {
            _ = try await VKSession.current.refresh()
            XCTFail("a fixed token cannot be refreshed")
        } catch let e as VKError {
            XCTAssertEqual(e.kind, .invalidArgument)
        }
    }

    func testStateOrderWithRenewalAndStop() async throws {
        try await server.post("_control/config", ["token_lifetime_secs": 3])
        var seen: [VKSessionState] = []
        let token = VKSession.current.addListener { change in if !change.isInitial { seen.append(change.to) } }
        _ = try await VKSession.current.start(apiToken: "vk_dev_app_token", identity: "carol")
        for _ in 0..<100 where seen.count < 4 { try await Task.sleep(nanoseconds: 100_000_000) }
        VKSession.current.stop()
        for _ in 0..<20 where seen.count < 5 { try await Task.sleep(nanoseconds: 50_000_000) }
        token.remove()
        XCTAssertEqual(seen, [.starting, .active, .refreshing, .active, .stopped])
    }

    func testErrorKinds() async throws {
        do {
            _ = try await VKSession.current.start(apiToken: "wrong", identity: "dave")
            XCTFail("expected unauthorized")
        } catch let e as VKError {
            XCTAssertEqual(e.kind, .unauthorized)
            XCTAssertFalse(e.description.contains("wrong\""))
        }
        try await server.post("_control/faults", ["route": "token", "kind": "malformed"])
        do {
            _ = try await VKSession.current.start(tokenURL: server.baseURL.appendingPathComponent("token/{identity}"), identity: "erin")
            XCTFail("expected malformed_response")
        } catch let e as VKError {
            XCTAssertEqual(e.kind, .malformedResponse)
        }
        do {
            _ = try await VKSession.current.start(tokenURL: URL(string: "http://videokit.example/token/{identity}")!, identity: "x")
            XCTFail("expected insecure_transport")
        } catch let e as VKError {
            XCTAssertEqual(e.kind, .insecureTransport)
        }
    }

    func testStartReturnsAtOnceWhileTheBackendStalls() async throws {
        try await server.post("_control/faults", ["route": "sessions", "kind": "stall", "count": 5])
        let done = expectation(description: "completion")
        let t0 = Date()
        VKSession.current.start(apiToken: "vk_dev_app_token", identity: "frank") { _, _, error in
            XCTAssertEqual(error?.kind, .timeout)
            done.fulfill()
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.2, "start returned at once")
        await fulfillment(of: [done], timeout: 30)
    }

    final class Provider: VKTokenProvider {
        var calls = 0
        func fetchToken(identity: String?) async throws -> VKProvidedToken {
            calls += 1
            return VKProvidedToken(token: "custom-\(identity ?? "")-\(calls)")
        }
    }

    func testCustomProvider() async throws {
        let p = Provider()
        let d = try await VKSession.current.start(provider: p, identity: "gina")
        XCTAssertEqual(d.token, "custom-gina-1")
        let t = try await VKSession.current.token()
        XCTAssertEqual(t, "custom-gina-1")
    }

    func testKalturaColdStartAndRenewal() async throws {
        let cfg = VKKalturaConfiguration(partnerId: 1851571, appTokenId: "0_xeu31jy5", appToken: "c9883312395bf5ed4fd5c9a5d86c985c",
                                         serviceURL: server.baseURL, userId: "k-user")
        let d = try await VKSession.current.start(kaltura: cfg)
        XCTAssertEqual(d.kaltura?.partnerId, 1851571)
        XCTAssertEqual(d.kaltura?.userId, "k-user")
        _ = try await VKSession.current.refresh()
        let counts = try await server.counts()
        XCTAssertEqual(counts["kaltura.startWidgetSession"], 1)
        XCTAssertEqual(counts["kaltura.appToken.startSession"], 2)
        var wrong = cfg
        wrong.appToken = "0000000000000000deadbeefdeadbeef"
        do {
            _ = try await VKSession.current.start(kaltura: wrong)
            XCTFail("expected INVALID_APP_TOKEN_HASH")
        } catch let e as VKError {
            XCTAssertEqual(e.kind, .rejected)
            XCTAssertEqual(e.code, "INVALID_APP_TOKEN_HASH")
        }
    }

    func testVideoSdkTokenAndClaims() async throws {
        let d = try await VKSession.current.start(videoSDKTokenURL: server.baseURL.appendingPathComponent("get-token"),
                                                  roomId: "r-1", participantId: "p-1")
        let c = try XCTUnwrap(d.videoSdk)
        XCTAssertEqual(c.roomId, "r-1")
        XCTAssertTrue(c.canModerate)
        XCTAssertEqual(c.expiresAt!.timeIntervalSince(c.issuedAt!), 600)
        XCTAssertThrowsError(try VKVideoSdk.decode(token: "eyJhbGciOiJub25lIn0.eyJhcGlrZXkiOiJrIn0.")) { e in
            XCTAssertEqual((e as? VKError)?.kind, .invalidToken)
        }
    }
}
