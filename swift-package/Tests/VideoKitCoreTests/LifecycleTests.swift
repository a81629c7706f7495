import Foundation
import XCTest

@testable import VideoKitCore

/// States in order, renewal, stop, listeners, the states stream, configuration.
/// (Kotlin: LifecycleTest.)
final class LifecycleTests: SessionTestCase {

    func testExactStateOrderWithRenewalAndStop() throws {
        try server.tokenLifetime(3)  // renewal lead = 10% of 3 s: renews at ~2.7 s
        let rec = StateRecorder()
        let token = listen(rec)
        let initial = try XCTUnwrap(rec.next(5))
        XCTAssertTrue(initial.isInitial, "the first event is the current state")
        XCTAssertEqual(initial.to, .idle)

        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        let first = try XCTUnwrap(try probe.wait().data)
        XCTAssertEqual(rec.transitions(4, 15), [.starting, .active, .refreshing, .active])
        let renewed = try XCTUnwrap(session.sessionData)
        XCTAssertEqual(try server.count("sessions"), 2)
        XCTAssertGreaterThan(renewed.expiresAt!, first.expiresAt!, "the renewed token expires later")
        XCTAssertEqual(try runBlocking { try await self.session.token() }, renewed.token)

        session.stop()
        XCTAssertEqual(rec.transitions(1), [.stopped])
        XCTAssertEqual(session.state, .stopped)
        XCTAssertNil(session.sessionData)
        // Every transition exactly once, numbered in order.
        let seqs = rec.all.filter { !$0.isInitial }.map { $0.seq }
        XCTAssertEqual(seqs, Array(Set(seqs)).sorted())
        XCTAssertEqual(rec.queueNames, ["videokit-callbacks"])
        token.remove()
    }

    func testTokenBeforeStartAndAfterStopIsNotStarted() throws {
        XCTAssertEqual(vkError { try await self.session.token() }?.kind, .notStarted, "before start")
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        session.stop()
        XCTAssertEqual(vkError { try await self.session.token() }?.kind, .notStarted, "after stop")
        // The completion form reports the same.
        XCTAssertEqual(tokenWithCompletion()()?.kind, .notStarted)
    }

    /// Calls `token(completion:)` now; the closure returned waits (at most 10 s) for its error.
    private func tokenWithCompletion() -> () -> VKError? {
        let got = Locked<VKError?>(nil)
        let done = DispatchSemaphore(value: 0)
        session.token { token, error in
            XCTAssertNil(token)
            got.set(error)
            done.signal()
        }
        return {
            XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
            return got.get()
        }
    }

    func testTokenWithACompletionTakesItsTurnWhenCalled() throws {
        // From the outside test (Kotlin; the same here): the completion form made its call from
        // a Task, which runs later, so a stop() made right after it overtook it: it ended
        // notStarted instead of cancelled.
        try server.fault("sessions", "stall", ["count": 1])
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        let tokenResult = tokenWithCompletion()
        session.stop()
        XCTAssertEqual(tokenResult()?.kind, .cancelled)
        XCTAssertEqual(try probe.wait(10).error?.kind, .cancelled)
    }

    func testStopCancelsAPendingStart() throws {
        try server.fault("sessions", "stall", ["count": 1])
        let rec = StateRecorder()
        listen(rec)
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        rec.waitFor(.starting)
        session.stop()
        let r = try probe.wait(10)
        XCTAssertEqual(r.error?.kind, .cancelled)
        XCTAssertEqual(r.state, .stopped)
        rec.waitFor(.stopped)
        XCTAssertEqual(probe.callCount, 1)
    }

    func testCallsRightAfterStartSeeTheNewSession() throws {
        // A stop() or a token() made right after start() is ordered after the start: it never
        // leaves a session running, and token() gets the new session's token.
        for i in 0..<50 {
            let probe = CompletionProbe()
            session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
            session.stop()
            let r = try probe.wait()
            XCTAssertTrue(r.error?.kind == .cancelled || r.state == .active, "round \(i): \(String(describing: r.error))")
            XCTAssertEqual(session.state, .stopped, "round \(i)")
        }
        for i in 0..<50 {
            session.start(apiToken: server.appToken, identity: "bob")
            XCTAssertEqual(Jwt.sub(try runBlocking { try await self.session.token() }), "bob", "round \(i)")
        }
    }

