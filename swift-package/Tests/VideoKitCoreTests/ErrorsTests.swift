import Foundation
import XCTest

@testable import VideoKitCore

/// The error kind of every devserver fault, through the Swift layer. (Kotlin: ErrorsTest.)
final class ErrorsTests: SessionTestCase {

    private func startApi(identity: String = "alice", appToken: String? = nil) throws -> Outcome {
        let probe = CompletionProbe()
        session.start(apiToken: appToken ?? server.appToken, identity: identity, completion: probe.completion)
        return try probe.wait(30)
    }

    private func assertFailed(_ r: Outcome, _ kind: VKErrorKind, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNil(r.data, "no data on failure", file: file, line: line)
        XCTAssertEqual(r.error?.kind, kind, "error: \(String(describing: r.error))", file: file, line: line)
        XCTAssertEqual(r.state, .failed, file: file, line: line)
        XCTAssertEqual(session.state, .failed, file: file, line: line)
        XCTAssertEqual(session.lastError?.kind, kind, file: file, line: line)
    }

    func testWrongAppTokenIsUnauthorized() throws {
        let r = try startApi(appToken: "vk_wrong_app_token")
        assertFailed(r, .unauthorized)
        XCTAssertEqual(r.error?.httpStatus, 401)
        XCTAssertFalse(r.error?.detail.contains("vk_wrong_app_token") ?? true, "no secret in the detail")
        XCTAssertFalse(r.error.map { "\($0)" }?.contains("vk_wrong_app_token") ?? true, "no secret in the description")
        XCTAssertFalse(r.error?.localizedDescription.contains("vk_wrong_app_token") ?? true)
        // token() after a terminal failure reports that failure.
        XCTAssertEqual(vkError { try await self.session.token() }?.kind, .unauthorized)
    }

    func testMalformedResponse() throws {
        try server.fault("sessions", "malformed", ["count": 1])
        assertFailed(try startApi(), .malformedResponse)
    }

    func testOversizeResponseIsMalformed() throws {
        try server.fault("sessions", "oversize", ["count": 1])
        assertFailed(try startApi(), .malformedResponse)
    }

    func testTruncatedBodyIsMalformed() throws {
        try server.fault("sessions", "truncated", ["count": 1])
        assertFailed(try startApi(), .malformedResponse)
    }

    func testInvalidUTF8IsMalformed() throws {
        try server.fault("sessions", "invalid_utf8", ["count": 1])
        assertFailed(try startApi(), .malformedResponse)
    }

    func testProxyHTMLErrorPageIsHTTPStatus() throws {
        // A proxy's 502 page in front of a dead backend: a (transient) HTTP status error.
        try server.fault("sessions", "html", ["count": 1])
        let r = try startApi()
        assertFailed(r, .httpStatus)
        XCTAssertEqual(r.error?.httpStatus, 502)
    }

    func testWrongContentTypeWithAValidBodyIsAccepted() throws {
        try server.fault("sessions", "wrong_content_type", ["count": 1])
        let r = try startApi()
        XCTAssertNil(r.error, "error: \(String(describing: r.error))")
        XCTAssertEqual(r.state, .active)
    }

    func testSlowBodyPastTheRequestTimeoutIsTimeout() throws {
        session.configure(makeConfig(requestTimeout: 0.6))
        try server.fault("sessions", "slow_body", ["bytes_per_sec": 20, "count": 1])
        assertFailed(try startApi(), .timeout)
    }

    func testStalledBackendIsTimeout() throws {
        session.configure(makeConfig(requestTimeout: 0.5))
        try server.fault("sessions", "stall", ["count": 1])
        assertFailed(try startApi(), .timeout)
    }

    func testTokenURLFaultsToo() throws {
        try server.fault("token", "status", ["status": 403, "count": 1])
        let e = vkError { try await self.session.start(tokenURL: self.tokenURL, identity: "alice") }
        XCTAssertEqual(e?.kind, .unauthorized)
        XCTAssertEqual(e?.httpStatus, 403)
        XCTAssertEqual(session.state, .failed)
    }

