import Foundation
import VideoKitFFI

/// The app's video-backend session: one call to sign in, renewed by itself, never blocking
/// the calling thread.
///
/// ```swift
/// func application(_ application: UIApplication,
///                  didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]?) -> Bool {
///     VKSession.current.configure(VKConfiguration(store: VKKeychainStore()))
///     VKSession.current.start(apiToken: "…", identity: "alice") { (sessionState, sessionData, error) in
///         // main queue: sessionData?.token if this start succeeded, else error?.kind / error?.detail
///     }
///     return true
/// }
/// ```
///
/// Every decision (states, start ordering, renewal, retries, single-flight, listeners across
/// ``configure(_:)``, persistence) is made in Rust; this class adapts calls, queues and types,
/// like the Kotlin `VKSession` (docs/PLATFORM-LAYERS.md).
///
/// - **Never blocks.** Every `start` returns at once, already ``VKSessionState/starting``; the
///   `async` variants suspend without blocking a thread. ``state``, ``sessionData``,
///   ``lastError`` and a cached ``token()`` answer from the newest snapshot Rust pushed.
/// - **Queues.** Completions and listeners run on ``VKConfiguration/callbackQueue`` (main by
///   default). Everything else may be called from any thread.
/// - **Order.** A ``stop()`` or a newer `start` made after a `start` wins: the earlier `start`
///   completes with ``VKErrorKind/cancelled``. ``token()`` and ``refresh()`` right after a
///   `start` wait for it.
/// - **Cancellation.** Cancelling the `Task` that awaits a call ends that wait at once with
///   ``VKErrorKind/cancelled``; a start still ``VKSessionState/starting`` is stopped, while a
///   `token()` or `refresh()` leaves the shared renewal running for other callers.
/// - **Several sessions.** ``current`` is the default; ``init(configuration:)`` makes an
///   independent one (its own token, store key, listeners and renewal).
public final class VKSession: VKSessionProtocol, CustomReflectable, @unchecked Sendable {
    /// The SDK's shared session.
    public static let current = VKSession()

    /// What a completion-handler `start` reports, once, on the callback queue: the state
    /// (``VKSessionState/active`` on success) with `data` on success, or with `error` on failure.
    public typealias Completion = @Sendable (VKSessionState, VKSessionData?, VKError?) -> Void

    private let lock = NSLock()
    private var config: VKConfiguration
    /// `nil` only if the SDK's runtime could not start (then every call reports why).
    let native: VkSession?
    private let nativeError: VKError?
    private let cache = SnapshotCache()
    private var foreground: ForegroundObserver?

    /// An independent session with `configuration` (``current`` is the shared one); starts nothing.
    public init(configuration: VKConfiguration = VKConfiguration()) {
        config = configuration
        Self.installLogger(configuration)
        do {
            let n = try VkSession(
                config: configuration.ffi, store: configuration.store.map(StoreAdapter.init),
                httpClient: PlatformHTTPClient.shared, sink: SnapshotSink(cache))
            native = n
            nativeError = nil
            cache.apply(n.snapshot())
        } catch {
            native = nil
            nativeError = VKError.from(error)
        }
        foreground = ForegroundObserver { [weak self] in self?.checkNow() }
    }

    // MARK: Configuration

    /// Apply `configuration`; call it before `start` (e.g. first thing in
    /// `application(_:didFinishLaunchingWithOptions:)`). A running session is stopped
    /// (listeners see ``VKSessionState/stopped``) and the session starts over in
    /// ``VKSessionState/idle`` with the new settings; listeners stay. Never does network I/O.
    ///
    /// An invalid configuration (a zero or negative timeout, `startAttempts < 1`, an empty
    /// gateway URL…) is logged, and every `start` then fails with
    /// ``VKErrorKind/invalidArgument`` (also in ``lastError``) until a valid one is applied.
    public func configure(_ configuration: VKConfiguration) {
        lock.locked { config = configuration }
        Self.installLogger(configuration)
        guard let n = native else { return }
        cache.apply(
            n.configure(config: configuration.ffi, store: configuration.store.map(StoreAdapter.init), httpClient: PlatformHTTPClient.shared)
        )
    }

    /// What `dump()` and debuggers show: the state and the session (its token hidden), never the
    /// cached snapshot's raw token.
    public var customMirror: Mirror {
        Mirror(self, children: ["state": state, "sessionData": sessionData as Any, "lastError": lastError as Any], displayStyle: .class)
    }

