import Foundation
import XCTest

@testable import VideoKitCore

/// What the Rust session manager gives the Swift layer: starts visible at once, token events,
/// several sessions, cancellation, the shared error table, the foreground hook. (Kotlin:
/// SessionManagerTest, ErrorTableTest.)
final class SessionManagerTests: SessionTestCase {

    func testAStartIsStartingWhenItReturnsAndAStopIsStopped() throws {
        try server.fault("sessions", "delay", ["ms": 300, "count": 1])
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        XCTAssertEqual(session.state, .starting, "no FFI call, no waiting: the start has begun")
        XCTAssertNil(session.sessionData)
        session.stop()
        XCTAssertEqual(session.state, .stopped)
        XCTAssertEqual(try probe.wait().error?.kind, .cancelled)
        XCTAssertEqual(session.state, .stopped, "the stopped start does not come back")
    }

    func testEveryNewTokenIsOneTokenEventOnTheListenerAndTheStream() throws {
        try server.tokenLifetime(3)  // renewed 0.3 s before expiry
        let heard = Locked<[VKTokenEvent]>([])
        let listener = session.addTokenListener { e in heard.update { $0.append(e) } }
        defer { listener.remove() }
        let streamed = Locked<[String]>([])
        let stream = session.tokens
        let reader = Task { for await e in stream { streamed.update { $0.append(e.token) } } }
        defer { reader.cancel() }

        let first = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        // Tokens are signed per second: a server clock ahead makes the refresh's token differ.
        try server.config(["clock_offset_secs": 10])
        let refreshed = try runBlocking { try await self.session.refresh() }
        eventually(10, "the renewal's token") { heard.get().count >= 3 }
        let tokens = heard.get().map(\.token)
        XCTAssertEqual(Array(tokens.prefix(2)), [first.token, refreshed.token])
        XCTAssertEqual(Set(tokens).count, tokens.count, "each new token once")
        XCTAssertEqual(heard.get()[1].expiresAt, refreshed.expiresAt)
        XCTAssertFalse("\(heard.get()[0])".contains(first.token), "the description hides the token")
        eventually(5, "the stream saw the same tokens") { streamed.get().count >= 3 }
        XCTAssertEqual(Array(streamed.get().prefix(3)), Array(tokens.prefix(3)))
    }

    func testAKalturaAndAVideoSdkSessionRunAtOnceEachRenewingOnItsOwn() throws {
        try server.config(["videosdk_lifetime_secs": 3, "kaltura_app_token_id": "0_xeu31jy5", "kaltura_session_duration_secs": 3])
        defer {
            try? server.config([
                "videosdk_lifetime_secs": 600, "kaltura_app_token_id": "0_xeu31jy5", "kaltura_session_duration_secs": 86_400,
            ])
        }
        let k = VKSession(configuration: makeConfig())
        let v = VKSession(configuration: makeConfig())
        defer {
            k.stop()
            v.stop()
        }
        let kTokens = Locked<[VKTokenEvent]>([])
        let vTokens = Locked<[VKTokenEvent]>([])
        let lk = k.addTokenListener { e in kTokens.update { $0.append(e) } }
        let lv = v.addTokenListener { e in vTokens.update { $0.append(e) } }
        defer {
            lk.remove()
            lv.remove()
        }
        let kaltura = VKKalturaConfiguration(
            partnerId: 1_851_571, appTokenId: "0_xeu31jy5", appToken: "c9883312395bf5ed4fd5c9a5d86c985c",
            serviceURL: URL(string: server.base)!, userId: "k-user")
        let ks = try runBlocking { try await k.start(kaltura: kaltura) }
        let url = URL(string: server.base + "/get-token")!
        let jwt = try runBlocking { try await v.start(videoSDKTokenURL: url, roomId: "r-1", participantId: "p-1") }
        XCTAssertEqual(ks.source, .kaltura)
        XCTAssertEqual(jwt.source, .videoSdk)
        eventually(15, "both renewed") { kTokens.get().count >= 2 && vTokens.get().count >= 2 }
        XCTAssertTrue(kTokens.get().allSatisfy { $0.data.source == .kaltura })
        XCTAssertTrue(vTokens.get().allSatisfy { $0.data.source == .videoSdk && $0.data.videoSdk?.roomId == "r-1" })
        XCTAssertEqual(session.state, .idle, "VKSession.current is a third, untouched session")
        k.stop()
        XCTAssertEqual(k.state, .stopped)
        XCTAssertEqual(v.state, .active, "stopping one leaves the other")
    }

