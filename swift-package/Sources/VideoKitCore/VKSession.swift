import Foundation
import VideoKitFFI

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
/// Every decision (states, renewal, retries, single-flight, persistence) is made by the Rust
/// engine behind the generated `VkSessionCore`; this class only adapts calls, queues and types,
/// and mirrors the Kotlin `VKSession` (whose `async` variants are named `awaitStart`).
///
/// - **Never blocks.** Every completion-handler `start` returns at once; the `async` variants
///   suspend without blocking a thread. `state`, `sessionData`, `lastError` never do I/O.
/// - **Queues.** Completions and listeners run on ``VKConfiguration/callbackQueue`` (main by
///   default). Everything else may be called from any thread.
/// - **Order.** A ``stop()`` or a newer `start` made after a `start` wins: the earlier `start`
///   completes with ``VKErrorKind/cancelled`` and its session does not survive. ``token()``
///   and ``refresh()`` called right after a `start` wait for it.
public final class VKSession: @unchecked Sendable {
    /// The SDK's shared session, one per process.
    public static let current = VKSession()

    /// What a completion-handler `start` reports, once, on the callback queue: the state
    /// (``VKSessionState/active`` on success) with `data` on success, or with `error` on failure.
    public typealias Completion = @Sendable (VKSessionState, VKSessionData?, VKError?) -> Void

    private struct ListenerEntry {
        let sink: ListenerSink
        /// Its registration on the current core, if it has one.
        var id: UInt64?
    }

    private let lock = NSLock()
    private var config = VKConfiguration()
    private var core: VkSessionCore?
    /// Numbers the cores: a listener drops events of a core older than one it has heard from.
    private var coreGeneration: UInt64 = 0
    /// Why the current configuration could not make a core (reported by `start` and `lastError`).
    private var configError: VKError?
    /// Bumped by every start, stop and configure: a start that finishes after a later stop is undone.
    private var epoch: UInt64 = 0
    private var lastOpWasStop = false
    /// The newest completion-handler start, awaited by `token()` and `refresh()`.
    private var pending: Task<Void, Never>?
    private var listeners: [UUID: ListenerEntry] = [:]
    /// The state cache's listener on the current core.
    private var cacheFeedId: UInt64?

    /// The newest state known for `core` (`nil`: no core) and the seq of the transition that entered it.
    private struct StateCache {
        let core: VkSessionCore?
        let seq: UInt64
        let state: VKSessionState
    }

    /// A token `core` handed out with the permission to hand it out again, without asking,
    /// until both deadlines (`DispatchTime` uptime, which stops while the device sleeps, and
    /// the wall clock in ms, which does not), while the state cache is still at `seq`.
    private struct TokenLease {
        let core: VkSessionCore
        let token: String
        let seq: UInt64
        let monoDeadline: UInt64
        let wallDeadlineMs: Int64
    }

    /// Guards `stateCache`, `lease` and `leaseEpoch` only; never held across a call into the core.
    private let cacheLock = NSLock()
    /// What `state` answers, with no FFI call: fed by the core's events (in order) and by a
    /// snapshot read right after each of our own calls that change the state; the larger seq wins.
    private var stateCache = StateCache(core: nil, seq: 0, state: .idle)
    private var lease: TokenLease?
    /// Bumped (and `lease` dropped) before each of our own calls that may change the session:
    /// a lease asked for before one is never stored after it.
    private var leaseEpoch: UInt64 = 0
    /// Longest a lease is kept (after that one engine call renews it).
    private static let maxLeaseMs: UInt64 = 24 * 3600 * 1000
    #if canImport(UIKit)
        private var foregroundObserver: NSObjectProtocol?
    #endif

    private init() {
        #if canImport(UIKit)
            // Monotonic clocks stop while a phone sleeps: re-check expiry when the app is back.
            foregroundObserver = NotificationCenter.default.addObserver(
                forName: UIApplication.didBecomeActiveNotification, object: nil, queue: nil
            ) { [weak self] _ in self?.checkNow() }
        #endif
    }

    // MARK: Configuration

