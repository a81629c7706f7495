import Foundation
import XCTest

@testable import VideoKitCore

/// No call blocks the calling thread on network I/O, even when the backend stalls.
/// (Kotlin: NonBlockingTest.)
final class NonBlockingTests: SessionTestCase {

    func testStartReturnsAtOnceWhileTheBackendStalls() throws {
        // The backend accepts and then says nothing; the request times out at 3 s.
        session.configure(makeConfig(requestTimeout: 3))
        try server.fault("sessions", "stall", ["ms": 10000, "count": 1])
        let probe = CompletionProbe()
        let t0 = Date()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        let startTook = Date().timeIntervalSince(t0)
        XCTAssertLessThan(startTook, 0.2, "start returned after \(startTook) s")
        XCTAssertFalse(probe.isDone, "the completion comes later")

        // Everything else answers at once meanwhile.
        let t1 = Date()
        let st = session.state
        XCTAssertTrue(st == .starting || st == .idle, "state is \(st)")
        _ = session.sessionData
        _ = session.lastError
        let tokenResult = Locked<String?>(nil)
        let tokenDone = DispatchSemaphore(value: 0)
        session.token { token, error in
            tokenResult.set(token ?? error?.kind.wireName)
            tokenDone.signal()
        }
        XCTAssertLessThan(Date().timeIntervalSince(t1), 0.2, "state/sessionData/lastError/token(completion:) returned at once")
        XCTAssertFalse(probe.isDone)

        let r = try probe.wait(20)
        let doneAfter = r.at.timeIntervalSince(t0)
        XCTAssertGreaterThanOrEqual(doneAfter, 2.5, "the completion came after the request timeout")
        XCTAssertEqual(r.error?.kind, .timeout)
        XCTAssertEqual(r.state, .failed)
        XCTAssertEqual(tokenDone.wait(timeout: .now() + 5), .success, "the waiting token(completion:) got an answer too")
        XCTAssertNotNil(tokenResult.get())
    }

    func testEveryStartModeReturnsAtOnce() throws {
        session.configure(makeConfig(requestTimeout: 2))
        try server.fault("*", "stall", ["count": 10])
        let probes = (0..<4).map { _ in CompletionProbe() }
        let t0 = Date()
        session.start(apiToken: server.appToken, identity: "alice", completion: probes[0].completion)
        session.start(tokenURL: tokenURL, identity: "alice", completion: probes[1].completion)
        session.start(provider: StartModesTests.BackendProvider(base: server.base), identity: "alice", completion: probes[2].completion)
        session.start(sessionToken: "a.b.c", completion: probes[3].completion)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 0.2, "four starts returned at once")
        for p in probes { _ = try p.wait(30) }
    }

    func testCompletionsNeverRunOnTheCallersThread() throws {
        // Even a failure found before any I/O (empty identity) is delivered later, elsewhere.
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "", completion: probe.completion)
        let r = try probe.wait()
        XCTAssertEqual(r.error?.kind, .invalidArgument)
        XCTAssertEqual(r.queue, "videokit-callbacks")
    }
}
