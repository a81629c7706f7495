import Foundation

/// Settings applied by ``VKSession/configure(_:)`` before `start`. Every field has a default.
public struct VKConfiguration {
    /// The production VideoKit gateway.
    public static let defaultGatewayURL = "https://gateway.video.io"

    /// VideoKit gateway base URL (API-token mode).
    public var gatewayURL: String
    public var connectTimeout: TimeInterval
    /// Total time for one request.
    public var requestTimeout: TimeInterval
    /// Renew this long before expiry; `nil` = min(5 min, 10% of the token's lifetime).
    public var renewalLead: TimeInterval?
    /// Attempts `start` makes on transient failures before it fails.
    public var startAttempts: Int
    /// Cap of one retry delay (exponential backoff with full jitter below it).
    public var maxRetryDelay: TimeInterval
    /// Allow plain `http://` to non-loopback hosts. Development only.
    public var allowInsecureHTTP: Bool
    /// Where sessions persist; `nil` = in memory. Use ``VKKeychainStore`` in apps.
    public var store: VKSessionStore?
    /// Where the SDK's logs go; `nil` = ``VKOSLogLogger``.
    public var logger: VKLogger?
    public var logLevel: VKLogLevel
    /// Where completions and listeners run (main by default).
    public var callbackQueue: DispatchQueue

    public init(gatewayURL: String = VKConfiguration.defaultGatewayURL, connectTimeout: TimeInterval = 10,
                requestTimeout: TimeInterval = 30, renewalLead: TimeInterval? = nil, startAttempts: Int = 4,
                maxRetryDelay: TimeInterval = 60, allowInsecureHTTP: Bool = false, store: VKSessionStore? = nil,
                logger: VKLogger? = nil, logLevel: VKLogLevel = .warn, callbackQueue: DispatchQueue = .main) {
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
    }

    var ffi: VkConfig {
        let ms = { (t: TimeInterval) -> UInt64 in UInt64(max(0, (t * 1000).rounded())) }
        return VkConfig(gatewayUrl: gatewayURL, connectTimeoutMs: ms(connectTimeout), requestTimeoutMs: ms(requestTimeout),
                        renewalLeadMs: renewalLead.map(ms), startAttempts: UInt32(clamping: max(1, startAttempts)),
                        maxRetryDelayMs: ms(maxRetryDelay), maxBodyBytes: 1_048_576, allowInsecureHttp: allowInsecureHTTP)
    }
}

/// Supplies tokens the app's own way (its backend, its auth SDK). Throw ``VKError`` with kind
/// `unauthorized` or `rejected` to stop the session; any other error is transient and retried.
public protocol VKTokenProvider: AnyObject {
    func fetchToken(identity: String?) async throws -> VKProvidedToken
}

/// Byte storage for session records (they contain the token: keep them where secrets go).
/// Errors are logged and never stop a session. Called on SDK threads.
public protocol VKSessionStore: AnyObject {
    func load(key: String) throws -> Data?
    func save(key: String, record: Data) throws
    func clear(key: String) throws
}

/// Log levels, most severe first.
public enum VKLogLevel: Int, Sendable, CaseIterable {
    case error, warn, info, debug, trace

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

/// Receives the SDK's log records (never containing a secret), on SDK threads.
public protocol VKLogger: AnyObject {
    func log(level: VKLogLevel, target: String, message: String)
}