    func testStatus503WithRetryAfterThenSuccess() throws {
        session.configure(makeConfig(startAttempts: 4))
        try server.fault("sessions", "status", ["status": 503, "retry_after": 1, "count": 1])
        let t0 = Date()
        let r = try startApi()
        let took = Date().timeIntervalSince(t0)
        XCTAssertNil(r.error, "error: \(String(describing: r.error))")
        XCTAssertEqual(r.state, .active)
        XCTAssertEqual(try server.count("sessions"), 2)
        XCTAssertGreaterThanOrEqual(took, 0.9, "Retry-After: 1 honoured")
    }

    func testLastErrorShowsTheFailedAttemptWhileAStartRetries() throws {
        // From the outside test: lastError stayed nil while a start retried.
        session.configure(makeConfig(startAttempts: 2))
        try server.fault("sessions", "status", ["status": 503, "retry_after": 2, "count": 1])
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        eventually(5, "lastError set while starting") { self.session.lastError != nil }
        XCTAssertEqual(session.state, .starting)
        XCTAssertEqual(session.lastError?.kind, .httpStatus)
        XCTAssertEqual(session.lastError?.httpStatus, 503)
        XCTAssertEqual(session.lastError?.detail, "the VideoKit gateway answered HTTP 503: fault injected: status 503")
        let r = try probe.wait(30)
        XCTAssertNotNil(r.data)
        XCTAssertEqual(session.state, .active)
        XCTAssertNil(session.lastError, "a success clears it")
    }

    func testStatus503ExhaustingAttemptsIsHTTPStatus() throws {
        session.configure(makeConfig(startAttempts: 2))
        try server.fault("sessions", "status", ["status": 503, "count": 5])
        let r = try startApi()
        assertFailed(r, .httpStatus)
        XCTAssertEqual(r.error?.httpStatus, 503)
        XCTAssertEqual(try server.count("sessions"), 2)
    }

    func testDroppedConnectionIsNetwork() throws {
        try server.fault("sessions", "drop", ["count": 1])
        assertFailed(try startApi(), .network)
    }

    func testDelayPastTheRequestTimeoutIsTimeout() throws {
        session.configure(makeConfig(requestTimeout: 0.4))
        try server.fault("sessions", "delay", ["ms": 3000, "count": 1])
        let t0 = Date()
        let r = try startApi()
        assertFailed(r, .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 2.5, "gave up at the timeout")
    }

    func testPlainHTTPToANonLoopbackHostIsInsecureTransport() throws {
        session.configure(makeConfig(gatewayURL: "http://videokit.example.com"))
        let r = try startApi()
        XCTAssertEqual(r.error?.kind, .insecureTransport)
        XCTAssertNil(r.data)
        // Refused before any session began: nothing failed, the state is unchanged.
        XCTAssertEqual(r.state, .idle)
        XCTAssertEqual(session.state, .idle)
        let e = vkError {
            try await self.session.start(tokenURL: URL(string: "http://backend.example.com/token/%7Bidentity%7D")!, identity: "alice")
        }
        XCTAssertEqual(e?.kind, .insecureTransport)
        XCTAssertEqual(try server.count("sessions"), 0)
    }

    func testEmptyIdentityIsInvalidArgument() throws {
        let r = try startApi(identity: "")
        XCTAssertEqual(r.error?.kind, .invalidArgument)
        XCTAssertNil(r.data)
        XCTAssertEqual(r.state, .idle)
        let e = vkError { try await self.session.start(tokenURL: self.tokenURL, identity: "") }
        XCTAssertEqual(e?.kind, .invalidArgument)
        XCTAssertEqual(try server.count("sessions") + server.count("token"), 0)
    }

    func testErrorKindsHaveStableWireNames() {
        XCTAssertEqual(VKErrorKind.httpStatus.wireName, "http_status")
        XCTAssertEqual(VKErrorKind.malformedResponse.rawValue, "malformed_response")
        XCTAssertEqual(VKErrorKind.from(wireName: "insecure_transport"), .insecureTransport)
        XCTAssertEqual(Set(VKErrorKind.allCases.map { $0.wireName }).count, 14)
        XCTAssertEqual(VKSessionState.refreshing.wireName, "refreshing")
        let e = VKError(kind: .rejected, detail: "no", code: "INVALID_APP_TOKEN_HASH", httpStatus: 200)
        XCTAssertEqual(e.description, "rejected (HTTP 200): no [INVALID_APP_TOKEN_HASH]")
        XCTAssertEqual(e.localizedDescription, e.description)
    }
}