    func testStatesStreamFollowsTheSession() throws {
        let seen = Locked<[VKSessionState]>([])
        let stream = session.states
        let reader = Task {
            for await s in stream {
                seen.update { $0.append(s) }
                if s == .stopped { break }
            }
        }
        eventually(5, "the current state first") { seen.get().first == .idle }
        session.start(apiToken: server.appToken, identity: "alice")
        eventually(10, "active") { seen.get().contains(.active) }
        session.stop()
        eventually(10, "stopped") { seen.get().last == .stopped }
        reader.cancel()
        XCTAssertEqual(seen.get(), [.idle, .starting, .active, .stopped])
        XCTAssertEqual(session.state, .stopped)
    }

    func testAfterConfigureListenersEndOnTheNewCoresState() throws {
        // The old core's `stopped` and the new core's first event come from two SDK threads:
        // whatever their order, a listener's last state is the new core's.
        for round in 0..<20 {
            let last = Locked<VKSessionState?>(nil)
            let t = session.addListener { last.set($0.to) }
            _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
            eventually(10, "round \(round): active") { last.get() == .active }
            session.configure(makeConfig())
            eventually(5, "round \(round): idle") { last.get() == .idle }
            Thread.sleep(forTimeInterval: 0.1)  // a late `stopped` of the old core would land now
            Callbacks.queue.sync {}
            XCTAssertEqual(last.get(), .idle, "round \(round)")
            XCTAssertEqual(session.state, .idle)
            t.remove()
        }
    }

    func testAStatesStreamEndsWhenItsTaskIsCancelled() throws {
        let ended = DispatchSemaphore(value: 0)
        let reader = Task {
            for await _ in self.session.states {}
            ended.signal()
        }
        Thread.sleep(forTimeInterval: 0.1)
        reader.cancel()
        XCTAssertEqual(ended.wait(timeout: .now() + 5), .success, "the stream finishes on cancellation")
    }

    func testRefreshRenewsAndCheckNowIsHarmless() throws {
        let first = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        session.checkNow()
        XCTAssertEqual(try server.count("sessions"), 1, "nothing due: no request")
        let second = try runBlocking { try await self.session.refresh() }
        XCTAssertEqual(try server.count("sessions"), 2)
        XCTAssertEqual(second.identity, "alice")
        XCTAssertGreaterThanOrEqual(second.expiresAt!, first.expiresAt!)
        XCTAssertEqual(session.state, .active)
    }

    func testRemovedListenerGetsNothingMore() throws {
        let kept = StateRecorder()
        let removed = StateRecorder()
        listen(kept)
        let token = listen(removed)
        token.remove()
        token.remove()  // idempotent
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        kept.waitFor(.active)
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertTrue(removed.all.allSatisfy { $0.isInitial }, "the removed listener saw \(removed.all.map { $0.to })")
    }

