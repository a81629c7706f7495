// The vendor flows of the Kotlin layer: the Kaltura appToken configuration and what the server
// said about a KS, VideoSDK's typed token claims, and the on-device VideoSDK token check.
// Mirrors swift-package/Sources/VideoKitCore/VKVendors.swift; the logic is the Rust core's.
package io.videokit.core

import io.videokit.core.ffi.checkVideosdkTokenAt
import io.videokit.core.ffi.decodeVideosdkToken
import java.time.Duration
import java.time.Instant

/**
 * The hash of (widget KS + app token) sent as `tokenHash`. It must match the `hashType` the
 * Kaltura app token was created with, or the server answers `INVALID_APP_TOKEN_HASH`.
 *
 * The Kaltura server's own default (an app token created without `hashType`) is [SHA1]; the
 * SDK's default is [SHA256]: create your app tokens with `hashType: SHA256`, or pass the
 * type they were created with.
 */
enum class VKKalturaHashType {
    /** MD5. */
    MD5,

    /** SHA-1 (the Kaltura server's default for new app tokens). */
    SHA1,

    /** SHA-256 (the SDK's default). */
    SHA256,

    /** SHA-512. */
    SHA512,
}

/** The type of a Kaltura session (KS): user (0) or admin (2). */
enum class VKKalturaSessionType {
    /** A user session (type 0). */
    USER,

    /** An admin session (type 2). */
    ADMIN;

    /** The lowercase name used by the CLI and the Swift layer ("user", "admin"). */
    val wireName: String get() = name.lowercase()
}