    /// Apply `configuration`; call it before `start` (e.g. first thing in
    /// `application(_:didFinishLaunchingWithOptions:)`). A running session is stopped
    /// (listeners see ``VKSessionState/stopped``) and the session starts over in
    /// ``VKSessionState/idle`` with the new settings; listeners stay registered. Never does
    /// network I/O.
    ///
    /// An invalid configuration (a negative or zero timeout, `startAttempts < 1`, an empty
    /// gateway URL…) is logged, and every `start` then fails with
    /// ``VKErrorKind/invalidArgument`` (also in ``lastError``) until a valid one is applied.
    public func configure(_ configuration: VKConfiguration) {
        lock.lock()
        let old = core
        let oldIds = listeners.values.compactMap { $0.id }
        let oldFeed = cacheFeedId
        for key in Array(listeners.keys) { listeners[key]?.id = nil }
        config = configuration
        core = nil
        cacheFeedId = nil
        configError = nil
        epoch &+= 1
        lastOpWasStop = true
        resetCache(to: nil)
        lock.unlock()
        if let old = old {
            old.stop()
            // After the stop: listeners get `stopped` from the old core, then nothing more from it.
            for id in oldIds { old.removeListener(id: id) }
            if let id = oldFeed { old.removeListener(id: id) }
        }
        do {
            _ = try coreOrThrow()
        } catch {
            let e = VKError.from(error)
            (configuration.logger ?? VKOSLogLogger()).log(level: .error, target: "videokit", message: "invalid configuration: \(e.detail)")
        }
    }

    /// The configuration in use.
    public var configuration: VKConfiguration {
        lock.lock()
        defer { lock.unlock() }
        return config
    }

    /// The core for the current configuration, created on first use.
    private func coreOrThrow() throws -> VkSessionCore {
        lock.lock()
        defer { lock.unlock() }
        if let c = core { return c }
        if let e = configError { throw e }
        let cfg = config
        do {
            let ffiConfig = try cfg.ffiConfig()
            setLogger(logger: LoggerAdapter(cfg.logger ?? VKOSLogLogger()), level: cfg.logLevel.ffi)
            let c = try VkSessionCore(config: ffiConfig, store: cfg.store.map { StoreAdapter($0) }, httpClient: PlatformHTTPClient.shared)
            coreGeneration &+= 1
            for key in Array(listeners.keys) {
                if let entry = listeners[key] {
                    listeners[key]?.id = c.addListener(listener: ListenerAdapter(entry.sink, generation: coreGeneration))
                }
            }
            core = c
            startCaching(c)
            return c
        } catch {
            let e = VKError.from(error)
            configError = e
            throw e
        }
    }

    // MARK: Starting (completion handlers)