    func testConfigureStopsTheRunningSessionAndKeepsListeners() throws {
        let rec = StateRecorder()
        listen(rec)
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        rec.waitFor(.active)
        session.configure(makeConfig(requestTimeout: 3))
        rec.waitFor(.stopped)
        XCTAssertEqual(session.state, .idle)
        XCTAssertEqual(session.configuration.requestTimeout, 3)
        // The listener now follows the new core.
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "bob") }
        rec.waitFor(.active)
    }

    func testInvalidConfigurationIsReportedByStart() throws {
        var zeroConnect = makeConfig()
        zeroConnect.connectTimeout = 0
        var negativeRequest = makeConfig()
        negativeRequest.requestTimeout = -1
        var noAttempts = makeConfig()
        noAttempts.startAttempts = 0
        var emptyGateway = makeConfig()
        emptyGateway.gatewayURL = " "
        var infiniteLead = makeConfig()
        infiniteLead.renewalLead = .infinity
        for (what, cfg) in [
            ("zero connect timeout", zeroConnect), ("negative request timeout", negativeRequest),
            ("no attempts", noAttempts), ("empty gateway", emptyGateway), ("infinite renewal lead", infiniteLead),
        ] {
            session.configure(cfg)
            XCTAssertEqual(session.lastError?.kind, .invalidArgument, what)
            XCTAssertEqual(session.state, .idle, what)
            let probe = CompletionProbe()
            session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
            XCTAssertEqual(try probe.wait().error?.kind, .invalidArgument, what)
            XCTAssertEqual(vkError { try await self.session.start(sessionToken: "a.b.c") }?.kind, .invalidArgument, what)
        }
        // A valid configuration makes it work again.
        session.configure(makeConfig())
        XCTAssertNil(session.lastError)
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        XCTAssertEqual(try server.count("sessions"), 1)
    }

    func testCallbacksRunOnTheGivenQueue() throws {
        let key = DispatchSpecificKey<Int>()
        let appQueue = DispatchQueue(label: "app-queue")
        appQueue.setSpecific(key: key, value: 1)
        session.configure(makeConfig(callbackQueue: appQueue))
        let onAppQueue = Locked<[Bool]>([])
        let t = session.addListener { _ in onAppQueue.update { $0.append(DispatchQueue.getSpecific(key: key) == 1) } }
        defer { t.remove() }
        let done = DispatchSemaphore(value: 0)
        session.start(apiToken: server.appToken, identity: "alice") { state, _, _ in
            XCTAssertEqual(state, .active)
            XCTAssertEqual(DispatchQueue.getSpecific(key: key), 1, "the completion runs on the app's queue")
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        eventually(5, "listener saw active") { onAppQueue.get().count >= 3 }
        XCTAssertTrue(onAppQueue.get().allSatisfy { $0 }, "every listener call runs on the app's queue")
    }

    func testCompletionsRunOnTheMainQueueByDefault() throws {
        session.configure(VKConfiguration(gatewayURL: server.base, requestTimeout: 5, startAttempts: 1))
        // "The main queue" by what it does, on every platform: work put on the default callback
        // queue runs on the main thread, where the main queue's own specific value is set. (On
        // Linux `DispatchQueue.main` returns a new wrapper object per access, so `===` says
        // nothing there.)
        let key = DispatchSpecificKey<String>()
        DispatchQueue.main.setSpecific(key: key, value: "main")
        defer { DispatchQueue.main.setSpecific(key: key, value: nil) }
        let probe = expectation(description: "the default queue is the main queue")
        session.configuration.callbackQueue.async {
            XCTAssertTrue(Thread.isMainThread)
            XCTAssertEqual(DispatchQueue.getSpecific(key: key), "main")
            probe.fulfill()
        }
        wait(for: [probe], timeout: 20)
        let done = expectation(description: "completion on main")
        session.start(apiToken: server.appToken, identity: "alice") { state, _, _ in
            XCTAssertTrue(Thread.isMainThread)
            XCTAssertEqual(DispatchQueue.getSpecific(key: key), "main", "the completion runs on the main queue")
            XCTAssertEqual(state, .active)
            done.fulfill()
        }
        wait(for: [done], timeout: 20)  // runs the main run loop
        let tokenDone = expectation(description: "token completion on main")
        session.token { token, _ in
            XCTAssertTrue(Thread.isMainThread)
            XCTAssertNotNil(token)
            tokenDone.fulfill()
        }
        wait(for: [tokenDone], timeout: 20)
    }

    func testAThrowingOrSlowCallbackDoesNotBreakLaterCallbacks() throws {
        // Swift closures cannot throw into the SDK; a slow one only delays its own queue.
        let t = session.addListener { _ in Thread.sleep(forTimeInterval: 0.05) }
        defer { t.remove() }
        let probe = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "alice", completion: probe.completion)
        XCTAssertEqual(try probe.wait().state, .active)
        let probe2 = CompletionProbe()
        session.start(apiToken: server.appToken, identity: "bob", completion: probe2.completion)
        XCTAssertEqual(try probe2.wait().state, .active)
    }
}
