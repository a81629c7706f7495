import Foundation
import VideoKitFFI

/// Settings applied by ``VKSession/configure(_:)`` before `start`. Every field has a default;
/// the defaults suit a production app. A `nil` duration or count takes the SDK's default,
/// which lives in one place, the Rust core (`SessionConfig::default()`): 10 s connect, 30 s
/// per request, 4 start attempts, 60 s retry-delay cap.
///
/// ```swift
/// VKSession.current.configure(VKConfiguration(store: VKKeychainStore(), logLevel: .info))
/// ```
public struct VKConfiguration: Sendable {
    /// The production VideoKit gateway.
    public static let defaultGatewayURL = "https://gateway.video.io"

    /// The VideoKit gateway base URL (API-token mode posts to `{gatewayURL}/v1/sessions`).
    public var gatewayURL: String
    /// Connect timeout of one request, in seconds; `nil` = the SDK's default (10 s).
    public var connectTimeout: TimeInterval?
    /// Total time of one request, in seconds; `nil` = the SDK's default (30 s).
    public var requestTimeout: TimeInterval?
    /// Renew this long before expiry; `nil` = the smaller of 5 minutes and 10% of the token's
    /// lifetime (always clamped to half the lifetime).
    public var renewalLead: TimeInterval?
    /// Attempts `start` makes on transient failures (network, timeout, 5xx, 429) before it
    /// fails; `nil` = the SDK's default (4). Renewal keeps retrying while the session runs.
    public var startAttempts: Int?
    /// Cap of one retry delay, in seconds (exponential backoff with full jitter below it);
    /// `nil` = the SDK's default (60 s).
    public var maxRetryDelay: TimeInterval?
    /// Allow plain `http://` to non-loopback hosts. Development only; loopback (127.0.0.1,
    /// ::1, localhost) is always allowed.
    public var allowInsecureHTTP: Bool
    /// Where the session persists so that the next `start` resumes it without a request;
    /// `nil` keeps it in memory only. Use `VKKeychainStore` (iOS, macOS) in apps.
    public var store: VKSessionStore?
    /// Receives the SDK's log records (never a secret); `nil` = ``VKOSLogLogger`` (unified
    /// logging). Process-wide: the last configuration applied wins.
    public var logger: VKLogger?
    /// The lowest level forwarded to ``logger``.
    public var logLevel: VKLogLevel
    /// Where completions, token completions and listeners run (main by default). Use a
    /// serial queue if the order of listener calls matters to you.
    public var callbackQueue: DispatchQueue
    /// The session's name, put before its keys in the ``store``: give each session of your own
    /// (`VKSession(configuration:)`) that shares a store with another one a name of its own,
    /// e.g. `"kaltura"` and `"videosdk"`, and each resumes, saves and clears only its own
    /// record. Without one, two sessions whose starts look alike to the store (two token
    /// providers with no identity, say) share a record: one can resume the other's token.
    /// `nil` = unnamed (`VKSession.current`). 1 to 64 of `A-Z a-z 0-9 _ -`; any other is
    /// every start's ``VKErrorKind/invalidArgument``.
    public var name: String?

    /// A configuration; every argument has the production default.
    public init(
        gatewayURL: String = VKConfiguration.defaultGatewayURL, connectTimeout: TimeInterval? = nil,
        requestTimeout: TimeInterval? = nil, renewalLead: TimeInterval? = nil, startAttempts: Int? = nil,
        maxRetryDelay: TimeInterval? = nil, allowInsecureHTTP: Bool = false, store: VKSessionStore? = nil,
        logger: VKLogger? = nil, logLevel: VKLogLevel = .warn, callbackQueue: DispatchQueue = .main,
        name: String? = nil
    ) {
        self.gatewayURL = gatewayURL
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.renewalLead = renewalLead
        self.startAttempts = startAttempts
        self.maxRetryDelay = maxRetryDelay
        self.allowInsecureHTTP = allowInsecureHTTP
        self.store = store
        self.logger = logger
        self.logLevel = logLevel
        self.callbackQueue = callbackQueue
        self.name = name
    }

    /// What the app wrote, for Rust to fill in and validate (`VkConfig::to_core`): a start
    /// then fails with ``VKErrorKind/invalidArgument`` for a bad value. The body limit keeps
    /// Rust's default.
    var ffi: VkConfig {
        VkConfig(
            gatewayUrl: gatewayURL, connectTimeoutMs: connectTimeout.map(signedMillis),
            requestTimeoutMs: requestTimeout.map(signedMillis), renewalLeadMs: renewalLead.map(signedMillis),
            startAttempts: startAttempts.map { Int32(clamping: $0) }, maxRetryDelayMs: maxRetryDelay.map(signedMillis),
            allowInsecureHttp: allowInsecureHTTP, name: name)
    }
}

