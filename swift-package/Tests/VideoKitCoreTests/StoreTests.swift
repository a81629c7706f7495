import Foundation
import XCTest

@testable import VideoKitCore

/// A session store written in Swift: resume without a request, clear on stop, failures.
/// (Kotlin: StoreTest.)
final class StoreTests: SessionTestCase {

    func testAStoredSessionIsResumedWithoutARequest() throws {
        let store = MapStore()
        session.configure(makeConfig(store: store))
        let first = try runBlocking {
            try await self.session.start(apiToken: self.server.appToken, identity: "alice", scopes: ["videos.read"])
        }
        XCTAssertFalse(first.resumed)
        XCTAssertEqual(store.records.get().count, 1)
        XCTAssertEqual(try server.count("sessions"), 1)

        // "The app restarts": a new core over the persisted records (stop() would clear them).
        let persisted = MapStore(store.records.get())
        session.configure(makeConfig(store: persisted))
        let resumed = try runBlocking {
            try await self.session.start(apiToken: self.server.appToken, identity: "alice", scopes: ["videos.read"])
        }
        XCTAssertTrue(resumed.resumed)
        XCTAssertEqual(resumed.token, first.token)
        XCTAssertEqual(resumed.expiresAt, first.expiresAt)
        XCTAssertEqual(try server.count("sessions"), 1, "no request: counts unchanged")
        XCTAssertGreaterThanOrEqual(persisted.loads.get(), 1)

        // Another identity is not resumed from alice's record.
        let other = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "bob") }
        XCTAssertFalse(other.resumed)
        XCTAssertEqual(try server.count("sessions"), 2)
    }

    final class FixedStore: VKSessionStore {
        let data: Data
        init(_ data: Data) { self.data = data }
        func load(key: String) throws -> Data? { data }
        func save(key: String, record: Data) throws {}
        func clear(key: String) throws {}
    }

    /// From the outside test: a 64 MB record took seconds to cross the FFI before the core
    /// refused it. (Kotlin: anOversizedRecordIsCutAtTheFfiAndReplacedByANewSession.)
    func testAnOversizedRecordIsCutAtTheFfiAndReplacedByANewSession() throws {
        let big = Data(repeating: 0x41, count: 8 << 20)
        XCTAssertEqual(try StoreAdapter(FixedStore(big)).load(key: "k")?.count, 64 * 1024 + 1)
        XCTAssertEqual(try StoreAdapter(FixedStore(Data(count: 10))).load(key: "k"), Data(count: 10))

        let store = MapStore()
        session.configure(makeConfig(store: store))
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        let key = try XCTUnwrap(store.records.get().keys.first)
        let planted = MapStore([key: big])
        session.configure(makeConfig(store: planted))
        let second = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        XCTAssertFalse(second.resumed)
        XCTAssertEqual(try server.count("sessions"), 2)
        let record = try XCTUnwrap(planted.records.get()[key])
        XCTAssertLessThan(record.count, 4096)
        XCTAssertTrue(String(decoding: record, as: UTF8.self).contains(second.token))
    }

    /// Calls back into its session from the store: `state` in `load`, `stop()` in `clear`.
    final class ReentrantStore: VKSessionStore, @unchecked Sendable {
        let inner = MapStore()
        weak var session: VKSession?
        func load(key: String) throws -> Data? {
            _ = session?.state
            return try inner.load(key: key)
        }
        func save(key: String, record: Data) throws { try inner.save(key: key, record: record) }
        func clear(key: String) throws {
            session?.stop()
            try inner.clear(key: key)
        }
    }

    /// From the outside test (D6): a store calling back into its session (stop() in clear)
    /// hung it. (Kotlin: aStoreThatCallsBackIntoItsSessionDoesNotHangIt.)
    func testAStoreThatCallsBackIntoItsSessionDoesNotHangIt() throws {
        let store = ReentrantStore()
        var config = makeConfig(store: store)
        config.name = "reentrant"
        let s = VKSession(configuration: config)
        store.session = s
        _ = try runBlocking { try await s.start(apiToken: self.server.appToken, identity: "alice") }
        let stopped = DispatchSemaphore(value: 0)
        Thread {
            s.stop()
            stopped.signal()
        }.start()
        XCTAssertEqual(stopped.wait(timeout: .now() + 10), .success, "stop() hung on a clear that calls stop()")
        XCTAssertEqual(s.state, .stopped)
        eventually(10, "the record cleared") { store.inner.records.get().isEmpty }
    }

    func testStopClearsTheStoredSession() throws {
        let store = MapStore()
        session.configure(makeConfig(store: store))
        _ = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        XCTAssertEqual(store.records.get().count, 1)
        session.stop()
        XCTAssertEqual(store.records.get().count, 0)
    }

    struct DiskOnFire: Error {}

    final class BrokenStore: VKSessionStore {
        func load(key: String) throws -> Data? { throw DiskOnFire() }
        func save(key: String, record: Data) throws { throw VKError(kind: .storage, detail: "disk full") }
        func clear(key: String) throws { throw CocoaError(.fileWriteNoPermission) }
    }

    func testAFailingStoreNeverStopsTheSession() throws {
        session.configure(makeConfig(store: BrokenStore()))
        let data = try runBlocking { try await self.session.start(apiToken: self.server.appToken, identity: "alice") }
        XCTAssertEqual(session.state, .active)
        XCTAssertEqual(try runBlocking { try await self.session.token() }, data.token)
        session.stop()
        XCTAssertEqual(session.state, .stopped)
    }

    /// The Keychain store round-trips (on an iOS simulator or device; a macOS test runner is not
    /// signed with a Keychain entitlement, and Linux has no Keychain).
    func testKeychainStoreRoundTrips() throws {
        #if canImport(Security) && os(iOS)
            let store = VKKeychainStore(service: "io.videokit.session.tests")
            try store.clear(key: "k")
            XCTAssertNil(try store.load(key: "k"))
            try store.save(key: "k", record: Data("one".utf8))
            try store.save(key: "k", record: Data("two".utf8))
            XCTAssertEqual(try store.load(key: "k"), Data("two".utf8))
            try store.clear(key: "k")
            XCTAssertNil(try store.load(key: "k"))
        #else
            throw XCTSkip("Keychain: needs iOS (the Security framework with a Keychain entitlement)")
        #endif
    }

    /// A token provider with no identity, as two sessions of one app might each have.
    final class FixedProvider: VKTokenProvider {
        let token: String
        let calls = Locked(0)
        init(_ token: String) { self.token = token }

        func fetchToken(identity: String?) async throws -> VKProvidedToken {
            calls.update { $0 += 1 }
            return VKProvidedToken(token: token, expiresAt: Date().addingTimeInterval(3600))
        }
    }

    func testNamedSessionsSharingAStoreKeepTheirOwnRecords() throws {
        let store = MapStore()
        let ks = FixedProvider("ks-token")
        let vsdk = FixedProvider("videosdk-token")
        func named(_ name: String) -> VKConfiguration {
            var c = makeConfig(store: store)
            c.name = name
            return c
        }
        let kaltura = VKSession(configuration: named("kaltura"))
        let videoSdk = VKSession(configuration: VKConfiguration(store: store, name: "videosdk"))
        XCTAssertEqual(try runBlocking { try await kaltura.start(provider: ks) }.token, "ks-token")
        let own = try runBlocking { try await videoSdk.start(provider: vsdk) }
        XCTAssertEqual(own.token, "videosdk-token")
        XCTAssertFalse(own.resumed)
        XCTAssertEqual(Set(store.records.get().keys.map { $0.prefix { $0 != "." } }), ["kaltura", "videosdk"])
        XCTAssertEqual(store.records.get().count, 2)
        // "The app restarts" (stop() would clear the records): each name resumes its own
        // token, and stopping one keeps the other's record.
        let persisted = MapStore(store.records.get())
        kaltura.stop()
        videoSdk.stop()
        XCTAssertEqual(store.records.get().count, 0)
        func restarted(_ name: String) -> VKConfiguration {
            var c = makeConfig(store: persisted)
            c.name = name
            return c
        }
        let kaltura2 = VKSession(configuration: restarted("kaltura"))
        let videoSdk2 = VKSession(configuration: restarted("videosdk"))
        defer { videoSdk2.stop() }
        let k = try runBlocking { try await kaltura2.start(provider: ks) }
        XCTAssertEqual(k.token, "ks-token")
        XCTAssertTrue(k.resumed)
        kaltura2.stop()
        XCTAssertEqual(persisted.records.get().keys.map { String($0.prefix { $0 != "." }) }, ["videosdk"])
        let v = try runBlocking { try await videoSdk2.start(provider: vsdk) }
        XCTAssertEqual(v.token, "videosdk-token")
        XCTAssertTrue(v.resumed)
        XCTAssertEqual(ks.calls.get(), 1)
        XCTAssertEqual(vsdk.calls.get(), 1)
    }

    func testASessionNameWithOtherCharactersIsInvalidArgument() throws {
        var c = makeConfig()
        c.name = "kaltura.ks"
        session.configure(c)
        let e = vkError { try await self.session.start(provider: FixedProvider("t")) }
        XCTAssertEqual(e?.kind, .invalidArgument)
        XCTAssertEqual(e?.detail, "a session name must be 1 to 64 letters, digits, '_' or '-'")
        XCTAssertEqual(session.lastError?.kind, .invalidArgument)
    }

    /// A store whose loads wait until released (a Keychain that takes its time).
    final class SlowStore: VKSessionStore, @unchecked Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        func load(key: String) throws -> Data? {
            entered.signal()
            _ = release.wait(timeout: .now() + 20)
            release.signal()  // later loads pass
            return nil
        }
        func save(key: String, record: Data) throws {}
        func clear(key: String) throws {}
    }

    func testASlowStoreHoldsUpOnlyItsOwnSession() throws {
        let slow = SlowStore()
        var ca = makeConfig(store: slow)
        ca.name = "a"
        var cb = makeConfig(store: MapStore())
        cb.name = "b"
        let a = VKSession(configuration: ca)
        let b = VKSession(configuration: cb)
        defer {
            slow.release.signal()
            a.stop()
            b.stop()
        }
        let aProbe = CompletionProbe()
        a.start(provider: FixedProvider("a-token"), completion: aProbe.completion)
        XCTAssertEqual(slow.entered.wait(timeout: .now() + 20), .success)
        let d = try runBlocking { try await b.start(provider: FixedProvider("b-token")) }
        XCTAssertEqual(d.token, "b-token")
        XCTAssertEqual(a.state, .starting, "b's first token while a's store is still held")
        slow.release.signal()
        XCTAssertEqual(try aProbe.wait().data?.token, "a-token")
    }
}
