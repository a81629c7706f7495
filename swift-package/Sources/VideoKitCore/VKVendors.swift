import Foundation
import VideoKitFFI

/// Hash of (widget KS + appToken token). Must match the `hashType` the app token was created
/// with. The Kaltura server's own default is SHA1; ours is SHA256 (create tokens with SHA256).
public enum VKKalturaHashType: String, Sendable, CaseIterable {
    /// MD5.
    case md5 = "MD5"
    /// SHA-1 (the Kaltura server's default).
    case sha1 = "SHA1"
    /// SHA-256 (the SDK's default).
    case sha256 = "SHA256"
    /// SHA-512.
    case sha512 = "SHA512"

    var ffi: VkKalturaHashType {
        switch self {
        case .md5: return .md5
        case .sha1: return .sha1
        case .sha256: return .sha256
        case .sha512: return .sha512
        }
    }
}

/// Kaltura session type: user (0) or admin (2).
public enum VKKalturaSessionType: String, Sendable, CaseIterable {
    /// A user session (type 0).
    case user
    /// An admin session (type 2).
    case admin

    /// The wire name ("user", "admin"), as the CLI and Kotlin print it.
    public var wireName: String { rawValue }

    var ffi: VkKalturaSessionType { self == .admin ? .admin : .user }
    init(_ t: VkKalturaSessionType) { self = t == .admin ? .admin : .user }
}

/// What an app gives to get a Kaltura Session (KS) through an Application Token. No admin
/// secret is ever needed. `description` never prints ``appToken``.
public struct VKKalturaConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Kaltura's SaaS service, the default ``serviceURL``.
    public static let defaultServiceURL = URL(string: "https://www.kaltura.com")!

    /// The Kaltura partner id.
    public var partnerId: Int64
    /// The app token's id (e.g. `0_xeu31jy5`).
    public var appTokenId: String
    /// The app token's `token` value (a secret).
    public var appToken: String
    /// `https://www.kaltura.com` or an on-prem host.
    public var serviceURL: URL
    /// The hash the app token was created with (default SHA-256; the server's own default is SHA-1).
    public var hashType: VKKalturaHashType
    /// The user of the KS; `nil` = the app token's `sessionUserId`, or none.
    public var userId: String?
    /// User or admin; `nil` = the app token's `sessionType`.
    public var sessionType: VKKalturaSessionType?
    /// Requested KS lifetime (the server caps it at the token's sessionDuration).
    public var expiry: TimeInterval?
    /// Session privileges (the server intersects them with the app token's).
    public var privileges: String?
    /// Defaults to `_<partnerId>`.
    public var widgetId: String?

    /// A configuration; only the partner and the app token are required.
    public init(
        partnerId: Int64, appTokenId: String, appToken: String,
        serviceURL: URL = VKKalturaConfiguration.defaultServiceURL,
        hashType: VKKalturaHashType = .sha256, userId: String? = nil,
        sessionType: VKKalturaSessionType? = nil, expiry: TimeInterval? = nil,
        privileges: String? = nil, widgetId: String? = nil
    ) {
        self.partnerId = partnerId
        self.appTokenId = appTokenId
        self.appToken = appToken
        self.serviceURL = serviceURL
        self.hashType = hashType
        self.userId = userId
        self.sessionType = sessionType
        self.expiry = expiry
        self.privileges = privileges
        self.widgetId = widgetId
    }

    /// Everything but the app token.
    public var description: String {
        "VKKalturaConfiguration(partnerId: \(partnerId), appTokenId: \(appTokenId), appToken: ***, serviceURL: \(serviceURL), hashType: \(hashType.rawValue))"
    }

    /// Same as ``description``: the app token is never printed.
    public var debugDescription: String { description }

    /// What `dump()` and debuggers show: every field but the app token.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "partnerId": partnerId, "appTokenId": appTokenId, "appToken": "***",
                "serviceURL": serviceURL, "hashType": hashType, "userId": userId as Any,
                "sessionType": sessionType as Any, "expiry": expiry as Any,
                "privileges": privileges as Any, "widgetId": widgetId as Any,
            ],
            displayStyle: .struct)
    }

    var ffi: VkKalturaConfig {
        VkKalturaConfig(
            serviceUrl: serviceURL.absoluteString, partnerId: partnerId, appTokenId: appTokenId,
            appToken: appToken, widgetId: widgetId, hashType: hashType.ffi, userId: userId,
            sessionType: sessionType?.ffi, expirySecs: expiry.map { UInt64(max(1, wholeSeconds($0))) },
            privileges: privileges)
    }
}

