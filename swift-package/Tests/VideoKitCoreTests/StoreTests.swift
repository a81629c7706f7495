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
}