    /// The configuration in use.
    public var configuration: VKConfiguration { lock.locked { config } }
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
        launch(completion) { $0.startApiToken(appToken: apiToken, identity: identity, scopes: scopes) }
    }

    /// A session token the app already has (production mode). It cannot be renewed: when it
    /// expires the session goes ``VKSessionState/expired``; start again with a new one (or
    /// use the token-URL or provider variants, which renew). Returns at once.
    ///
    /// - Parameters:
    ///   - sessionToken: the VideoKit session token.
    ///   - completion: called once with the outcome.
    public func start(sessionToken: String, completion: Completion? = nil) {
        launch(completion) { $0.startSessionToken(sessionToken: sessionToken) }
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
        launch(completion) { $0.startTokenUrl(urlTemplate: template, identity: identity, headers: headers) }
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
        launch(completion) { $0.startProvider(provider: adapter, identity: identity) }
    }

    /// A Kaltura Session (KS) through the appToken flow (widget session → token hash →
    /// `appToken.startSession`), renewed before it expires. Returns at once.
    ///
    /// - Parameters:
    ///   - kaltura: the partner, app token and session settings.
    ///   - completion: called once with the outcome (the KS is `sessionData.token`).
    public func start(kaltura: VKKalturaConfiguration, completion: Completion? = nil) {
        let cfg = kaltura.ffi
        launch(completion) { $0.startKaltura(config: cfg) }
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
        launch(completion) { $0.startVideosdk(tokenServerUrl: url, roomId: roomId, participantId: participantId) }
    }

    // MARK: Using the session

    /// A valid session token: at once when the current one is valid, otherwise after the
    /// renewal in flight, which all concurrent callers share (one request).
    ///
    /// **Cached.** While the newest snapshot is ``VKSessionState/active`` and Rust said how long
    /// its token may be handed out again (until the renewal is due; a fixed token until a
    /// second before its expiry), the token is returned without a call into Rust, as long as
    /// that time has not passed on both the monotonic and the wall clock (the monotonic clock
    /// stops while the device sleeps) and no newer snapshot has arrived.
    ///
    /// - Throws: ``VKError``: ``VKErrorKind/notStarted`` before `start` or after `stop()`, the
    ///   failure when the session failed, ``VKErrorKind/expired`` for a lapsed session token,
    ///   ``VKErrorKind/cancelled`` when the task was cancelled (the renewal goes on).
    public func token() async throws -> String {
        if let t = cache.cachedToken() { return t }
        return try await wait(for: { $0.tokenCall() }, noteState: false).token
    }

    /// Completion-handler variant of ``token()``: returns at once; `completion` gets the
    /// token or the error on the callback queue. The call is made now, in order with the
    /// others: a ``stop()`` made right after it ends it ``VKErrorKind/cancelled``.
    public func token(completion: @escaping @Sendable (String?, VKError?) -> Void) {
        let queue = configuration.callbackQueue
        if let t = cache.cachedToken() { return queue.async { completion(t, nil) } }
        begin({ $0.tokenCall() }, noteState: false, { data, error, _ in queue.async { completion(data?.token, error) } })
    }

    /// Renew now, whatever the expiry, sharing a renewal already in flight.
    ///
    /// - Returns: the renewed session.
    /// - Throws: ``VKError``: ``VKErrorKind/invalidArgument`` for a fixed session token, or
    ///   why the renewal failed.
    @discardableResult
    public func refresh() async throws -> VKSessionData {
        try await wait(for: { $0.refreshCall() }, noteState: true)
    }

    /// The current state, from the newest snapshot (no call into Rust): `starting` as soon as a
    /// `start` returns, `stopped` as soon as ``stop()`` returns, and every transition Rust makes
    /// by itself (renewal, expiry, failure) as it is pushed; never an older state.
    public var state: VKSessionState { cache.state }

    /// The current session (also while ``VKSessionState/expired``, for inspection), or `nil`.
    public var sessionData: VKSessionData? { cache.sessionData }

    /// The error behind the last failure, expiry or retry (or an invalid configuration), or `nil`.
    public var lastError: VKError? { nativeError ?? cache.lastError }

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

    /// Every new token from now on (the first of a session, each renewal, each ``refresh()``),
    /// once each, in order. A new stream per access.
    ///
    /// ```swift
    /// for await event in VKSession.current.tokens { meeting.renewToken(event.token) }
    /// ```
    public var tokens: AsyncStream<VKTokenEvent> {
        AsyncStream { continuation in
            let token = self.registerTokens(queue: nil) { continuation.yield($0) }
            continuation.onTermination = { _ in token.remove() }
        }
    }

    /// Observe state changes: `listener` first gets the current state
    /// (``VKStateChange/isInitial``), then every transition, in order, exactly once, on the
    /// callback queue. Listeners survive ``configure(_:)``.
    ///
    /// - Returns: a token; ``VKListenerToken/remove()`` stops the deliveries.
    @discardableResult
    public func addListener(_ listener: @escaping @Sendable (VKStateChange) -> Void) -> VKListenerToken {
        register(queue: configuration.callbackQueue, body: listener)
    }

    /// Observe new tokens (the first of a session, each renewal, each ``refresh()``), once
    /// each, in order, on the callback queue: hand them to your player's or room's `renewToken`.
    ///
    /// - Returns: a token; ``VKListenerToken/remove()`` stops the deliveries.
    @discardableResult
    public func addTokenListener(_ listener: @escaping @Sendable (VKTokenEvent) -> Void) -> VKListenerToken {
        registerTokens(queue: configuration.callbackQueue, body: listener)
    }

    /// Stop: cancel timers and requests, clear the token and the stored session. A pending
    /// `start` completes with ``VKErrorKind/cancelled``; the state becomes ``VKSessionState/stopped``.
    public func stop() {
        if let n = native { cache.apply(n.stop()) }
    }

    /// Re-check expiry now and renew if due. Called for you when the app becomes active
    /// (iOS: the app or a scene; macOS: the app): a device's monotonic clock may not have
    /// advanced while it slept.
    public func checkNow() {
        if let n = native { cache.apply(n.checkNow()) }
    }

    // MARK: Internals

    /// The logger is process-wide in Rust: the last configured session's wins.
    private static func installLogger(_ c: VKConfiguration) {
        setLogger(logger: LoggerAdapter(c.logger ?? VKOSLogLogger()), level: c.logLevel.ffi)
    }

    /// `{identity}` must reach Rust as typed, not as `%7Bidentity%7D`.
    static func template(_ url: URL) -> String {
        url.absoluteString.replacingOccurrences(of: "%7Bidentity%7D", with: "{identity}").replacingOccurrences(
            of: "%7bidentity%7d", with: "{identity}")
    }

    /// Begins `op` now (its snapshot into the cache) and awaits it; a cancelled task cancels it.
    private func wait(for op: (VkSession) -> VkCall, noteState: Bool) async throws -> VKSessionData {
        guard let n = native else { throw nativeError ?? VKError(kind: .internal, detail: "the SDK could not start") }
        let call = op(n)
        cache.apply(call.snapshot())
        do {
            let d = try await withTaskCancellationHandler {
                try await call.wait()
            } onCancel: {
                call.cancel()
            }
            if noteState { cache.apply(n.snapshot()) }
            return VKSessionData(d)
        } catch {
            if noteState { cache.apply(n.snapshot()) }
            throw VKError.from(error)
        }
    }

    func run(_ op: (VkSession) -> VkCall) async throws -> VKSessionData { try await wait(for: op, noteState: true) }

    private func launch(_ completion: Completion?, _ op: (VkSession) -> VkCall) {
        let queue = configuration.callbackQueue
        begin(op, noteState: true) { data, error, state in
            if let completion = completion { queue.async { completion(data == nil ? state : .active, data, error) } }
        }
    }

    /// Begins `op` now (the start has begun when this returns: `state` says so; a later call
    /// never overtakes it) and waits for it in a `Task`; `done` gets the session or the error,
    /// and the state after it.
    private func begin(
        _ op: (VkSession) -> VkCall, noteState: Bool, _ done: @escaping @Sendable (VKSessionData?, VKError?, VKSessionState) -> Void
    ) {
        guard let n = native else {
            return done(nil, nativeError ?? VKError(kind: .internal, detail: "the SDK could not start"), .idle)
        }
        let call = op(n)
        cache.apply(call.snapshot())
        Task {
            do {
                let d = try await call.wait()
                if noteState { self.cache.apply(n.snapshot()) }
                done(VKSessionData(d), nil, self.state)
            } catch {
                self.cache.apply(n.snapshot())
                done(nil, VKError.from(error), self.state)
            }
        }
    }
}
