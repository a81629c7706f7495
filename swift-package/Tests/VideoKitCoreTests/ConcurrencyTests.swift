import Foundation
import XCTest

@testable import VideoKitCore

/// 64 threads calling token()/state while the session renews underneath.
/// (Kotlin: ConcurrencyTest.)
final class ConcurrencyTests: SessionTestCase {

    func testSixtyFourThreadsCallingTokenAndState() throws {
        try server.tokenLifetime(2)  // renewals every ~1.8 s during the run
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        let threads = 64
        let runFor: TimeInterval = 4
        let problems = Locked<[String]>([])
        let calls = Locked(0)
        let group = DispatchGroup()
        let until = Date().addingTimeInterval(runFor)

        @Sendable func check(_ t: String?, _ how: String) {
            guard let t = t else {
                problems.update { $0.append("\(how): no token") }
                return
            }
            let sub = Jwt.sub(t)
            if sub != "alice" { problems.update { $0.append("\(how): token for '\(sub ?? "?")'") } }
            // Valid when handed out (exp has 1 s granularity).
            if let exp = Jwt.exp(t), exp.addingTimeInterval(1) < Date() {
                problems.update { $0.append("\(how): expired token (exp \(exp))") }
            }
        }

        for i in 0..<threads {
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                while Date() < until {
                    switch i % 4 {
                    case 0:
                        let got = Locked<String?>(nil)
                        let done = DispatchSemaphore(value: 0)
                        self.session.token { t, e in
                            if let e = e { problems.update { $0.append("token(completion:): \(e)") } }
                            got.set(t)
                            done.signal()
                        }
                        if done.wait(timeout: .now() + 10) != .success { problems.update { $0.append("token(completion:) hung") } }
                        check(got.get(), "token(completion:)")
                    case 1:
                        let s = self.session.state
                        if s != .active && s != .refreshing { problems.update { $0.append("state \(s)") } }
                        if let d = self.session.sessionData {
                            if d.identity != "alice" { problems.update { $0.append("sessionData for \(d.identity ?? "?")") } }
                        } else {
                            problems.update { $0.append("no sessionData") }
                        }
                    default:
                        do { check(try runBlocking(timeout: 10) { try await self.session.token() }, "token()") } catch {
                            problems.update { $0.append("token(): \(error)") }
                        }
                    }
                    calls.update { $0 += 1 }
                }
            }
            thread.name = "hammer-\(i)"
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + runFor + 30), .success, "deadlock? threads still running")
        XCTAssertTrue(problems.get().isEmpty, "problems (\(problems.get().count)): \(problems.get().prefix(10))")
        XCTAssertGreaterThan(calls.get(), 1_000, "made progress")
        let requests = try server.count("sessions")
        // One start + one renewal per ~1.8 s: single-flight, not one request per caller.
        XCTAssertTrue((2...8).contains(requests), "\(requests) requests for \(calls.get()) calls")
    }

    func testListenersAddedAndRemovedConcurrently() throws {
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            for _ in 0..<50 {
                let t = self.session.addListener { _ in }
                _ = self.session.state
                t.remove()
            }
        }
        XCTAssertEqual(session.state, .active)
    }

    func testStatesStreamsOpenedAndClosedConcurrently() throws {
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        let firsts = Locked<[VKSessionState]>([])
        _ = try runBlocking {
            await withTaskGroup(of: VKSessionState?.self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        for await s in self.session.states { return s }  // the current state, then the stream ends
                        return nil
                    }
                }
                for await s in group { if let s = s { firsts.update { $0.append(s) } } }
            }
        }
        XCTAssertEqual(firsts.get(), Array(repeating: VKSessionState.active, count: 32))
    }
}