extension VKConfiguration: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Every field, with the gateway URL's credentials (`user:password@`), query and fragment
    /// as `***`: a configuration can be logged.
    public var description: String {
        "VKConfiguration(gatewayURL: \(redactedURL(gatewayURL)), connectTimeout: \(String(describing: connectTimeout)), "
            + "requestTimeout: \(String(describing: requestTimeout)), renewalLead: \(String(describing: renewalLead)), "
            + "startAttempts: \(String(describing: startAttempts)), maxRetryDelay: \(String(describing: maxRetryDelay)), "
            + "allowInsecureHTTP: \(allowInsecureHTTP), store: \(store.map { "\(type(of: $0))" } ?? "nil"), "
            + "logger: \(logger.map { "\(type(of: $0))" } ?? "nil"), logLevel: \(logLevel), name: \(String(describing: name)))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// What `dump()` and debuggers show: every field, the gateway URL as in ``description``.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "gatewayURL": redactedURL(gatewayURL), "connectTimeout": connectTimeout as Any,
                "requestTimeout": requestTimeout as Any, "renewalLead": renewalLead as Any,
                "startAttempts": startAttempts as Any, "maxRetryDelay": maxRetryDelay as Any,
                "allowInsecureHTTP": allowInsecureHTTP, "store": store as Any, "logger": logger as Any,
                "logLevel": logLevel, "callbackQueue": callbackQueue, "name": name as Any,
            ],
            displayStyle: .struct)
    }
}

/// `url` safe to print: credentials (everything before the authority's last `@`), the query
/// and the fragment as `***`, as the core redacts a URL it quotes. Kotlin: `redactedUrl`.
func redactedURL(_ url: String) -> String {
    var scheme = ""
    var rest = Substring(url)
    if let r = url.range(of: "://") {
        scheme = String(url[..<r.upperBound])
        rest = url[r.upperBound...]
    }
    let authEnd = rest.firstIndex { "/?#\\".contains($0) } ?? rest.endIndex
    var authority = String(rest[..<authEnd])
    var tail = String(rest[authEnd...])
    if let at = authority.lastIndex(of: "@") { authority = "***" + authority[at...] }
    if let q = tail.firstIndex(where: { $0 == "?" || $0 == "#" }) { tail = tail[...q] + "***" }
    return scheme + authority + tail
}

/// Seconds as whole milliseconds; a value that is not finite, or out of range, as `Int64.min`
/// (which Rust refuses as negative).
func signedMillis(_ seconds: TimeInterval) -> Int64 {
    let ms = (seconds * 1000).rounded()
    guard ms.isFinite, ms > -9.2e18, ms < 9.2e18 else { return .min }
    return Int64(ms)
}

func wholeSeconds(_ seconds: TimeInterval) -> Int64 {
    guard !seconds.isNaN else { return 0 }
    if seconds >= 9.2e18 { return Int64.max }
    if seconds <= -9.2e18 { return Int64.min }
    return Int64(seconds.rounded())
}

/// An app-supplied token source: your own code gets a session token (from your backend, your
/// auth SDK…). The SDK calls it for the first token and before each expiry, one call at a
/// time, off the main thread.
///
/// Throw ``VKError`` with kind ``VKErrorKind/unauthorized`` or ``VKErrorKind/rejected`` to
/// stop the session at once; any other error counts as transient and is retried with backoff
/// (its text is not passed on: it could hold a secret).
public protocol VKTokenProvider: AnyObject, Sendable {
    /// A fresh session token for `identity` (as given to `start`).
    func fetchToken(identity: String?) async throws -> VKProvidedToken
}

/// Byte storage for session records, so that a restarted app resumes its session without a
/// request. Records contain the session token: keep them where the platform keeps secrets
/// (`VKKeychainStore` on iOS and macOS). Called on SDK background threads, one call at a time per
/// session, so a slow store holds up only its own session. The SDK waits for a load or save at
/// most 2 s, then goes on without it (fetching anew, or serving the new token unsaved; the call
/// still completes in its turn). `stop()` (and `configure`, a `start` that replaces a running
/// session) waits at most 1 s for the record's clear, so the record is normally gone when it
/// returns. Must not call back into ``VKSession``. A failure is logged and never
/// stops a session.
public protocol VKSessionStore: AnyObject, Sendable {
    /// The record saved under `key`, or `nil`.
    func load(key: String) throws -> Data?
    /// Save (replace) the record under `key`.
    func save(key: String, record: Data) throws
    /// Remove the record under `key`, if any.
    func clear(key: String) throws
}

/// Log levels, most severe first.
public enum VKLogLevel: Int, Sendable, CaseIterable {
    /// Failures.
    case error
    /// Retries, expiry, recoverable problems (the default level).
    case warn
    /// Lifecycle: started, renewed, stopped.
    case info
    /// State transitions and requests.
    case debug
    /// Everything.
    case trace

    var ffi: VkLogLevel {
        switch self {
        case .error: return .error
        case .warn: return .warn
        case .info: return .info
        case .debug: return .debug
        case .trace: return .trace
        }
    }

    init(_ l: VkLogLevel) {
        switch l {
        case .error: self = .error
        case .warn: self = .warn
        case .info: self = .info
        case .debug: self = .debug
        case .trace: self = .trace
        }
    }
}

/// Receives the SDK's log records (they never contain a secret), in order, on the SDK's worker
/// thread (not the callback queue) and never while the engine holds a lock: keep it short and
/// thread-safe; calling back into ``VKSession`` from it is safe.
public protocol VKLogger: AnyObject, Sendable {
    /// One record; `target` is "videokit", "videokit::http", …
    func log(level: VKLogLevel, target: String, message: String)
}