/// What the Kaltura server said about a KS.
public struct VKKalturaInfo: Sendable, Equatable {
    /// The partner the KS is for.
    public let partnerId: Int64
    /// "" when neither the request nor the app token set a user.
    public let userId: String
    /// User or admin.
    public let sessionType: VKKalturaSessionType
    /// The privileges granted.
    public let privileges: String

    init(_ i: VkKalturaInfo) {
        partnerId = i.partnerId
        userId = i.userId
        sessionType = VKKalturaSessionType(i.sessionType)
        privileges = i.privileges
    }
}

/// VideoSDK token permissions.
public enum VKVideoSdkPermission: String, Sendable, CaseIterable {
    /// `allow_join`: joins directly.
    case allowJoin = "allow_join"
    /// `ask_join`: must ask to join.
    case askJoin = "ask_join"
    /// `allow_mod`: may moderate.
    case allowMod = "allow_mod"

    /// The claim's spelling ("allow_join", …).
    public var wireName: String { rawValue }

    /// The permission spelled `wireName` in a token, if any.
    public static func from(wireName: String) -> VKVideoSdkPermission? { VKVideoSdkPermission(rawValue: wireName) }

    init(_ p: VkVideoSdkPermission) {
        switch p {
        case .allowJoin: self = .allowJoin
        case .askJoin: self = .askJoin
        case .allowMod: self = .allowMod
        }
    }
}

/// VideoSDK token roles (version 2 tokens).
public enum VKVideoSdkRole: String, Sendable, CaseIterable {
    /// `crawler`: server-side (REST API) use only; cannot join a meeting.
    case crawler
    /// `rtc`: may join meetings (real-time communication).
    case rtc

    /// The claim's spelling ("crawler", "rtc").
    public var wireName: String { rawValue }

    /// The role spelled `wireName` in a token, if any.
    public static func from(wireName: String) -> VKVideoSdkRole? { VKVideoSdkRole(rawValue: wireName) }

    init(_ r: VkVideoSdkRole) { self = r == .crawler ? .crawler : .rtc }
}

/// The checked claims of a VideoSDK access token, typed: ask "may this participant moderate?"
/// without parsing JWTs.
public struct VKVideoSdkClaims: Sendable, Equatable {
    /// The VideoSDK API key (`apikey`).
    public let apiKey: String
    /// The granted permissions.
    public let permissions: Set<VKVideoSdkPermission>
    /// 2 for room/participant-scoped tokens.
    public let version: Int?
    /// The room the token is limited to (version 2).
    public let roomId: String?
    /// The participant the token is limited to (version 2).
    public let participantId: String?
    /// The roles (version 2).
    public let roles: Set<VKVideoSdkRole>
    /// `iat`.
    public let issuedAt: Date?
    /// `exp`.
    public let expiresAt: Date?
    /// `nbf`.
    public let notBefore: Date?
    /// `allow_join`: joins directly.
    public let canJoin: Bool
    /// Must ask to join (`ask_join` without `allow_join`).
    public let mustAskToJoin: Bool
    /// `allow_mod`: may moderate.
    public let canModerate: Bool

    init(_ c: VkVideoSdkClaims) {
        apiKey = c.apikey
        permissions = Set(c.permissions.map(VKVideoSdkPermission.init))
        version = c.version.map(Int.init)
        roomId = c.roomId
        participantId = c.participantId
        roles = Set(c.roles.map(VKVideoSdkRole.init))
        issuedAt = c.issuedAt
        expiresAt = c.expiresAt
        notBefore = c.notBefore
        canJoin = c.canJoin
        mustAskToJoin = c.mustAskToJoin
        canModerate = c.canModerate
    }
}

/// Decoding and checking VideoSDK access tokens on the device (without the secret).
public enum VKVideoSdk {
    /// Decode and check `token` against the device clock with `leeway`. Throws ``VKError`` of
    /// kind `invalidToken` or `expired`, with the VideoSDK error kind in `code` (`malformed`,
    /// `expired`, `not_yet_valid`, `missing_claim`, `invalid_claim`, `unsupported_algorithm`).
    public static func decode(token: String, leeway: TimeInterval = 0) throws -> VKVideoSdkClaims {
        do {
            return VKVideoSdkClaims(try decodeVideosdkToken(token: token, leewaySecs: wholeSeconds(leeway)))
        } catch {
            throw VKError.from(error)
        }
    }

    /// Like ``decode(token:leeway:)``, judged at `now`.
    public static func check(token: String, at now: Date, leeway: TimeInterval = 0) throws -> VKVideoSdkClaims {
        do {
            return VKVideoSdkClaims(try checkVideosdkTokenAt(token: token, now: now, leewaySecs: wholeSeconds(leeway)))
        } catch {
            throw VKError.from(error)
        }
    }
}
