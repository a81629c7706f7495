// Configuration and the app-supplied pieces: token provider, session store, logger.
package io.videokit.core

import java.time.Duration
import java.util.concurrent.Executor
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext

/**
 * Configuration of [VKSession], applied with [VKSession.configure] before `start`. Every
 * field has a default; the defaults suit a production app.
 *
 * ```kotlin
 * VKSession.current.configure(VKConfiguration(gatewayUrl = "https://gateway.example.com"))
 * ```
 *
 * @property gatewayUrl the VideoKit gateway base URL (API-token mode posts to
 *   `{gatewayUrl}/v1/sessions`).
 * @property connectTimeout connect timeout of one request; `null` = the SDK's default (10 s).
 * @property requestTimeout total time of one request; `null` = the SDK's default (30 s).
 * @property renewalLead renew this long before expiry; `null` = the smaller of 5 minutes
 *   and 10% of the token's lifetime (always clamped to half the lifetime).
 * @property startAttempts attempts `start` makes on transient failures (network, timeout,
 *   5xx, 429) before it fails; `null` = the SDK's default (4). Renewal keeps retrying while
 *   the session runs.
 * @property maxRetryDelay cap of one retry delay (exponential backoff with full jitter);
 *   `null` = the SDK's default (60 s).
 * @property allowInsecureHttp allow plain `http://` to non-loopback hosts. Development only;
 *   loopback (127.0.0.1, ::1, localhost) is always allowed.
 * @property store where the session is persisted so that the next `start` resumes it
 *   without a request; `null` keeps it in memory only. On Android use
 *   `VKSharedPreferencesStore(context)`.
 * @property logger receives the SDK's log records (never a secret); `null` = the platform
 *   default (Logcat on Android, nothing on a desktop JVM). Process-wide: the last
 *   configuration applied wins.
 * @property logLevel the lowest level forwarded to [logger].
 * @property callbackExecutor where completions, token callbacks and listeners run. `null` =
 *   the Android main thread, or on a JVM without one, one SDK-owned daemon thread
 *   ("videokit-callbacks"). Give a serial executor if listener order matters to you, and
 *   not one that runs tasks inline on the calling thread: that thread is the SDK's own
 *   worker, and a callback blocking on the SDK there would wait on itself.
 * @property name the session's name, put before its keys in the [store]: give each session
 *   of your own (`VKSession(configuration)`) that shares a store with another one a name of
 *   its own, e.g. `"kaltura"` and `"videosdk"`, and each resumes, saves and clears only its
 *   own record. Without one, two sessions whose starts look alike to the store (two token
 *   providers with no identity, say) share a record: one can resume the other's token.
 *   `null` = unnamed (`VKSession.current`). 1 to 64 of `A-Z a-z 0-9 _ -`.
 *
 * The defaults of durations and counts live in one place, the Rust core
 * (`SessionConfig::default()`); a `null` here takes them from there.
 *
 * Any values are accepted here; the engine alone judges them (a zero or negative timeout, a
 * negative lead or delay, `startAttempts < 1`, an empty gateway, a name with other characters
 * are invalid): an invalid
 * configuration given to [VKSession.configure] is then [VKSession.lastError] and every start's
 * [VKErrorKind.INVALID_ARGUMENT] error, the same on every platform.
 */
data class VKConfiguration @JvmOverloads constructor(
    val gatewayUrl: String = DEFAULT_GATEWAY_URL,
    val connectTimeout: Duration? = null,
    val requestTimeout: Duration? = null,
    val renewalLead: Duration? = null,
    val startAttempts: Int? = null,
    val maxRetryDelay: Duration? = null,
    val allowInsecureHttp: Boolean = false,
    val store: VKSessionStore? = null,
    val logger: VKLogger? = null,
    val logLevel: VKLogLevel = VKLogLevel.WARN,
    val callbackExecutor: Executor? = null,
    val name: String? = null,
) {
    /** @suppress */
    companion object {
        /** The production VideoKit gateway. */
        const val DEFAULT_GATEWAY_URL: String = "https://gateway.video.io"

        /** A [Builder] with every default (for Java). */
        @JvmStatic
        fun builder(): Builder = Builder()
    }

    /** A [Builder] starting from this configuration. */
    fun toBuilder(): Builder = Builder(this)

    /**
     * Every field, with the gateway URL's credentials (`user:password@`), query and fragment
     * as `***`: a configuration can be logged.
     */
    override fun toString(): String =
        "VKConfiguration(gatewayUrl=${redactedUrl(gatewayUrl)}, connectTimeout=$connectTimeout, requestTimeout=$requestTimeout, " +
            "renewalLead=$renewalLead, startAttempts=$startAttempts, maxRetryDelay=$maxRetryDelay, " +
            "allowInsecureHttp=$allowInsecureHttp, store=$store, logger=$logger, logLevel=$logLevel, " +
            "callbackExecutor=$callbackExecutor, name=$name)"

    /**
     * Builds a [VKConfiguration] step by step, for Java:
     * `VKConfiguration.builder().gatewayUrl(url).requestTimeout(Duration.ofSeconds(5)).store(store).build()`.
     */
    class Builder @JvmOverloads constructor(private var c: VKConfiguration = VKConfiguration()) {
        /** See [VKConfiguration.gatewayUrl]. */
        fun gatewayUrl(value: String) = apply { c = c.copy(gatewayUrl = value) }

        /** See [VKConfiguration.connectTimeout]. */
        fun connectTimeout(value: Duration?) = apply { c = c.copy(connectTimeout = value) }

        /** See [VKConfiguration.requestTimeout]. */
        fun requestTimeout(value: Duration?) = apply { c = c.copy(requestTimeout = value) }

        /** See [VKConfiguration.renewalLead]. */
        fun renewalLead(value: Duration?) = apply { c = c.copy(renewalLead = value) }

        /** See [VKConfiguration.startAttempts]. */
        fun startAttempts(value: Int?) = apply { c = c.copy(startAttempts = value) }

        /** See [VKConfiguration.maxRetryDelay]. */
        fun maxRetryDelay(value: Duration?) = apply { c = c.copy(maxRetryDelay = value) }

        /** See [VKConfiguration.allowInsecureHttp]. */
        fun allowInsecureHttp(value: Boolean) = apply { c = c.copy(allowInsecureHttp = value) }

        /** See [VKConfiguration.store]. */
        fun store(value: VKSessionStore?) = apply { c = c.copy(store = value) }

        /** See [VKConfiguration.logger]. */
        fun logger(value: VKLogger?) = apply { c = c.copy(logger = value) }

        /** See [VKConfiguration.logLevel]. */
        fun logLevel(value: VKLogLevel) = apply { c = c.copy(logLevel = value) }

        /** See [VKConfiguration.callbackExecutor]. */
        fun callbackExecutor(value: Executor?) = apply { c = c.copy(callbackExecutor = value) }

        /** See [VKConfiguration.name]. */
        fun name(value: String?) = apply { c = c.copy(name = value) }

        /** The configuration. */
        fun build(): VKConfiguration = c
    }
}