/**
 * What an app gives to get a Kaltura Session (KS) through an Application Token: the widget
 * session → token hash → `appToken.startSession` flow. No admin secret is ever needed (nor
 * should one ship in an app). Only the partner and the app token are required.
 *
 * ```kotlin
 * VKSession.current.start(kaltura = VKKalturaConfiguration(
 *     partnerId = 1851571, appTokenId = "0_xeu31jy5", appToken = BuildConfig.KALTURA_APP_TOKEN,
 *     userId = "alice")) { state, data, error -> /* data.token is the KS */ }
 * ```
 *
 * [toString] never prints [appToken].
 *
 * @property partnerId the Kaltura partner id.
 * @property appTokenId the app token's id (e.g. `0_xeu31jy5`).
 * @property appToken the app token's `token` value. A secret.
 * @property serviceUrl `https://www.kaltura.com`, or an on-prem host; the SDK calls
 *   `{serviceUrl}/api_v3/service/...`.
 * @property hashType the hash the app token was created with. Default [VKKalturaHashType.SHA256];
 *   the Kaltura server's own default is [VKKalturaHashType.SHA1].
 * @property userId the user of the KS; `null` = the app token's `sessionUserId`, or none.
 * @property sessionType user or admin; `null` = the app token's `sessionType` (else user).
 * @property expiry the requested KS lifetime (whole seconds, at least 1; the server caps it at
 *   the app token's `sessionDuration`); `null` = the token's `sessionDuration`.
 * @property privileges session privileges to request (the server merges them with the app
 *   token's and ignores reserved ones).
 * @property widgetId the widget of the anonymous widget session; `null` = `_<partnerId>`.
 */
data class VKKalturaConfiguration @JvmOverloads constructor(
    val partnerId: Long,
    val appTokenId: String,
    val appToken: String,
    val serviceUrl: String = DEFAULT_SERVICE_URL,
    val hashType: VKKalturaHashType = VKKalturaHashType.SHA256,
    val userId: String? = null,
    val sessionType: VKKalturaSessionType? = null,
    val expiry: Duration? = null,
    val privileges: String? = null,
    val widgetId: String? = null,
) {
    /** Everything but the app token. */
    override fun toString(): String =
        "VKKalturaConfiguration(partnerId=$partnerId, appTokenId=$appTokenId, appToken=***, serviceUrl=$serviceUrl, " +
            "hashType=$hashType, userId=$userId, sessionType=$sessionType, expiry=$expiry, privileges=$privileges, " +
            "widgetId=$widgetId)"

    /** @suppress */
    companion object {
        /** Kaltura's SaaS service. */
        const val DEFAULT_SERVICE_URL: String = "https://www.kaltura.com"
    }
}

/**
 * What the Kaltura server said about a KS (from `appToken.startSession`); in
 * [VKSessionData.kaltura] of Kaltura sessions. The KS itself is [VKSessionData.token].
 *
 * @property partnerId the partner the KS is for.
 * @property userId the user; `""` when neither the request nor the app token set one.
 * @property sessionType user or admin.
 * @property privileges the privileges granted (e.g. `sessionid:0_xeu31jy5,apptoken:0_xeu31jy5`).
 */
data class VKKalturaInfo(
    val partnerId: Long,
    val userId: String,
    val sessionType: VKKalturaSessionType,
    val privileges: String,
)

/**
 * A permission of a VideoSDK access token (`permissions` claim).
 *
 * @property wireName the claim value ("allow_join", ...).
 */
enum class VKVideoSdkPermission(val wireName: String) {
    /** `allow_join`: joins a meeting directly. */
    ALLOW_JOIN("allow_join"),

    /** `ask_join`: must ask to join. */
    ASK_JOIN("ask_join"),

    /** `allow_mod`: may moderate (remove participants, toggle their media). */
    ALLOW_MOD("allow_mod");

    /** @suppress */
    companion object {
        /** The permission with this [wireName], or `null`. */
        @JvmStatic
        fun fromWireName(wireName: String): VKVideoSdkPermission? = entries.firstOrNull { it.wireName == wireName }
    }
}

/**
 * A role of a version-2 VideoSDK access token (`roles` claim).
 *
 * @property wireName the claim value ("crawler", "rtc").
 */
enum class VKVideoSdkRole(val wireName: String) {
    /** `crawler`: server-side (REST API) use only; cannot join a meeting. */
    CRAWLER("crawler"),

    /** `rtc`: real-time participant access. */
    RTC("rtc");

    /** @suppress */
    companion object {
        /** The role with this [wireName], or `null`. */
        @JvmStatic
        fun fromWireName(wireName: String): VKVideoSdkRole? = entries.firstOrNull { it.wireName == wireName }
    }
}

/**
 * The checked claims of a VideoSDK access token, typed: ask "may this participant moderate?"
 * ([canModerate]) without parsing JWTs. In [VKSessionData.videoSdk] of VideoSDK sessions, and
 * returned by [VKVideoSdk.decode] / [VKVideoSdk.checkAt].
 *
 * @property apiKey the VideoSDK API key (`apikey`; not a secret, unlike the API secret).
 * @property permissions the granted permissions (never empty).
 * @property version `2` for room/participant-scoped tokens, else `null`.
 * @property roomId the room the token is limited to (version 2).
 * @property participantId the participant the token is limited to (version 2).
 * @property roles the roles (version 2; else empty).
 * @property issuedAt `iat`, when present.
 * @property expiresAt `exp`, when present (a token without it never expires).
 * @property notBefore `nbf`, when present.
 * @property canJoin `allow_join`, and roles that allow joining meetings (none, or `rtc`
 *   among them; a `crawler`-only token is for server-side API calls): joins directly.
 * @property mustAskToJoin `ask_join` without `allow_join` (which wins when both are
 *   present), with roles that allow joining: must ask to join and be admitted.
 * @property canModerate `allow_mod`: may moderate.
 */
data class VKVideoSdkClaims(
    val apiKey: String,
    val permissions: Set<VKVideoSdkPermission>,
    val version: Int?,
    val roomId: String?,
    val participantId: String?,
    val roles: Set<VKVideoSdkRole>,
    val issuedAt: Instant?,
    val expiresAt: Instant?,
    val notBefore: Instant?,
    val canJoin: Boolean,
    val mustAskToJoin: Boolean,
    val canModerate: Boolean,
)

/**
 * Decoding and checking VideoSDK access tokens on the device, without the API secret (which
 * never belongs in an app): structure, header `alg` exactly `HS256` (`none` and others are
 * refused), the claim rules, and `exp`/`nbf`. The signature itself is judged by VideoSDK's
 * servers. Pure computation, no I/O: safe on any thread. Java callers catch the checked
 * [VKException].
 *
 * ```kotlin
 * val claims = VKVideoSdk.decode(token)
 * if (claims.canModerate) showModeratorControls()
 * ```
 */
object VKVideoSdk {
    /**
     * Decode and check [token] against the device clock.
     *
     * @param token the VideoSDK access token (an HS256 JWT).
     * @param leeway tolerance for `exp` and `nbf` (whole seconds, rounded).
     * @return the typed claims.
     * @throws VKException [VKErrorKind.EXPIRED] (code `expired`) or [VKErrorKind.INVALID_TOKEN]
     *   with the VideoSDK error kind in [VKException.code]: `malformed`, `not_yet_valid`,
     *   `missing_claim`, `invalid_claim` or `unsupported_algorithm`.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(VKException::class)
    fun decode(token: String, leeway: Duration = Duration.ZERO): VKVideoSdkClaims =
        ffiCall { decodeVideosdkToken(token, leeway.toWholeSeconds()).toVK() }

    /**
     * Like [decode], judged at [now] instead of the device clock (server time, or tests).
     *
     * @param token the VideoSDK access token (an HS256 JWT).
     * @param now the time to check `exp` and `nbf` against.
     * @param leeway tolerance for `exp` and `nbf` (whole seconds, rounded).
     * @return the typed claims.
     * @throws VKException as [decode].
     */
    @JvmStatic
    @JvmOverloads
    @Throws(VKException::class)
    fun checkAt(token: String, now: Instant, leeway: Duration = Duration.ZERO): VKVideoSdkClaims =
        ffiCall { checkVideosdkTokenAt(token, now, leeway.toWholeSeconds()).toVK() }
}
