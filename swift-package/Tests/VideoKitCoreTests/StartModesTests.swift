import Foundation
import XCTest

@testable import VideoKitCore

/// Every way to start a session: API token, session token, token URL, Swift providers.
/// (Kotlin: StartModesTest.)
final class StartModesTests: SessionTestCase {

    /// The seed's exact calls compile and work.
    func testSeedCalls() throws {
        let done = expectation(description: "completion")
        let seen = Locked<(VKSessionState, VKSessionData?, VKError?)?>(nil)
        VKSession.current.start(apiToken: server.appToken, identity: "alice") { (sessionState, sessionData, error) in
            seen.set((sessionState, sessionData, error))
            done.fulfill()
        }
        wait(for: [done], timeout: 20)
        let r = try XCTUnwrap(seen.get())
        XCTAssertEqual(r.0, .active)
        XCTAssertNil(r.2)
        let token = try XCTUnwrap(r.1?.token)

        VKSession.current.start(sessionToken: token)
        eventually(10, "the session-token session is active") {
            VKSession.current.sessionData?.source == .sessionToken && VKSession.current.state == .active
        }
        XCTAssertEqual(VKSession.current.sessionData?.token, token)
    }

    func testApiTokenWithCompletion() throws {
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", scopes: ["videos.read"], completion: probe.completion)
        let r = try probe.wait()
        XCTAssertNil(r.error, "error: \(String(describing: r.error))")
        XCTAssertEqual(r.state, .active)
        let data = try XCTUnwrap(r.data)
        XCTAssertEqual(data.identity, "alice")
        XCTAssertEqual(data.scopes, ["videos.read"])
        XCTAssertEqual(data.source, .apiToken)
        XCTAssertFalse(data.resumed)
        XCTAssertEqual(Jwt.sub(data.token), "alice")
        XCTAssertNotNil(data.expiresAt)
        XCTAssertEqual(r.queue, "videokit-callbacks", "completions run on the configured callback queue")
        XCTAssertFalse(data.description.contains(data.token), "description must not print the token")
        XCTAssertFalse(String(reflecting: data).contains(data.token), "debugDescription must not print the token")
        var dumped = ""
        dump(data, to: &dumped)
        XCTAssertFalse(dumped.contains(data.token), "dump() must not print the token")
        XCTAssertEqual(session.state, .active)
        XCTAssertEqual(session.sessionData, data)
        XCTAssertEqual(try runBlocking { try await self.session.token() }, data.token)
        XCTAssertEqual(try server.count("sessions"), 1)
        XCTAssertEqual(probe.callCount, 1)
    }

    func testApiTokenAsync() throws {
        let data = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        XCTAssertEqual(session.state, .active)
        XCTAssertEqual(data.identity, "alice")
        XCTAssertEqual(data.scopes, [])
        XCTAssertEqual(try runBlocking { try await self.session.token() }, data.token)
    }

    func testSessionTokenMode() throws {
        let token = try server.backendToken("bob")
        let data = try runBlocking { try await self.session.start(sessionToken: token) }
        XCTAssertEqual(data.token, token)
        XCTAssertEqual(data.source, .sessionToken)
        XCTAssertEqual(try runBlocking { try await self.session.token() }, token)
        XCTAssertEqual(data.expiresAt, Jwt.exp(token), "JWT exp read from the token")
        // A fixed token cannot be renewed.
        XCTAssertEqual(vkError { try await self.session.refresh() }?.kind, .invalidArgument)
        // And the completion form, from scratch.
        let probe = CompletionProbe()
        session.start(sessionToken: token, completion: probe.completion)
        let r = try probe.wait()
        XCTAssertEqual(r.state, .active)
        XCTAssertEqual(r.data?.token, token)
    }

    func testTokenURLMode() throws {
        let probe = CompletionProbe()
        session.start(tokenURL: tokenURL, identity: "carol", headers: ["X-App-Auth": "app-secret"], completion: probe.completion)
        let r = try probe.wait()
        XCTAssertNil(r.error, "error: \(String(describing: r.error))")
        XCTAssertEqual(r.state, .active)
        XCTAssertEqual(r.data?.source, .backend)
        XCTAssertEqual(Jwt.sub(r.data?.token ?? ""), "carol")
        XCTAssertEqual(try server.count("token"), 1)
        // Renewal on demand fetches from the backend again.
        let renewed = try runBlocking { try await self.session.refresh() }
        XCTAssertEqual(Jwt.sub(renewed.token), "carol")
        XCTAssertEqual(try server.count("token"), 2)
        // The async form, with an identity that needs percent-encoding.
        let d = try runBlocking { try await self.session.start(tokenURL: self.tokenURL, identity: "carol smith/2") }
        XCTAssertEqual(Jwt.sub(d.token), "carol smith/2")
        XCTAssertEqual(d.identity, "carol smith/2")
    }

