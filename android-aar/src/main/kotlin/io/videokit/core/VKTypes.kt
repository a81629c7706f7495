// The value types of the VideoKit Kotlin layer: states, errors, session data, callbacks.
// Portable Kotlin: compiled for Android (the AAR) and for the desktop JVM (the tests).
// Mirrors swift-package/Sources/VideoKitCore/ (VKSessionState, VKError, VKSessionData, ...).
package io.videokit.core

import java.time.Instant

/**
 * The lifecycle state of a [VKSession].
 *
 * ```
 * IDLE → STARTING → ACTIVE ⇄ REFRESHING        any → STOPPED (stop())
 * STARTING | REFRESHING → FAILED               (terminal: 401/403, a backend rejection, ...)
 * ACTIVE | REFRESHING → EXPIRED                (the token lapsed unrenewed; renewal goes on)
 * ```
 * `start` again from [STOPPED], [FAILED] or [EXPIRED]; `start` while running stops the old
 * session first.
 */
enum class VKSessionState {
    /** Nothing started yet (or a new configuration was applied). */
    IDLE,

    /** `start` is fetching the first token. */
    STARTING,

    /** A valid token is held; renewal is scheduled before it expires. */
    ACTIVE,

    /** Renewing; the still-valid token keeps being served meanwhile. */
    REFRESHING,

    /** The token lapsed before it could be renewed; renewal retries go on. */
    EXPIRED,

    /** A terminal failure; see [VKSession.lastError]. Start again to retry. */
    FAILED,

    /** [VKSession.stop] was called: timers cancelled, token and stored session cleared. */
    STOPPED;

    /** The lowercase name used by the Rust core, the CLI and the Swift layer ("active", ...). */
    val wireName: String get() = name.lowercase()
}

/**
 * The stable kind of a [VKException]. The same kinds, with the same [wireName]s, exist in
 * the Rust core, the CLI (`--json`) and the Swift layer.
 *
 * @property wireName the snake_case name ("network", "http_status", ...).
 */
enum class VKErrorKind(val wireName: String) {
    /** Could not connect, connection reset or dropped. Retried. */
    NETWORK("network"),

    /** Connect or total request timeout. Retried. */
    TIMEOUT("timeout"),

    /** 5xx / 429 / 408 (retried), or another unexpected HTTP status (terminal). */
    HTTP_STATUS("http_status"),

    /** Not UTF-8, not JSON, a missing field, or a body over the size cap. */
    MALFORMED_RESPONSE("malformed_response"),

    /** The backend said no (a body with `error`; vendor codes in [VKException.code]). */
    REJECTED("rejected"),

    /** HTTP 401 / 403: wrong app token or credentials. */
    UNAUTHORIZED("unauthorized"),

    /** The token (or a fixed session token) has expired. */
    EXPIRED("expired"),

    /** A token could not be decoded or failed its checks. */
    INVALID_TOKEN("invalid_token"),

    /** Empty identity, bad URL, bad configuration. */
    INVALID_ARGUMENT("invalid_argument"),

    /** `http://` to a non-loopback host without [VKConfiguration.allowInsecureHttp]. */
    INSECURE_TRANSPORT("insecure_transport"),

    /** `stop()` or a newer `start()` cancelled the call. */
    CANCELLED("cancelled"),

    /** `token()` before `start()` or after `stop()`. */
    NOT_STARTED("not_started"),

    /** The session store failed (logged; never stops a session). */
    STORAGE("storage"),

    /** A bug inside the SDK (please report it). */
    INTERNAL("internal");

    /** @suppress */
    companion object {
        /** The kind with this [wireName], or `null`. */
        @JvmStatic
        fun fromWireName(wireName: String): VKErrorKind? = entries.firstOrNull { it.wireName == wireName }
    }
}

/**
 * The one error type of VideoKit. [detail] is a human message that never contains a secret.
 *
 * App code may throw it from a [VKTokenProvider]: [VKErrorKind.UNAUTHORIZED] or
 * [VKErrorKind.REJECTED] stop the session at once; any other kind (or any other exception)
 * counts as a transient failure and is retried with backoff.
 *
 * @property kind the stable kind; switch on this.
 * @property detail what went wrong, for logs and support (no secrets).
 * @property code a backend or vendor error code, when the backend sent one.
 * @property httpStatus the HTTP status behind the error, if any.
 */
class VKException @JvmOverloads constructor(
    val kind: VKErrorKind,
    val detail: String,
    val code: String? = null,
    val httpStatus: Int? = null,
) : Exception(detail) {
    /** `VKException(kind=unauthorized, status=401): detail`. */
    override fun toString(): String = buildString {
        append("VKException(kind=").append(kind.wireName)
        if (code != null) append(", code=").append(code)
        if (httpStatus != null) append(", status=").append(httpStatus)
        append("): ").append(detail)
    }
}

/** Where the token of a session comes from. */
enum class VKSourceKind {
    /** VideoKit API-token mode (development only): app token + identity. */
    API_TOKEN,

    /** A session token given by the app (not renewable). */
    SESSION_TOKEN,

    /** The app's backend token URL. */
    BACKEND,

