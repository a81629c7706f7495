import Foundation
import VideoKitFFI

/// The session's lifecycle state.
///
/// `idle → starting → active ⇄ refreshing`; `active → expired` when a token lapses
/// unrenewed; `starting | refreshing → failed` on a terminal rejection; any → `stopped`.
public enum VKSessionState: String, Sendable, CaseIterable {
    /// Nothing started yet (or a new configuration was applied).
    case idle
    /// `start` is fetching the first token.
    case starting
    /// A valid token is held; renewal is scheduled before it expires.
    case active
    /// Renewing; the still-valid token keeps being served meanwhile.
    case refreshing
    /// The token lapsed before it could be renewed; renewal retries go on.
    case expired
    /// A terminal failure; see ``VKSession/lastError``. Start again to retry.
    case failed
    /// ``VKSession/stop()`` was called: timers cancelled, token and stored session cleared.
    case stopped

    /// The stable snake_case name ("active", ...), as the CLI and Kotlin print it.
    public var wireName: String { rawValue }

    init(_ s: VkSessionState) {
        switch s {
        case .idle: self = .idle
        case .starting: self = .starting
        case .active: self = .active
        case .refreshing: self = .refreshing
        case .expired: self = .expired
        case .failed: self = .failed
        case .stopped: self = .stopped
        }
    }
}

/// The stable kind of a failure. `rawValue` is the snake_case name shared with Kotlin and the CLI.
public enum VKErrorKind: String, Sendable, CaseIterable {
    /// Could not connect, or the connection broke (retried).
    case network
    /// Connect or total timeout (retried).
    case timeout
    /// An HTTP status: 5xx / 429 / 408 are retried, others are terminal.
    case httpStatus = "http_status"
    /// Not UTF-8, not JSON, a missing field, or a body over the size cap.
    case malformedResponse = "malformed_response"
    /// The backend said no; `code` carries its code (e.g. `INVALID_APP_TOKEN_HASH`).
    case rejected
    /// HTTP 401 / 403.
    case unauthorized
    /// The token has expired.
    case expired
    /// A token could not be decoded or failed its checks.
    case invalidToken = "invalid_token"
    /// Something the app passed is unusable (empty identity, bad URL, bad configuration).
    case invalidArgument = "invalid_argument"
    /// Plain `http://` to a non-loopback host without opting in.
    case insecureTransport = "insecure_transport"
    /// `stop()` or a newer `start` cancelled the call.
    case cancelled
    /// `token()` before `start` or after `stop()`.
    case notStarted = "not_started"
    /// The session store failed (logged; never stops a session).
    case storage
    /// A bug inside the SDK: please report it.
    case `internal`

    /// The stable snake_case name.
    public var wireName: String { rawValue }

    /// The kind for a wire name, if any.
    public static func from(wireName: String) -> VKErrorKind? { VKErrorKind(rawValue: wireName) }

    init(_ k: VkErrorKind) {
        switch k {
        case .network: self = .network
        case .timeout: self = .timeout
        case .httpStatus: self = .httpStatus
        case .malformedResponse: self = .malformedResponse
        case .rejected: self = .rejected
        case .unauthorized: self = .unauthorized
        case .expired: self = .expired
        case .invalidToken: self = .invalidToken
        case .invalidArgument: self = .invalidArgument
        case .insecureTransport: self = .insecureTransport
        case .cancelled: self = .cancelled
        case .notStarted: self = .notStarted
        case .storage: self = .storage
        case .internal: self = .internal
        }
    }

    var ffi: VkErrorKind {
        switch self {
        case .network: return .network
        case .timeout: return .timeout
        case .httpStatus: return .httpStatus
        case .malformedResponse: return .malformedResponse
        case .rejected: return .rejected
        case .unauthorized: return .unauthorized
        case .expired: return .expired
        case .invalidToken: return .invalidToken
        case .invalidArgument: return .invalidArgument
        case .insecureTransport: return .insecureTransport
        case .cancelled: return .cancelled
        case .notStarted: return .notStarted
        case .storage: return .storage
        case .internal: return .internal
        }
    }
}

/// An SDK error: a stable ``kind``, a human ``detail`` without secrets, and, when the backend
/// gave them, its ``code`` and the ``httpStatus``.
public struct VKError: Error, LocalizedError, CustomStringConvertible, Sendable, Equatable {
    /// The stable kind; switch on this.
    public let kind: VKErrorKind
    /// What went wrong, for logs and support (never a secret).
    public let detail: String
    /// A backend or vendor error code, when the backend sent one (e.g. `INVALID_APP_TOKEN_HASH`).
    public let code: String?
    /// The HTTP status behind the error, if any.
    public let httpStatus: Int?