    /// A provider as an app writes it: its own HTTP call to its own backend.
    final class BackendProvider: VKTokenProvider {
        let base: String
        let calls = Locked(0)
        init(base: String) { self.base = base }

        func fetchToken(identity: String?) async throws -> VKProvidedToken {
            calls.update { $0 += 1 }
            let id = (identity ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let data = try await httpGet(URL(string: "\(base)/token/\(id)")!)
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            guard let token = json?["sessionToken"] as? String else {
                throw VKError(kind: .malformedResponse, detail: "no sessionToken")
            }
            return VKProvidedToken(token: token)  // expiry read from the JWT's exp
        }
    }

    func testCustomSwiftProvider() throws {
        let provider = BackendProvider(base: server.base)
        let data = try runBlocking { try await self.session.start(provider: provider, identity: "dave") }
        XCTAssertEqual(data.source, .custom)
        XCTAssertEqual(Jwt.sub(data.token), "dave")
        XCTAssertEqual(data.expiresAt, Jwt.exp(data.token))
        XCTAssertEqual(provider.calls.get(), 1)
        _ = try runBlocking { try await self.session.refresh() }
        XCTAssertEqual(provider.calls.get(), 2, "refresh calls the provider again")
        XCTAssertEqual(Jwt.sub(try runBlocking { try await self.session.token() }), "dave")
        // The completion form.
        let probe = CompletionProbe()
        session.start(provider: provider, identity: "erin", completion: probe.completion)
        let r = try probe.wait()
        XCTAssertEqual(r.state, .active)
        XCTAssertEqual(Jwt.sub(r.data?.token ?? ""), "erin")
    }

    final class RefusingProvider: VKTokenProvider {
        let calls = Locked(0)
        func fetchToken(identity: String?) async throws -> VKProvidedToken {
            calls.update { $0 += 1 }
            throw VKError(kind: .unauthorized, detail: "the app's backend said no", code: "no_user", httpStatus: 401)
        }
    }

    func testProviderThrowingUnauthorizedStopsAtOnce() throws {
        let provider = RefusingProvider()
        session.configure(makeConfig(startAttempts: 4))
        let probe = CompletionProbe()
        session.start(provider: provider, identity: "frank", completion: probe.completion)
        let r = try probe.wait()
        XCTAssertEqual(r.state, .failed)
        XCTAssertNil(r.data)
        XCTAssertEqual(r.error?.kind, .unauthorized)
        XCTAssertEqual(r.error?.code, "no_user")
        XCTAssertEqual(r.error?.httpStatus, 401)
        XCTAssertEqual(provider.calls.get(), 1, "terminal: no retry")
        XCTAssertEqual(session.state, .failed)
        XCTAssertEqual(session.lastError?.kind, .unauthorized)
    }

    struct AppError: Error, CustomStringConvertible {
        var description: String { "backend down; secret=hunter2" }
    }

    final class FailingProvider: VKTokenProvider {
        let calls = Locked(0)
        func fetchToken(identity: String?) async throws -> VKProvidedToken {
            calls.update { $0 += 1 }
            throw AppError()
        }
    }

    func testProviderThrowingAnythingElseIsRetriedThenFails() throws {
        let provider = FailingProvider()
        session.configure(makeConfig(startAttempts: 2))
        let e = vkError { try await self.session.start(provider: provider, identity: "gina") }
        XCTAssertEqual(e?.kind, .network, "an unexpected error is transient")
        XCTAssertEqual(provider.calls.get(), 2, "retried up to startAttempts")
        XCTAssertFalse(e?.detail.contains("hunter2") ?? true, "the app's error text (could hold a secret) is not passed on")
        XCTAssertEqual(session.state, .failed)
    }

    func testStartAgainReplacesTheRunningSession() throws {
        let first = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "ivy") }
        let second = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "jack") }
        XCTAssertEqual(first.identity, "ivy")
        XCTAssertEqual(second.identity, "jack")
        XCTAssertEqual(Jwt.sub(try runBlocking { try await self.session.token() }), "jack")
        XCTAssertEqual(try server.count("sessions"), 2)
    }

    func testTokenURLWithTheBracesTypedIn() throws {
        // URL(string:) accepts `{identity}` from iOS 17 / macOS 14 on; where it does, it works.
        guard let url = URL(string: server.base + "/token/{identity}") else {
            throw XCTSkip("URL(string:) refuses braces on this OS")
        }
        let d = try runBlocking { try await self.session.start(tokenURL: url, identity: "kim") }
        XCTAssertEqual(Jwt.sub(d.token), "kim")
    }
}