/**
 * An app-supplied token source: your own code gets a session token (from your backend,
 * your auth SDK...). The SDK calls it for the first token and before each expiry, one call
 * at a time, on a background coroutine.
 *
 * Throw [VKException] with [VKErrorKind.UNAUTHORIZED] or [VKErrorKind.REJECTED] to stop the
 * session; any other exception counts as a transient failure and is retried with backoff.
 * Blocking code (Java, a blocking HTTP client) can extend [VKBlockingTokenProvider].
 */
interface VKTokenProvider {
    /** A fresh session token for [identity] (as given to `start`). */
    suspend fun fetchToken(identity: String?): VKProvidedToken
}

/**
 * A [VKTokenProvider] for blocking code, Java in particular: [fetchTokenBlocking] runs on a
 * background I/O thread, never on the main thread.
 *
 * ```java
 * VKSession.getCurrent().start(new VKBlockingTokenProvider() {
 *     @Override public VKProvidedToken fetchTokenBlocking(String identity) {
 *         return new VKProvidedToken(myBackend.fetchToken(identity));
 *     }
 * }, "alice", (state, data, error) -> { });
 * ```
 */
abstract class VKBlockingTokenProvider : VKTokenProvider {
    /**
     * A fresh session token for [identity]; may block (an interrupt means: give up). Throw
     * [VKException] with [VKErrorKind.UNAUTHORIZED] or [VKErrorKind.REJECTED] to stop the
     * session (declared, so Java can throw it: it is a checked exception there).
     */
    @Throws(VKException::class)
    abstract fun fetchTokenBlocking(identity: String?): VKProvidedToken

    private val oneAtATime = kotlinx.coroutines.sync.Mutex()

    /**
     * Runs [fetchTokenBlocking] on `Dispatchers.IO`, one call at a time. A call that outlives
     * the request timeout is interrupted; until it returns, the next attempt waits for it
     * (cancellably) instead of starting a second blocked thread.
     */
    final override suspend fun fetchToken(identity: String?): VKProvidedToken =
        oneAtATime.withLock { withContext(Dispatchers.IO) { runInterruptible { fetchTokenBlocking(identity) } } }
}

/**
 * Byte storage for session records, so that a restarted app resumes its session without a
 * request. Records contain the session token: keep them where the platform keeps secrets
 * (on Android, `VKSharedPreferencesStore` encrypts them with a key from the Android
 * Keystore). Called on SDK background threads, one call at a time per session, so a slow
 * store holds up only its own session. The SDK waits for a load or save at most 2 s, then
 * goes on without it (fetching anew, or serving the new token unsaved; the call still
 * completes in its turn). `stop` (and `configure`, `close`, a `start` that replaces a running
 * session) waits at most 1 s for the record's clear, so the record is normally gone when it
 * returns. Must not call back into [VKSession]. A failure (any exception) is logged as
 * a [VKErrorKind.STORAGE] error (its text is not passed on) and never stops a session.
 */
interface VKSessionStore {
    /** The record saved under [key], or `null`. */
    fun load(key: String): ByteArray?

    /** Save (replace) the record under [key]. */
    fun save(key: String, record: ByteArray)

    /** Remove the record under [key], if any. */
    fun clear(key: String)
}

/** Log levels, most severe first. */
enum class VKLogLevel {
    /** Failures. */
    ERROR,

    /** Retries, expiry, recoverable problems (the default level). */
    WARN,

    /** Lifecycle: started, renewed, stopped. */
    INFO,

    /** State transitions and requests. */
    DEBUG,

    /** Everything. */
    TRACE,
}

/**
 * Receives the SDK's log records (they never contain a secret). Called on SDK threads, not
 * on the callback thread: keep it short and thread-safe.
 */
fun interface VKLogger {
    /** One record; [target] is "videokit", "videokit::http", ... */
    fun log(level: VKLogLevel, target: String, message: String)
}