    /// An error; a ``VKTokenProvider`` throws one to stop the session
    /// (``VKErrorKind/unauthorized``, ``VKErrorKind/rejected``) or to have it retried (any other kind).
    public init(kind: VKErrorKind, detail: String, code: String? = nil, httpStatus: Int? = nil) {
        self.kind = kind
        self.detail = detail
        self.code = code
        self.httpStatus = httpStatus
    }

    /// Same as ``description`` (for `localizedDescription`).
    public var errorDescription: String? { description }

    /// `unauthorized (HTTP 401): detail [CODE]`.
    public var description: String {
        var s = kind.wireName
        if let status = httpStatus { s += " (HTTP \(status))" }
        s += ": \(detail)"
        if let code = code { s += " [\(code)]" }
        return s
    }

    init(_ info: VkErrorInfo) {
        self.init(kind: VKErrorKind(info.kind), detail: info.detail, code: info.code, httpStatus: info.httpStatus.map(Int.init))
    }

    /// Any error thrown by the generated bindings, as a `VKError`.
    static func from(_ error: Error) -> VKError {
        if let e = error as? VKError { return e }
        if let e = error as? VkError {
            switch e {
            case .Failure(let kind, let detail, let code, let httpStatus):
                return VKError(kind: VKErrorKind(kind), detail: detail, code: code, httpStatus: httpStatus.map(Int.init))
            }
        }
        if error is CancellationError { return VKError(kind: .cancelled, detail: "the call was cancelled") }
        return VKError(kind: .internal, detail: "unexpected error: \(error.localizedDescription)")
    }

    var ffi: VkError {
        .Failure(kind: kind.ffi, detail: detail, code: code, httpStatus: httpStatus.flatMap { UInt16(exactly: $0) })
    }
}

/// Which flow produced a session.
public enum VKSourceKind: String, Sendable {
    /// VideoKit API-token mode (development only): app token + identity.
    case apiToken = "api_token"
    /// A session token given by the app (not renewable).
    case sessionToken = "session_token"
    /// The app's backend token URL.
    case backend
    /// An app-supplied ``VKTokenProvider``.
    case custom
    /// A Kaltura session (KS).
    case kaltura
    /// A VideoSDK access token.
    case videoSdk = "videosdk"

    init(_ k: VkSourceKind) {
        switch k {
        case .apiToken: self = .apiToken
        case .sessionToken: self = .sessionToken
        case .backend: self = .backend
        case .custom: self = .custom
        case .kaltura: self = .kaltura
        case .videoSdk: self = .videoSdk
        }
    }
}

/// The current session. `description`, `debugDescription` and `dump()` never print the
/// ``token``, so a `VKSessionData` can be logged safely.
public struct VKSessionData: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Sendable, Equatable {
    /// The user the session is for, when known.
    public let identity: String?
    /// The session token to send to the video backend. A secret: never log it.
    public let token: String
    /// When the token expires (server time); `nil` when unknown (then no renewal is scheduled).
    public let expiresAt: Date?
    /// When the token was issued (server time), when known.
    public let issuedAt: Date?
    /// Where the token came from.
    public let source: VKSourceKind
    /// The scopes granted (API-token mode).
    public let scopes: [String]
    /// `true` when the session was resumed from the ``VKSessionStore`` without a request.
    public let resumed: Bool
    /// Kaltura sessions: what the server said about the KS.
    public let kaltura: VKKalturaInfo?
    /// VideoSDK sessions: the token's checked claims.
    public let videoSdk: VKVideoSdkClaims?

    /// A session value, for test doubles of ``VKSessionProtocol`` (the SDK makes its own).
    public init(
        identity: String?, token: String, expiresAt: Date?, issuedAt: Date? = nil, source: VKSourceKind, scopes: [String] = [],
        resumed: Bool = false
    ) {
        self.identity = identity
        self.token = token
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.source = source
        self.scopes = scopes
        self.resumed = resumed
        kaltura = nil
        videoSdk = nil
    }

    init(_ d: VkSessionData) {
        identity = d.identity
        token = d.token
        expiresAt = d.expiresAt
        issuedAt = d.issuedAt
        source = VKSourceKind(d.source)
        scopes = d.scopes
        resumed = d.resumed
        kaltura = d.kaltura.map(VKKalturaInfo.init)
        videoSdk = d.videosdk.map(VKVideoSdkClaims.init)
    }