    func testACancelledTokenWaiterReturnsCancelledAtOnceWhileTheFetchGoesOn() throws {
        try server.fault("sessions", "delay", ["ms": 1500, "count": 1])
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        let waiter = Task { () -> (VKError?, Date) in
            do {
                _ = try await self.session.token()
                return (nil, Date())
            } catch {
                return (VKError.from(error), Date())
            }
        }
        Thread.sleep(forTimeInterval: 0.1)  // the waiter is waiting for the start's token
        let cancelledAt = Date()
        waiter.cancel()
        let (error, endedAt) = try runBlocking { await waiter.value }
        XCTAssertEqual(error?.kind, .cancelled)
        XCTAssertLessThan(endedAt.timeIntervalSince(cancelledAt), 0.05, "returned within 50 ms")
        XCTAssertEqual(try probe.wait().state, .active, "the start the waiter gave up on went on")
        XCTAssertEqual(try server.count("sessions"), 1)
    }

    func testCancellingTheTaskAwaitingAStartStopsTheStart() throws {
        try server.fault("sessions", "delay", ["ms": 1500, "count": 1])
        let starter = Task { () -> VKError? in
            do {
                _ = try await self.session.start(apiToken: self.server.appToken, identity: "alice")
                return nil
            } catch {
                return VKError.from(error)
            }
        }
        eventually(5, "starting") { session.state == .starting }
        starter.cancel()
        XCTAssertEqual(try runBlocking { await starter.value }?.kind, .cancelled)
        eventually(5, "stopped") { session.state == .stopped }
    }

    /// testdata/error-kinds.json: the same fault, the same kind, on every platform.
    func testTheSharedErrorTable() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("testdata/error-kinds.json")
        let table = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(table["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 13)
        for c in cases {
            let name = c["name"] as? String ?? "?"
            try server.reset()
            if let fault = c["fault"] as? [String: Any], let route = fault["route"] as? String, let kind = fault["kind"] as? String {
                try server.fault(route, kind, fault.filter { $0.key != "route" && $0.key != "kind" })
            }
            session.configure(makeConfig(requestTimeout: c["request_timeout_s"] as? Double ?? 5))
            let probe = CompletionProbe()
            session.start(apiToken: c["app_token"] as? String ?? server.appToken, identity: "alice", completion: probe.completion)
            let r = try probe.wait(30)
            if let kind = c["kind"] as? String {
                XCTAssertEqual(r.error?.kind.rawValue, kind, name)
                XCTAssertEqual(r.state, .failed, name)
                XCTAssertEqual(session.lastError?.kind.rawValue, kind, name)
                if let status = c["http_status"] as? Int { XCTAssertEqual(r.error?.httpStatus, status, name) }
            } else {
                XCTAssertNil(r.error, name)
                XCTAssertEqual(r.state, .active, name)
            }
            session.stop()
        }
    }

    func testDumpingTheSessionNeverShowsTheToken() throws {
        let data = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        var dumped = ""
        dump(session, to: &dumped)
        XCTAssertTrue(dumped.contains("active"), dumped)
        XCTAssertFalse(dumped.contains(data.token), "dump(VKSession) hides the token")
    }

    func testTheForegroundObserverCallsBackOnActivation() {
        let name = Notification.Name("VideoKitTestsDidBecomeActive")
        let calls = Locked(0)
        let observer = ForegroundObserver(names: [name]) { calls.update { $0 += 1 } }
        NotificationCenter.default.post(name: name, object: nil)
        NotificationCenter.default.post(name: name, object: nil)
        XCTAssertEqual(calls.get(), 2)
        withExtendedLifetime(observer) {}
    }

    func testThePlatformsActivationNotificationsAreObserved() throws {
        #if canImport(UIKit) || canImport(AppKit)
            XCTAssertFalse(ForegroundObserver.names.isEmpty)
        #else
            throw XCTSkip("foreground: UIKit (app and scene activation) or AppKit (app activation) only")
        #endif
    }

    func testAMockCanStandInForTheSessionThroughTheProtocol() async throws {
        final class Mock: VKSessionProtocol, @unchecked Sendable {
            var state: VKSessionState { .active }
            var sessionData: VKSessionData? { nil }
            var lastError: VKError? { nil }
            var states: AsyncStream<VKSessionState> { AsyncStream { $0.yield(.active) } }
            var tokens: AsyncStream<VKTokenEvent> { AsyncStream { $0.finish() } }
            func token() async throws -> String { "mock-token" }
            func refresh() async throws -> VKSessionData {
                VKSessionData(identity: "alice", token: "mock-token-2", expiresAt: nil, source: .custom)
            }
            func stop() {}
            func checkNow() {}
            func addListener(_ listener: @escaping @Sendable (VKStateChange) -> Void) -> VKListenerToken { VKListenerToken {} }
            func addTokenListener(_ listener: @escaping @Sendable (VKTokenEvent) -> Void) -> VKListenerToken { VKListenerToken {} }
        }
        func authorize(_ s: any VKSessionProtocol) async throws -> String { "Bearer " + (try await s.token()) }
        let header = try await authorize(Mock())
        XCTAssertEqual(header, "Bearer mock-token")
        let renewed = try await Mock().refresh()
        XCTAssertEqual(VKTokenEvent(data: renewed).token, "mock-token-2")
        let real: any VKSessionProtocol = session
        XCTAssertEqual(real.state, .idle)
    }
}
