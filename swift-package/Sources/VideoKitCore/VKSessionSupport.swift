import Foundation
import VideoKitFFI

#if canImport(UIKit)
    import UIKit
#elseif canImport(AppKit)
    import AppKit
#endif

/// The part of ``VKSession`` the rest of an app uses once the session is started: hand it
/// around as `any VKSessionProtocol` and give tests a mock.
public protocol VKSessionProtocol: AnyObject, Sendable {
    /// The current state, answered without I/O.
    var state: VKSessionState { get }
    /// The current session, or `nil`.
    var sessionData: VKSessionData? { get }
    /// The error behind the last failure, expiry or retry, or `nil`.
    var lastError: VKError? { get }
    /// The current state first, then every state change.
    var states: AsyncStream<VKSessionState> { get }
    /// Every new token from now on.
    var tokens: AsyncStream<VKTokenEvent> { get }
    /// A valid token, renewed when due.
    func token() async throws -> String
    /// Renew now.
    @discardableResult func refresh() async throws -> VKSessionData
    /// Stop the session.
    func stop()
    /// Re-check expiry now.
    func checkNow()
    /// Observe state changes on the callback queue.
    @discardableResult func addListener(_ listener: @escaping @Sendable (VKStateChange) -> Void) -> VKListenerToken
    /// Observe new tokens on the callback queue.
    @discardableResult func addTokenListener(_ listener: @escaping @Sendable (VKTokenEvent) -> Void) -> VKListenerToken
}

extension VKSession {
    /// A state listener registered in Rust (which keeps it across `configure` and sends the
    /// current state first), delivering on `queue`.
    func register(queue: DispatchQueue?, body: @escaping @Sendable (VKStateChange) -> Void) -> VKListenerToken {
        guard let n = native else { return VKListenerToken {} }
        let adapter = ListenerAdapter(queue: queue, body: body)
        let id = n.addListener(listener: adapter)
        return VKListenerToken { [weak n] in
            adapter.remove()
            n?.removeListener(id: id)
        }
    }

    func registerTokens(queue: DispatchQueue?, body: @escaping @Sendable (VKTokenEvent) -> Void) -> VKListenerToken {
        guard let n = native else { return VKListenerToken {} }
        let adapter = TokenListenerAdapter(queue: queue, body: body)
        let id = n.addTokenListener(listener: adapter)
        return VKListenerToken { [weak n] in
            adapter.remove()
            n?.removeTokenListener(id: id)
        }
    }
}

/// The newest snapshot Rust pushed or returned (highest version wins; equal: the later one),
/// and the token lease it carried, with deadlines on both clocks from its arrival.
final class SnapshotCache: @unchecked Sendable {
    private struct Lease {
        let token: String
        let version: UInt64
        let monoDeadline: UInt64
        let wallDeadlineMs: Int64
    }

    private let lock = NSLock()
    private var version: UInt64 = 0
    private var snapshot: VkSnapshot?
    private var converted: (state: VKSessionState, data: VKSessionData?, error: VKError?) = (.idle, nil, nil)
    private var lease: Lease?

    func apply(_ s: VkSnapshot) {
        let mono = DispatchTime.now().uptimeNanoseconds
        let wall = Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
        let converted = (VKSessionState(s.state), s.data.map(VKSessionData.init), s.lastError.map(VKError.init))
        lock.locked {
            guard snapshot == nil || s.version >= version else { return }
            version = s.version
            snapshot = s
            self.converted = converted
            if s.state == .active, s.leaseMs > 0, let d = s.data {
                let ms = min(s.leaseMs, 24 * 3600 * 1000)
                lease = Lease(token: d.token, version: s.version, monoDeadline: mono + ms * 1_000_000, wallDeadlineMs: wall + Int64(ms))
            } else {
                lease = nil
            }
        }
    }

    var state: VKSessionState { lock.locked { converted.state } }
    var sessionData: VKSessionData? { lock.locked { converted.data } }
    var lastError: VKError? { lock.locked { converted.error } }

    /// The leased token while the lease holds.
    func cachedToken() -> String? {
        guard let l = lock.locked({ lease.flatMap { $0.version == version ? $0 : nil } }) else { return nil }
        guard DispatchTime.now().uptimeNanoseconds < l.monoDeadline,
            Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) < l.wallDeadlineMs
        else { return nil }
        return l.token
    }
}

/// Rust's pushes into the cache (on an SDK thread).
final class SnapshotSink: VkSessionSink, @unchecked Sendable {
    private let cache: SnapshotCache
    init(_ cache: SnapshotCache) { self.cache = cache }
    func onSnapshot(snapshot: VkSnapshot) { cache.apply(snapshot) }
}

/// Hands Rust's calls to an app closure on its queue (`nil`: right here, in order), until removed.
class QueuedDelivery<T: Sendable>: @unchecked Sendable {
    private let queue: DispatchQueue?
    private let body: @Sendable (T) -> Void
    private let lock = NSLock()
    private var removed = false

    init(queue: DispatchQueue?, body: @escaping @Sendable (T) -> Void) {
        self.queue = queue
        self.body = body
    }

    func remove() { lock.locked { removed = true } }

    func deliver(_ value: T) {
        guard let queue = queue else {
            if !lock.locked({ removed }) { body(value) }
            return
        }
        queue.async { [self] in
            if !lock.locked({ removed }) { body(value) }
        }
    }
}

final class ListenerAdapter: QueuedDelivery<VKStateChange>, VkStateListener, @unchecked Sendable {
    func onStateChange(change: VkStateChange) throws { deliver(VKStateChange(change)) }
}

final class TokenListenerAdapter: QueuedDelivery<VKTokenEvent>, VkTokenListener, @unchecked Sendable {
    func onToken(event: VkTokenEvent) { deliver(VKTokenEvent(event)) }
}

/// Calls `onActive` when the app (iOS: the app or a scene; macOS: the app) becomes active.
final class ForegroundObserver: @unchecked Sendable {
    /// The notifications it listens to on this platform (none on Linux).
    static var names: [Notification.Name] {
        #if canImport(UIKit)
            return [UIApplication.didBecomeActiveNotification, UIScene.didActivateNotification]
        #elseif canImport(AppKit)
            return [NSApplication.didBecomeActiveNotification]
        #else
            return []
        #endif
    }

    private var observers: [NSObjectProtocol] = []

    init(
        center: NotificationCenter = .default, names: [Notification.Name] = ForegroundObserver.names,
        _ onActive: @escaping @Sendable () -> Void
    ) {
        observers = names.map { center.addObserver(forName: $0, object: nil, queue: nil) { _ in onActive() } }
    }

    deinit {
        for o in observers { NotificationCenter.default.removeObserver(o) }
    }
}

extension NSLock {
    /// `body` under the lock. A synchronous function, so callable from async code (where
    /// `lock()`/`unlock()` are unavailable in Swift 6).
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock()
        defer { unlock() }
        return try body()
    }
}