    /// Everything but the token (its length only).
    public var description: String {
        let exp = expiresAt.map { "\($0)" } ?? "unknown"
        let iat = issuedAt.map { "\($0)" } ?? "unknown"
        return "VKSessionData(identity: \(identity ?? "nil"), token: <\(token.count) chars>, expiresAt: \(exp), "
            + "issuedAt: \(iat), source: \(source.rawValue), scopes: \(scopes), resumed: \(resumed))"
    }

    /// Same as ``description``: the token is never printed.
    public var debugDescription: String { description }

    /// What `dump()` and debuggers show: every field but the token.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "identity": identity as Any, "token": "<\(token.count) chars>", "expiresAt": expiresAt as Any,
                "issuedAt": issuedAt as Any, "source": source, "scopes": scopes, "resumed": resumed,
                "kaltura": kaltura as Any, "videoSdk": videoSdk as Any,
            ],
            displayStyle: .struct)
    }
}

/// One state transition.
public struct VKStateChange: Sendable, Equatable, CustomStringConvertible {
    /// Increasing per session, from 1 (a number is skipped where the session changed without a
    /// transition: a retried attempt's error, a `configure` while idle); the first event a new
    /// listener gets repeats the last one's number.
    public let seq: UInt64
    /// The state before.
    public let from: VKSessionState
    /// The state after.
    public let to: VKSessionState
    /// Local wall-clock time of the transition.
    public let at: Date
    /// The error that caused it (``VKSessionState/failed``, ``VKSessionState/expired``), if any.
    public let error: VKError?
    /// `true` for the first event a listener gets: the current state (`from == to`).
    public var isInitial: Bool { from == to }

    init(_ c: VkStateChange) {
        seq = c.seq
        from = VKSessionState(c.from)
        to = VKSessionState(c.to)
        at = c.at
        error = c.error.map(VKError.init)
    }

    /// `active → refreshing`, with the error if any.
    public var description: String { "\(from.rawValue) → \(to.rawValue)" + (error.map { " (\($0))" } ?? "") }
}

/// What a ``VKTokenProvider`` returns. `description` and `dump()` never print the token.
public struct VKProvidedToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The session token.
    public let token: String
    /// Its expiry (server time) if known; otherwise the SDK reads the token's JWT `exp`, if any.
    /// A JWT expires at the earlier of the two.
    public let expiresAt: Date?

    /// A token and, when known, its expiry.
    public init(token: String, expiresAt: Date? = nil) {
        self.token = token
        self.expiresAt = expiresAt
    }

    /// Everything but the token.
    public var description: String { "VKProvidedToken(token: <\(token.count) chars>, expiresAt: \(expiresAt.map { "\($0)" } ?? "nil"))" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// What `dump()` and debuggers show: no token.
    public var customMirror: Mirror {
        Mirror(self, children: ["token": "<\(token.count) chars>", "expiresAt": expiresAt as Any], displayStyle: .struct)
    }
}

/// A new token: the first of a session, a renewal, or the result of ``VKSession/refresh()``.
/// Delivered once to every token listener (``VKSession/tokens``,
/// ``VKSession/addTokenListener(_:)``): hand it to your player's or room's `renewToken`.
/// Its description never shows the token.
public struct VKTokenEvent: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The new token (a VideoKit session token, a Kaltura KS or a VideoSDK JWT).
    public let token: String
    /// When it expires, if known.
    public let expiresAt: Date?
    /// The whole session it belongs to.
    public let data: VKSessionData

    /// A token event, for test doubles of ``VKSessionProtocol`` (the SDK makes its own).
    public init(data: VKSessionData) {
        token = data.token
        expiresAt = data.expiresAt
        self.data = data
    }

    init(_ e: VkTokenEvent) {
        token = e.token
        expiresAt = e.expiresAt
        data = VKSessionData(e.data)
    }

    /// The event without the token.
    public var description: String {
        "VKTokenEvent(token: <\(token.count) chars>, expiresAt: \(expiresAt.map { "\($0)" } ?? "unknown"), identity: \(data.identity ?? "nil"))"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// The event without the token, for `dump` and debuggers.
    public var customMirror: Mirror {
        Mirror(self, children: ["token": "<\(token.count) chars>", "expiresAt": expiresAt as Any, "data": data], displayStyle: .struct)
    }
}
