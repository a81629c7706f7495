import Foundation
#if canImport(UIKit)
import UIKit
#endif

/// The app's video-backend session: one call to sign in, renewed by itself, never blocking
/// the calling thread.
///
/// ```swift
/// func application(_ application: UIApplication,
///                  didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]?) -> Bool {
///     VKSession.current.configure(VKConfiguration(store: VKKeychainStore()))
///     VKSession.current.start(apiToken: "…", identity: "alice") { (sessionState, sessionData, error) in
///         // main queue: .active and sessionData.token, or error.kind / error.detail
///     }
///     return true
/// }
/// ```
///
/// Completions and listeners run on ``VKConfiguration/callbackQueue`` (main by default).
/// Every `start` returns at once; the async variants suspend without blocking a thread.
public final class VKSession: @unchecked Sendable {
    /// The SDK's shared session.
    public static let current = VKSession()

    /// `(state, data, error)`: `data` on success, `error` on failure.
    public typealias Completion = (VKSessionState, VKSessionData?, VKError?) -> Void

    private let lock = NSLock()
    private var config = VKConfiguration()
    private var core: VkSessionCore?
    private var coreError: VKError?
    /// Bumped by every start and stop: a start that finishes after a later stop is undone.
    private var epoch: UInt64 = 0
    private var lastOpWasStop = false
    private var pending: Task<Void, Never>?
    private var listeners: [UUID: (adapter: ListenerAdapter, id: UInt64?)] = [:]
    #if canImport(UIKit)
    private var foregroundObserver: NSObjectProtocol?
    #endif

    private init() {
        #if canImport(UIKit)
        foregroundObserver = NotificationCenter.default.addObserver(
            forName: UIApplication.didBecomeActiveNotification, object: nil, queue: nil
        ) { [weak self] _ in self?.checkNow() }
        #endif
    }

    // MARK: Configuration

    /// Apply `configuration` (call before `start`). A running session is stopped; listeners
    /// stay registered. An invalid configuration is reported by the next `start`.
    public func configure(_ configuration: VKConfiguration) {
        lock.lock()
        let old = core
        config = configuration
        core = nil
        coreError = nil
        epoch &+= 1
        lastOpWasStop = true
        lock.unlock()
        old?.stop()
        _ = try? coreOrThrow()
    }

    /// The configuration in force.
    public var configuration: VKConfiguration {
        lock.lock(); defer { lock.unlock() }
        return config
    }

    private func coreOrThrow() throws -> VkSessionCore {
        lock.lock()
        defer { lock.unlock() }
        if let c = core { return c }
        let cfg = config
        setLogger(logger: LoggerAdapter(cfg.logger ?? VKOSLogLogger()), level: cfg.logLevel.ffi)
        do {
            let c = try VkSessionCore(config: cfg.ffi, store: cfg.store.map { StoreAdapter($0) })
            for (key, entry) in listeners {
                listeners[key] = (entry.adapter, c.addListener(listener: entry.adapter))
            }
            core = c
            return c
        } catch {
            throw VKError.from(error)
        }
    }

    // MARK: Starting (completion handlers)