    /** An app-supplied [VKTokenProvider]. */
    CUSTOM,

    /** A Kaltura session (KS). */
    KALTURA,

    /** A VideoSDK access token. */
    VIDEO_SDK,
}

/**
 * The current session. [toString] never prints the [token] (only its length), so a
 * `VKSessionData` can be logged safely.
 *
 * @property identity the user the session is for, when known.
 * @property token the session token: send it to your video backend. A secret. For Kaltura
 *   sessions the KS, for VideoSDK sessions the access token.
 * @property expiresAt when the token expires (server time), or `null` when unknown (then
 *   no renewal is scheduled).
 * @property issuedAt when the token was issued (server time), when known.
 * @property source where the token came from.
 * @property scopes the scopes granted (API-token mode).
 * @property resumed `true` when the session was resumed from the [VKSessionStore] without
 *   a request.
 * @property kaltura Kaltura sessions: what the server said about the KS; else `null`.
 * @property videoSdk VideoSDK sessions: the token's checked claims; else `null`.
 */
class VKSessionData @JvmOverloads constructor(
    val identity: String?,
    val token: String,
    val expiresAt: Instant?,
    val issuedAt: Instant?,
    val source: VKSourceKind,
    val scopes: List<String>,
    val resumed: Boolean,
    val kaltura: VKKalturaInfo? = null,
    val videoSdk: VKVideoSdkClaims? = null,
) {
    /** Everything but the token. */
    override fun toString(): String =
        "VKSessionData(identity=$identity, token=<${token.length} chars>, expiresAt=$expiresAt, " +
            "issuedAt=$issuedAt, source=$source, scopes=$scopes, resumed=$resumed" +
            (if (kaltura != null) ", kaltura=$kaltura" else "") +
            (if (videoSdk != null) ", videoSdk=$videoSdk" else "") + ")"

    /** Equal when every field, the token included, is equal. */
    override fun equals(other: Any?): Boolean =
        other is VKSessionData && identity == other.identity && token == other.token &&
            expiresAt == other.expiresAt && issuedAt == other.issuedAt && source == other.source &&
            scopes == other.scopes && resumed == other.resumed && kaltura == other.kaltura &&
            videoSdk == other.videoSdk

    /** Consistent with [equals]. */
    override fun hashCode(): Int =
        listOf(identity, token, expiresAt, issuedAt, source, scopes, resumed, kaltura, videoSdk).hashCode()
}

/**
 * One state transition, as a listener sees it. The first event a new listener receives is
 * the current state (`from == to`); then every transition, in order, exactly once.
 *
 * @property seq increasing per session core, from 1 (a number is skipped where the session
 *   changed without a transition: a retried attempt's error, a `configure` while idle); the
 *   initial event repeats the last one's.
 * @property from the state before.
 * @property to the state after.
 * @property at local wall-clock time of the transition.
 * @property error the error that caused it (FAILED, EXPIRED), if any.
 */
data class VKStateChange(
    val seq: Long,
    val from: VKSessionState,
    val to: VKSessionState,
    val at: Instant,
    val error: VKException?,
) {
    /** `true` for the first event a listener gets (the current state, not a transition). */
    val isInitial: Boolean get() = from == to
}

/**
 * What a [VKTokenProvider] returns. [toString] never prints the token.
 *
 * @property token the session token.
 * @property expiresAt its expiry (server time) if known; otherwise the SDK reads the
 *   token's JWT `exp`, if any. A JWT expires at the earlier of the two.
 */
class VKProvidedToken @JvmOverloads constructor(
    val token: String,
    val expiresAt: Instant? = null,
) {
    /** Everything but the token. */
    override fun toString(): String = "VKProvidedToken(token=<${token.length} chars>, expiresAt=$expiresAt)"
}

/**
 * The result of a `start`: [state] is [VKSessionState.ACTIVE] with [data] on success, or the
 * session's state (usually [VKSessionState.FAILED]) with [error]. Called once per `start`,
 * on the main thread on Android (see [VKConfiguration.callbackExecutor]).
 */
fun interface VKCompletion {
    /** The outcome of `start`; exactly one of [data] and [error] is non-null. */
    fun onResult(state: VKSessionState, data: VKSessionData?, error: VKException?)
}

/**
 * The result of [VKSession.token] in callback form; exactly one of [token] and [error] is
 * non-null. Called on the callback thread (see [VKConfiguration.callbackExecutor]).
 */
fun interface VKTokenCallback {
    /** A valid token, or why there is none. */
    fun onResult(token: String?, error: VKException?)
}

/**
 * Receives state changes (see [VKStateChange]) on the callback thread, in order.
 * A Kotlin lambda converts to it: `session.addListener { change -> ... }`.
 */
fun interface VKStateListener {
    /** One state change. Keep it short; it runs on the callback thread. */
    fun onStateChange(change: VKStateChange)
}

/** Returned by [VKSession.addListener]; [remove] (or [close]) stops the deliveries. */
interface VKListenerHandle : AutoCloseable {
    /** Stop delivering to this listener. Idempotent. */
    fun remove()

    /** Same as [remove], for `use {}` / try-with-resources. */
    override fun close() = remove()
}