    /// VideoKit API-token mode: `POST {gatewayURL}/v1/sessions` with the app token, for
    /// `identity`. Returns at once; the result goes to `completion` on the callback queue. A
    /// running session is stopped first.
    ///
    /// **Development only**: an app token shipped inside an app can be extracted. Production
    /// apps get session tokens from their backend: ``start(tokenURL:identity:headers:completion:)``,
    /// ``start(provider:identity:completion:)`` or ``start(sessionToken:completion:)``.
    ///
    /// - Parameters:
    ///   - apiToken: the VideoKit app token.
    ///   - identity: the user; must not be empty.
    ///   - scopes: the scopes to request.
    ///   - completion: called once with the outcome.
    public func start(apiToken: String, identity: String, scopes: [String] = [], completion: Completion? = nil) {
        launch(completion) { try await $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// A session token the app already has (production mode). It cannot be renewed: when it
    /// expires the session goes ``VKSessionState/expired``; start again with a new one (or
    /// use the token-URL or provider variants, which renew). Returns at once.
    ///
    /// - Parameters:
    ///   - sessionToken: the VideoKit session token.
    ///   - completion: called once with the outcome.
    public func start(sessionToken: String, completion: Completion? = nil) {
        launch(completion) { try await $0.startSessionToken(sessionToken: sessionToken) }
    }

    /// The app's backend: `GET tokenURL` with `{identity}` replaced by the (percent-encoded)
    /// identity, answering `{"sessionToken": …, "expiresAt"?: …}`; fetched again before expiry.
    /// `headers` (e.g. your own auth) go with every request and are treated as secrets.
    /// Returns at once.
    ///
    /// - Parameters:
    ///   - tokenURL: e.g. `https://api.example.com/token/{identity}`.
    ///   - identity: the user; must not be empty.
    ///   - headers: extra request headers.
    ///   - completion: called once with the outcome.
    public func start(tokenURL: URL, identity: String, headers: [String: String] = [:], completion: Completion? = nil) {
        let template = Self.template(tokenURL)
        launch(completion) { try await $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
    }

    /// The app's own ``VKTokenProvider``, called for the first token and before each expiry.
    /// Returns at once.
    ///
    /// - Parameters:
    ///   - provider: the app's token provider (kept until the session stops).
    ///   - identity: passed to the provider and shown in ``sessionData``; optional.
    ///   - completion: called once with the outcome.
    public func start(provider: VKTokenProvider, identity: String? = nil, completion: Completion? = nil) {
        let adapter = ProviderAdapter(provider)
        launch(completion) { try await $0.startProvider(provider: adapter, identity: identity) }
    }

    /// A Kaltura Session (KS) through the appToken flow (widget session → token hash →
    /// `appToken.startSession`), renewed before it expires. Returns at once.
    ///
    /// - Parameters:
    ///   - kaltura: the partner, app token and session settings.
    ///   - completion: called once with the outcome (the KS is `sessionData.token`).
    public func start(kaltura: VKKalturaConfiguration, completion: Completion? = nil) {
        let cfg = kaltura.ffi
        launch(completion) { try await $0.startKaltura(config: cfg) }
    }

    /// A VideoSDK access token from the app's token server (`GET url[?roomId&participantId]`
    /// → `{"token"}`), its claims checked, renewed before `exp`. Returns at once.
    ///
    /// - Parameters:
    ///   - videoSDKTokenURL: the app's token server endpoint.
    ///   - roomId: sent as `roomId` when given.
    ///   - participantId: sent as `participantId` when given.
    ///   - completion: called once with the outcome (claims in `sessionData.videoSdk`).
    public func start(videoSDKTokenURL: URL, roomId: String? = nil, participantId: String? = nil, completion: Completion? = nil) {
        let url = videoSDKTokenURL.absoluteString
        launch(completion) { try await $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }

    // MARK: Starting (async/await)

    /// `try await` variant of ``start(apiToken:identity:scopes:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(apiToken: String, identity: String, scopes: [String] = []) async throws -> VKSessionData {
        try await run { try await $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// `try await` variant of ``start(sessionToken:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(sessionToken: String) async throws -> VKSessionData {
        try await run { try await $0.startSessionToken(sessionToken: sessionToken) }
    }

    /// `try await` variant of ``start(tokenURL:identity:headers:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(tokenURL: URL, identity: String, headers: [String: String] = [:]) async throws -> VKSessionData {
        let template = Self.template(tokenURL)
        return try await run { try await $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
    }

    /// `try await` variant of ``start(provider:identity:completion:)``.
    ///
    /// - Returns: the new session.
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(provider: VKTokenProvider, identity: String? = nil) async throws -> VKSessionData {
        let adapter = ProviderAdapter(provider)
        return try await run { try await $0.startProvider(provider: adapter, identity: identity) }
    }

    /// `try await` variant of ``start(kaltura:completion:)``.
    ///
    /// - Returns: the new session (the KS is its `token`).
    /// - Throws: ``VKError``; Kaltura's code (e.g. `INVALID_APP_TOKEN_HASH`) is in `code`.
    @discardableResult
    public func start(kaltura: VKKalturaConfiguration) async throws -> VKSessionData {
        let cfg = kaltura.ffi
        return try await run { try await $0.startKaltura(config: cfg) }
    }

    /// `try await` variant of ``start(videoSDKTokenURL:roomId:participantId:completion:)``.
    ///
    /// - Returns: the new session (claims in `videoSdk`).
    /// - Throws: ``VKError``, why it could not start.
    @discardableResult
    public func start(videoSDKTokenURL: URL, roomId: String? = nil, participantId: String? = nil) async throws -> VKSessionData {
        let url = videoSDKTokenURL.absoluteString
        return try await run { try await $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }

    // MARK: Using the session

    /// A valid session token: at once when the current one is valid, otherwise after the
    /// renewal in flight, which all concurrent callers share (one request).
    ///
    /// **Cached.** The SDK hands out the token it got last, without asking the engine, as long
    /// as the engine said it would return that same token itself and stay
    /// ``VKSessionState/active`` until a deadline (the renewal point; for a fixed token its
    /// expiry less a second), that deadline has not passed on both the monotonic and the wall
    /// clock (the monotonic clock stops while the device sleeps), and no state change has been
    /// seen since. Every `start`, ``stop()``, ``refresh()``, ``checkNow()`` and
    /// ``configure(_:)`` drops the cached token before it reaches the engine. So the fast path
    /// answers what the engine would: never a token past its renewal point, never one of a
    /// stopped or replaced session.
    ///
    /// - Throws: ``VKError``: ``VKErrorKind/notStarted`` before `start` or after `stop()`, the
    ///   failure when the session failed, ``VKErrorKind/expired`` for a lapsed session token.
    public func token() async throws -> String {
        if let t = cachedToken() { return t }
        await waitForPendingStart()
        do { return try await leasedToken(try coreOrThrow()) } catch { throw VKError.from(error) }
    }

    /// Completion-handler variant of ``token()``: returns at once; `completion` gets the
    /// token or the error on the callback queue.
    public func token(completion: @escaping @Sendable (String?, VKError?) -> Void) {
        let queue = configuration.callbackQueue
        if let t = cachedToken() {
            queue.async { completion(t, nil) }
            return
        }
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

    /// Renew now, whatever the expiry, sharing a renewal already in flight.
    ///
    /// - Returns: the renewed session.
    /// - Throws: ``VKError``: ``VKErrorKind/invalidArgument`` for a fixed session token, or
    ///   why the renewal failed.
    @discardableResult
    public func refresh() async throws -> VKSessionData {
        dropLease()
        await waitForPendingStart()
        do {
            let c = try coreOrThrow()
            defer { noteState(c) }
            return VKSessionData(try await c.refresh())
        } catch {
            throw VKError.from(error)
        }
    }

    /// The current state, from the SDK's cache (no call into the engine). It reflects this
    /// object's own calls as soon as they have reached the engine (``stop()``: `stopped` when
    /// it returns; ``configure(_:)``: `idle`; a `start`: `starting` or later once its task has
    /// handed it to the engine, `active` when it completes), and transitions the engine makes by
    /// itself (renewal, expiry, failure) as they are delivered, in order; it never goes back to
    /// an older state.
    public var state: VKSessionState {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        return stateCache.state
    }

    /// The current session (also while ``VKSessionState/expired``, for inspection), or `nil`.
    public var sessionData: VKSessionData? {
        (try? coreOrThrow())?.sessionData().map(VKSessionData.init)
    }

    /// The error behind the last failure, expiry or retry (or an invalid configuration), or `nil`.
    public var lastError: VKError? {
        do {
            return try coreOrThrow().lastError().map(VKError.init)
        } catch {
            return VKError.from(error)
        }
    }

    /// The current state first, then every state change, in order. A new stream per access;
    /// iterate it in a `Task` (it ends when that task is cancelled or stops iterating).
    ///
    /// ```swift
    /// for await state in VKSession.current.states { statusLabel.text = state.rawValue }
    /// ```
    public var states: AsyncStream<VKSessionState> {
        AsyncStream { continuation in
            let token = self.register(queue: nil) { continuation.yield($0.to) }
            continuation.onTermination = { _ in token.remove() }
        }
    }

    /// Observe state changes: `listener` first gets the current state
    /// (``VKStateChange/isInitial``), then every transition, in order, exactly once, on the
    /// callback queue. Listeners survive ``configure(_:)``.
    ///
    /// - Returns: a token; ``VKListenerToken/remove()`` stops the deliveries.
    @discardableResult
    public func addListener(_ listener: @escaping (VKStateChange) -> Void) -> VKListenerToken {
        register(queue: configuration.callbackQueue, body: listener)
    }

    /// Stop: cancel timers and requests, clear the token and the stored session. A pending
    /// `start` completes with ``VKErrorKind/cancelled``; the state becomes ``VKSessionState/stopped``.
    public func stop() {
        lock.lock()
        epoch &+= 1
        lastOpWasStop = true
        lock.unlock()
        dropLease()
        guard let c = try? coreOrThrow() else { return }
        c.stop()
        noteState(c)
    }

    /// Re-check expiry now and renew if due. Called for you when the app becomes active
    /// (`UIApplication.didBecomeActiveNotification`): a device's monotonic clock may not have
    /// advanced while it slept.
    public func checkNow() {
        dropLease()
        guard let c = try? coreOrThrow() else { return }
        c.checkNow()
        noteState(c)
    }

    // MARK: Internals

    /// `{identity}` must reach the core as typed, not as `%7Bidentity%7D`.
    private static func template(_ url: URL) -> String {
        url.absoluteString
            .replacingOccurrences(of: "%7Bidentity%7D", with: "{identity}")
            .replacingOccurrences(of: "%7bidentity%7d", with: "{identity}")
    }

    private func register(queue: DispatchQueue?, body: @escaping (VKStateChange) -> Void) -> VKListenerToken {
        let sink = ListenerSink(queue: queue ?? DispatchQueue(label: "io.videokit.states"), body: body)
        let key = UUID()
        lock.lock()
        listeners[key] = ListenerEntry(sink: sink, id: nil)
        lock.unlock()
        if let c = try? coreOrThrow() {
            lock.lock()
            // coreOrThrow may have registered it already (a core created just now).
            if core === c, let entry = listeners[key], entry.id == nil {
                listeners[key]?.id = c.addListener(listener: ListenerAdapter(sink, generation: coreGeneration))
            }
            lock.unlock()
        }
        return VKListenerToken { [weak self] in
            sink.remove()
            guard let self = self else { return }
            self.lock.lock()
            let entry = self.listeners.removeValue(forKey: key)
            let c = self.core
            self.lock.unlock()
            if let id = entry?.id { c?.removeListener(id: id) }
        }
    }

    private func waitForPendingStart() async {
        let task = lock.locked { pending }
        await task?.value
    }

    private func beginOp() -> UInt64 {
        dropLease()
        lock.lock()
        defer { lock.unlock() }
        epoch &+= 1
        lastOpWasStop = false
        return epoch
    }

    // MARK: State and token cache

    /// Points the cache at `c` (or at no core): its state now, no lease. Callers hold `lock`.
    private func resetCache(to c: VkSessionCore?) {
        let first = c?.stateSnapshot()
        cacheLock.lock()
        stateCache = StateCache(core: c, seq: first?.seq ?? 0, state: first.map { VKSessionState($0.state) } ?? .idle)
        lease = nil
        leaseEpoch &+= 1
        cacheLock.unlock()
    }

    /// A new core: the cache starts from its state, then follows its events. Holds `lock`.
    private func startCaching(_ c: VkSessionCore) {
        resetCache(to: c)
        cacheFeedId = c.addListener(
            listener: StateCacheFeed { [weak self, weak c] change in
                guard let self = self, let c = c else { return }
                self.mergeState(c, seq: change.seq, state: VKSessionState(change.to))
            })
    }

    /// The engine's state and seq, read together, into the cache; returns the state read.
    @discardableResult
    private func noteState(_ c: VkSessionCore) -> VKSessionState {
        let s = c.stateSnapshot()
        let state = VKSessionState(s.state)
        mergeState(c, seq: s.seq, state: state)
        return state
    }

    /// Takes (`seq`, `state`) of `c` into the cache if it is newer than what the cache has.
    private func mergeState(_ c: VkSessionCore, seq: UInt64, state: VKSessionState) {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        guard stateCache.core === c, seq > stateCache.seq else { return }
        stateCache = StateCache(core: c, seq: seq, state: state)
    }

    private func dropLease() {
        cacheLock.lock()
        leaseEpoch &+= 1
        lease = nil
        cacheLock.unlock()
    }

    private static func wallNowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The leased token, if the lease still holds (see ``token()``).
    private func cachedToken() -> String? {
        cacheLock.lock()
        let l = lease
        let s = stateCache
        cacheLock.unlock()
        guard let l = l, l.core === s.core, l.seq == s.seq, s.state == .active else { return nil }
        guard DispatchTime.now().uptimeNanoseconds < l.monoDeadline, Self.wallNowMs() < l.wallDeadlineMs else { return nil }
        return l.token
    }

    /// `token()` through the engine, keeping its lease. The deadlines count from clock readings
    /// taken before the call, so they never fall after the engine's own.
    private func leasedToken(_ c: VkSessionCore) async throws -> String {
        let epoch = cacheLock.locked { leaseEpoch }
        let mono = DispatchTime.now().uptimeNanoseconds
        let wall = Self.wallNowMs()
        let l = try await c.tokenLease()
        let ms = min(l.reuseForMs, Self.maxLeaseMs)
        cacheLock.locked {
            if ms > 0 && leaseEpoch == epoch {
                // Never replace a lease of a later transition of the same core.
                let newer = lease.map { $0.core === c && $0.seq > l.seq } ?? false
                if !newer {
                    lease = TokenLease(
                        core: c, token: l.token, seq: l.seq, monoDeadline: mono + ms * 1_000_000, wallDeadlineMs: wall + Int64(ms))
                }
            } else if let cur = lease, cur.core !== c || cur.seq < l.seq {
                lease = nil  // the engine has moved past it
            }
        }
        return l.token
    }

    private func isCurrent(_ mine: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return epoch == mine
    }

    /// After a start on `core` finished: `true` when a later stop, configure or start
    /// superseded it. A later `stop()` (or `configure`) that ran before this start reached the
    /// engine is applied again, so the session it began does not survive.
    private func superseded(_ mine: UInt64, on core: VkSessionCore) -> Bool {
        lock.lock()
        let newer = epoch != mine
        let stopAgain = newer && lastOpWasStop
        lock.unlock()
        if stopAgain { core.stop() }
        return newer
    }

    private static let supersededError = VKError(kind: .cancelled, detail: "stop() or a newer start cancelled this start")

    private func run(_ op: @escaping @Sendable (VkSessionCore) async throws -> VkSessionData) async throws -> VKSessionData {
        let mine = beginOp()
        do {
            let c = try coreOrThrow()
            defer { noteState(c) }
            let d = try await op(c)
            if superseded(mine, on: c) { throw Self.supersededError }
            return VKSessionData(d)
        } catch {
            throw VKError.from(error)
        }
    }

    private func launch(_ completion: Completion?, _ op: @escaping @Sendable (VkSessionCore) async throws -> VkSessionData) {
        let mine = beginOp()
        let queue = configuration.callbackQueue
        let task = Task {
            let result: (VKSessionState, VKSessionData?, VKError?)
            if !self.isCurrent(mine) {
                // A stop() or a newer start came before this one reached the engine: skip it.
                result = (self.state, nil, Self.supersededError)
            } else {
                var started: VkSessionCore?
                do {
                    let c = try self.coreOrThrow()
                    started = c
                    let d = try await op(c)
                    if self.superseded(mine, on: c) {
                        self.noteState(c)
                        result = (self.state, nil, Self.supersededError)
                    } else {
                        self.noteState(c)
                        result = (.active, VKSessionData(d), nil)
                    }
                } catch {
                    if let c = started { self.noteState(c) }
                    result = (self.state, nil, VKError.from(error))
                }
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

/// Feeds ``VKSession``'s state cache from a core's events (on an SDK thread).
private final class StateCacheFeed: VkStateListener, @unchecked Sendable {
    private let body: (VkStateChange) -> Void

    init(_ body: @escaping (VkStateChange) -> Void) { self.body = body }

    func onStateChange(change: VkStateChange) throws {
        body(change)
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