    /// VideoKit API-token mode: `POST {gateway}/v1/sessions`. **Development only**: an app
    /// token shipped in an app can be extracted; production apps use ``start(tokenURL:identity:headers:completion:)``.
    public func start(apiToken: String, identity: String, scopes: [String] = [], completion: Completion? = nil) {
        launch(completion) { try await $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// A session token the app already has (it cannot be renewed; the session expires with it).
    public func start(sessionToken: String, completion: Completion? = nil) {
        launch(completion) { try await $0.startSessionToken(sessionToken: sessionToken) }
    }

    /// The app's backend: `GET tokenURL` with `{identity}` filled in (percent-encoded) →
    /// `{"sessionToken": …, "expiresAt"?: …}`; `headers` (e.g. your own auth) are sent with
    /// every request and treated as secrets. Renewed before expiry.
    public func start(tokenURL: URL, identity: String, headers: [String: String] = [:], completion: Completion? = nil) {
        let template = tokenURL.absoluteString.removingPercentEncoding ?? tokenURL.absoluteString
        launch(completion) { try await $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
    }

    /// The app's own provider, called whenever a token is needed.
    public func start(provider: VKTokenProvider, identity: String? = nil, completion: Completion? = nil) {
        let adapter = ProviderAdapter(provider)
        launch(completion) { try await $0.startProvider(provider: adapter, identity: identity) }
    }

    /// A Kaltura Session (KS) through the appToken flow, renewed before it expires.
    public func start(kaltura: VKKalturaConfiguration, completion: Completion? = nil) {
        let cfg = kaltura.ffi
        launch(completion) { try await $0.startKaltura(config: cfg) }
    }

    /// A VideoSDK access token from the app's token server (`GET url[?roomId&participantId]` →
    /// `{"token"}`), checked and renewed before `exp`.
    public func start(videoSDKTokenURL: URL, roomId: String? = nil, participantId: String? = nil, completion: Completion? = nil) {
        let url = videoSDKTokenURL.absoluteString
        launch(completion) { try await $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }

    // MARK: Starting (async/await)

    /// `try await` variant of ``start(apiToken:identity:scopes:completion:)``.
    @discardableResult
    public func start(apiToken: String, identity: String, scopes: [String] = []) async throws -> VKSessionData {
        try await run { try await $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// `try await` variant of ``start(sessionToken:completion:)``.
    @discardableResult
    public func start(sessionToken: String) async throws -> VKSessionData {
        try await run { try await $0.startSessionToken(sessionToken: sessionToken) }
    }

    /// `try await` variant of ``start(tokenURL:identity:headers:completion:)``.
    @discardableResult
    public func start(tokenURL: URL, identity: String, headers: [String: String] = [:]) async throws -> VKSessionData {
        let template = tokenURL.absoluteString.removingPercentEncoding ?? tokenURL.absoluteString
        return try await run { try await $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
    }

    /// `try await` variant of ``start(provider:identity:completion:)``.
    @discardableResult
    public func start(provider: VKTokenProvider, identity: String? = nil) async throws -> VKSessionData {
        let adapter = ProviderAdapter(provider)
        return try await run { try await $0.startProvider(provider: adapter, identity: identity) }
    }

    /// `try await` variant of ``start(kaltura:completion:)``.
    @discardableResult
    public func start(kaltura: VKKalturaConfiguration) async throws -> VKSessionData {
        let cfg = kaltura.ffi
        return try await run { try await $0.startKaltura(config: cfg) }
    }

    /// `try await` variant of ``start(videoSDKTokenURL:roomId:participantId:completion:)``.
    @discardableResult
    public func start(videoSDKTokenURL: URL, roomId: String? = nil, participantId: String? = nil) async throws -> VKSessionData {
        let url = videoSDKTokenURL.absoluteString
        return try await run { try await $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }

    // MARK: Using the session

    /// A valid token: at once when the current one is valid, otherwise after the renewal in
    /// flight (all callers share one request).
    public func token() async throws -> String {
        let waitFor = pendingStart()
        await waitFor?.value
        do { return try await coreOrThrow().token() } catch { throw VKError.from(error) }
    }

    /// Completion-handler variant of ``token()``.
    public func token(completion: @escaping (String?, VKError?) -> Void) {
        let queue = configuration.callbackQueue
        Task {
            do {
                let t = try await self.token()
                queue.async { completion(t, nil) }
            } catch {
                let e = VKError.from(error)
                queue.async { completion(nil, e) }
            }
        }
    }

    /// Renew now, sharing any request in flight.
    @discardableResult
    public func refresh() async throws -> VKSessionData {
        do { return VKSessionData(try await coreOrThrow().refresh()) } catch { throw VKError.from(error) }
    }

    /// The current state. Never blocks on I/O.
    public var state: VKSessionState {
        guard let c = try? coreOrThrow() else { return .idle }
        return VKSessionState(c.state())
    }

    /// The current session, if any.
    public var sessionData: VKSessionData? {
        (try? coreOrThrow())?.sessionData().map(VKSessionData.init)
    }

    /// The error behind the last failure, expiry or retry.
    public var lastError: VKError? {
        (try? coreOrThrow())?.lastError().map(VKError.init)
    }

    /// The current state first, then every state change. A new stream per access; it ends
    /// when the consumer stops iterating.
    public var states: AsyncStream<VKSessionState> {
        AsyncStream { continuation in
            let token = self.register(queue: nil) { continuation.yield($0.to) }
            continuation.onTermination = { _ in token.remove() }
        }
    }

    /// Receive every state change (first the current state, `isInitial`), in order, on the
    /// callback queue. Listeners survive ``configure(_:)``.
    @discardableResult
    public func addListener(_ listener: @escaping (VKStateChange) -> Void) -> VKListenerToken {
        register(queue: configuration.callbackQueue, body: listener)
    }

    /// Stop: cancel timers and requests, clear the token and the stored session.
    public func stop() {
        lock.lock()
        epoch &+= 1
        lastOpWasStop = true
        let c = core
        lock.unlock()
        c?.stop()
    }

    /// Re-check expiry now (called for you when the app becomes active on iOS).
    public func checkNow() {
        (try? coreOrThrow())?.checkNow()
    }

    // MARK: Internals

    private func register(queue: DispatchQueue?, body: @escaping (VKStateChange) -> Void) -> VKListenerToken {
        let adapter = ListenerAdapter(queue: queue ?? DispatchQueue(label: "io.videokit.states"), body: body)
        let key = UUID()
        lock.lock()
        listeners[key] = (adapter, nil)
        lock.unlock()
        if let c = try? coreOrThrow() {
            lock.lock()
            if listeners[key] != nil, listeners[key]?.id == nil {
                listeners[key] = (adapter, c.addListener(listener: adapter))
            }
            lock.unlock()
        }
        return VKListenerToken { [weak self] in
            adapter.remove()
            guard let self = self else { return }
            self.lock.lock()
            let entry = self.listeners.removeValue(forKey: key)
            let c = self.core
            self.lock.unlock()
            if let id = entry?.id { c?.removeListener(id: id) }
        }
    }

    private func pendingStart() -> Task<Void, Never>? {
        lock.lock(); defer { lock.unlock() }
        return pending
    }

    private func beginOp() -> UInt64 {
        lock.lock(); defer { lock.unlock() }
        epoch &+= 1
        lastOpWasStop = false
        return epoch
    }

    /// After a start finished: if a `stop()` came later (and no newer start), undo it.
    private func superseded(_ mine: UInt64) -> Bool {
        lock.lock()
        let newer = epoch != mine
        let stopNow = newer && lastOpWasStop
        let c = core
        lock.unlock()
        if stopNow { c?.stop() }
        return newer
    }

    private func run(_ op: @escaping (VkSessionCore) async throws -> VkSessionData) async throws -> VKSessionData {
        let mine = beginOp()
        do {
            let d = try await op(try coreOrThrow())
            if superseded(mine) { throw VKError(kind: .cancelled, detail: "stop() or a newer start cancelled this start") }
            return VKSessionData(d)
        } catch {
            throw VKError.from(error)
        }
    }

    private func launch(_ completion: Completion?, _ op: @escaping (VkSessionCore) async throws -> VkSessionData) {
        let mine = beginOp()
        let queue = configuration.callbackQueue
        let task = Task { [weak self] in
            guard let self = self else { return }
            var result: (VKSessionState, VKSessionData?, VKError?)
            do {
                let d = try await op(try self.coreOrThrow())
                if self.superseded(mine) {
                    result = (self.state, nil, VKError(kind: .cancelled, detail: "stop() or a newer start cancelled this start"))
                } else {
                    result = (self.state, VKSessionData(d), nil)
                }
            } catch {
                result = (self.state, nil, VKError.from(error))
            }
            if let completion = completion {
                let r = result
                queue.async { completion(r.0, r.1, r.2) }
            }
        }
        lock.lock()
        pending = task
        lock.unlock()
    }
}
