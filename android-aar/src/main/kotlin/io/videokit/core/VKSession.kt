// VKSession: the handwritten Kotlin face of the Rust session manager (`VkSession`,
// bindings/src/session.rs). Idiom translation only: callbacks and suspend functions, the
// callback Executor, StateFlow/Flow, Java futures. The contract it implements, name for name
// with the Swift layer, is docs/PLATFORM-LAYERS.md; the plumbing is in SessionCore.kt.
package io.videokit.core

import io.videokit.core.ffi.VkCall
import io.videokit.core.ffi.VkSession
import java.util.concurrent.CompletableFuture
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.channels.trySendBlocking
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/**
 * A video session: start it once, then ask it for a valid [token] whenever you need one. It
 * renews the token before expiry, retries transient failures, and reports every state change
 * and every new token.
 *
 * ```kotlin
 * VKSession.current.configure(VKConfiguration(store = VKSharedPreferencesStore(this)))
 * VKSession.current.start(apiToken = BuildConfig.VK_APP_TOKEN, identity = "alice") { state, data, error -> }
 * ```
 *
 * **Never blocks.** Every call returns at once, even the first in a fresh process: the native
 * session is made on a background thread, and calls made before it exists are queued in order
 * ([state] meanwhile answers what they will give: `STARTING` after a start). Results come to a
 * [VKCompletion] or through the suspend variants, named [awaitStart] (Kotlin cannot overload a
 * callback `start(sessionToken)` with a suspend one). [state], [sessionData], [lastError] and
 * a cached [token] are answered from the newest snapshot Rust pushed, without a call into it.
 *
 * **Threads.** Completions and listeners run on [VKConfiguration.callbackExecutor], else the
 * Android main thread, else one SDK daemon thread ("videokit-callbacks"), in order.
 *
 * **Several sessions.** [current] is the app's default; `VKSession(configuration)` makes an
 * independent one (own engine, store key, listeners, renewal), e.g. one for a Kaltura KS and
 * one for a VideoSDK token. Hand the rest of the app a [VKSessionApi].
 *
 * **Java.** `VKSession.getCurrent()`; `startWithTokenUrl` / `startWithVideoSdkTokenUrl` for the
 * variants whose parameter types clash; [tokenAsync] / [refreshAsync] (futures) and the callback
 * forms of [token] and [refresh]; [VKConfiguration.Builder].
 */
class VKSession(configuration: VKConfiguration) : VKSessionApi {
    @Volatile private var config = configuration
    internal val core = SessionCore(configuration) { Platform.callbackExecutor(config) }
    private val scope by lazy { CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineName("videokit")) }
    private val foregroundSources = mutableSetOf<Any>()

    /** Re-checks expiry when the app comes back to the foreground (see [attachForeground]); holds this weakly. */
    val foreground: VKForegroundTracker = java.lang.ref.WeakReference(this).let { me -> VKForegroundTracker { me.get()?.checkNow() } }

    init {
        attachStore(configuration)
    }

    /** @suppress */
    companion object {
        /** The app's default session. */
        @JvmStatic
        val current: VKSession by lazy { VKSession(VKConfiguration()).also { defaultMade = true } }

        @Volatile private var defaultMade = false

        // java.util's empty collections, not Kotlin's emptyList()/emptyMap(): those load the
        // stdlib's CollectionsKt/MapsKt facades, about 15 ms of class loading on the app's
        // thread in a fresh JVM (issue 11: `start` returns in a few ms).
        private val NO_SCOPES: List<String> = java.util.Collections.emptyList()
        private val NO_HEADERS: Map<String, String> = java.util.Collections.emptyMap()

        // A start's arguments are read when it is called, not when its queued call runs (at
        // cold start, after the library has loaded): a list the app changes afterwards, or
        // reuses, is not what was asked for. Null when the collection cannot be read; the
        // start then fails without the collection's own exception text.
        private fun copyOf(scopes: List<String>): List<String>? = try {
            java.util.ArrayList(scopes)
        } catch (_: Exception) {
            null
        }

        private fun copyOf(headers: Map<String, String>): Map<String, String>? = try {
            java.util.LinkedHashMap(headers)
        } catch (_: Exception) {
            null
        }
    }

    /**
     * Apply [config]: a running session is stopped (listeners see `STOPPED`) and the session
     * starts over, `IDLE`, with it; listeners stay. Never throws and never does I/O: an invalid
     * configuration (a zero timeout, an empty gateway) shows as [lastError] and is every start's
     * error until a valid one comes.
     */
    fun configure(config: VKConfiguration) {
        this.config = config
        core.submit(VKSessionState.IDLE) { s ->
            Platform.applyLogger(config)
            core.offer(s.configure(config.toFfi(), config.store?.let { StoreAdapter(it) }, PlatformHttpClient()))
        }
        attachStore(config)
    }

    /** The configuration in use. */
    val configuration: VKConfiguration get() = config

    // ---- start: callback variants (return at once; a running session is stopped first) ----

    /** API-token mode (development only): `POST {gatewayUrl}/v1/sessions` with [apiToken] for [identity]. */
    @JvmOverloads
    fun start(apiToken: String, identity: String, scopes: List<String> = NO_SCOPES, completion: VKCompletion? = null) {
        val s = copyOf(scopes) ?: return refuse(completion, "the scopes could not be read")
        launchStart(completion) { it.startApiToken(apiToken, identity, s) }
    }

    /** A session token the app already has (not renewable: `EXPIRED` when it lapses). */
    @JvmOverloads
    fun start(sessionToken: String, completion: VKCompletion? = null) =
        launchStart(completion) { it.startSessionToken(sessionToken) }

    /** The app's backend: `GET tokenUrl` with `{identity}` filled in (and [headers], treated as secrets); re-fetched before expiry. */
    @JvmOverloads
    @JvmName("startWithTokenUrl")
    fun start(tokenUrl: String, identity: String, headers: Map<String, String> = NO_HEADERS, completion: VKCompletion? = null) {
        val h = copyOf(headers) ?: return refuse(completion, "the headers could not be read")
        launchStart(completion) { it.startTokenUrl(tokenUrl, identity, h) }
    }

    /** The app's own [provider], called for the first token and before each expiry. */
    @JvmOverloads
    fun start(provider: VKTokenProvider, identity: String? = null, completion: VKCompletion? = null) =
        launchStart(completion) { it.startProvider(ProviderAdapter(provider), identity) }

    /**
     * A Kaltura Session (KS) through an Application Token (widget session → tokenHash →
     * `appToken.startSession`); renewed before it expires. Kaltura's rejections fail at once
     * with [VKErrorKind.REJECTED] and Kaltura's code in [VKException.code].
     */
    @JvmOverloads
    fun start(kaltura: VKKalturaConfiguration, completion: VKCompletion? = null) =
        launchStart(completion) { it.startKaltura(kaltura.toFfi()) }

    /**
     * A VideoSDK access token from the app's token server (`roomId`/`participantId` sent when
     * given), its claims checked on the device and typed in [VKSessionData.videoSdk]; renewed
     * before `exp`. Hand each renewed token to the room through [tokens] / [addTokenListener].
     */
    @JvmOverloads
    @JvmName("startWithVideoSdkTokenUrl")
    fun start(videoSdkTokenUrl: String, roomId: String? = null, participantId: String? = null, completion: VKCompletion? = null) =
        launchStart(completion) { it.startVideosdk(videoSdkTokenUrl, roomId, participantId) }

    // ---- start: suspend variants (cancelling the coroutine cancels a still-starting start) ----

    /** Like `start(apiToken, identity, scopes)`, suspending until active; throws [VKException]. */
    suspend fun awaitStart(apiToken: String, identity: String, scopes: List<String> = NO_SCOPES): VKSessionData {
        val s = copyOf(scopes) ?: throw VKException(VKErrorKind.INVALID_ARGUMENT, "the scopes could not be read")
        return startCall { it.startApiToken(apiToken, identity, s) }
    }

    /** Like `start(sessionToken)`, suspending until active; throws [VKException]. */
    suspend fun awaitStart(sessionToken: String): VKSessionData = startCall { it.startSessionToken(sessionToken) }

    /** Like `start(tokenUrl, identity, headers)`, suspending until active; throws [VKException]. */
    suspend fun awaitStart(tokenUrl: String, identity: String, headers: Map<String, String> = NO_HEADERS): VKSessionData {
        val h = copyOf(headers) ?: throw VKException(VKErrorKind.INVALID_ARGUMENT, "the headers could not be read")
        return startCall { it.startTokenUrl(tokenUrl, identity, h) }
    }

    /** Like `start(provider, identity)`, suspending until active; throws [VKException]. */
    suspend fun awaitStart(provider: VKTokenProvider, identity: String? = null): VKSessionData =
        startCall { it.startProvider(ProviderAdapter(provider), identity) }

    /** Like `start(kaltura)`, suspending until the KS is there; throws [VKException]. */
    suspend fun awaitStart(kaltura: VKKalturaConfiguration): VKSessionData = startCall { it.startKaltura(kaltura.toFfi()) }

    /** Like `start(videoSdkTokenUrl, roomId, participantId)`, suspending until active; throws [VKException]. */
    suspend fun awaitStart(videoSdkTokenUrl: String, roomId: String? = null, participantId: String? = null): VKSessionData =
        startCall { it.startVideosdk(videoSdkTokenUrl, roomId, participantId) }

    // ---- tokens ----

    /**
     * A valid token: from the kept snapshot while its lease holds (no call into the engine:
     * until the renewal point on both the monotonic and the wall clock), else from the engine,
     * after the renewal in flight (one request for every caller). Cancelling the coroutine
     * leaves at once; the renewal goes on for the others.
     *
     * @throws VKException [VKErrorKind.NOT_STARTED] before `start` / after [stop], the failure,
     *   or [VKErrorKind.EXPIRED] for a lapsed fixed token.
     */
    override suspend fun token(): String = core.view.leasedToken() ?: core.await(null, noteAfter = false) { it.tokenCall() }.token

    /**
     * [token] in callback form (Java): returns at once; [callback] runs on the callback thread.
     * In order with the other calls: a `stop()` made after it ends it `CANCELLED`.
     */
    fun token(callback: VKTokenCallback) {
        val cached = core.view.leasedToken()
        if (cached != null) return Platform.callbackExecutor(config).execute { callback.onResult(cached, null) }
        deliver(noteAfter = false, { it.tokenCall() }) { d, e -> callback.onResult(d?.token, e) }
    }

    /** [token] as a future (Java), completed on an SDK thread (at once with a cached token); cancelling it abandons the wait. */
    fun tokenAsync(): CompletableFuture<String> =
        core.view.leasedToken()?.let { CompletableFuture.completedFuture(it) } ?: future(noteAfter = false, { it.tokenCall() }) { it.token }

    /**
     * Renew now, whatever the expiry (sharing a renewal already in flight).
     *
     * @throws VKException [VKErrorKind.INVALID_ARGUMENT] for a fixed session token, or why it failed.
     */
    override suspend fun refresh(): VKSessionData = core.await(null, noteAfter = true) { it.refreshCall() }

    /** [refresh] in callback form (Java), in order with the other calls. */
    fun refresh(callback: VKRefreshCallback) = deliver(noteAfter = true, { it.refreshCall() }) { d, e -> callback.onResult(d, e) }

    /** [refresh] as a future (Java), completed on an SDK thread; cancelling it abandons the wait. */
    fun refreshAsync(): CompletableFuture<VKSessionData> = future(noteAfter = true, { it.refreshCall() }) { it }

    /**
     * Every new token once (see [VKTokenEvent]); each collector gets those from when it starts
     * collecting. The flow completes when the session is [close]d.
     */
    override val tokens: Flow<VKTokenEvent>
        get() = callbackFlow {
            val handle = core.addTokenListener({ trySendBlocking(it) }, direct = true)
            val unhook = core.whenClosed { channel.close() }
            awaitClose { handle.remove(); unhook() }
        }.buffer(kotlinx.coroutines.channels.Channel.UNLIMITED)

    /** Every new token once, in order, on the callback thread (e.g. hand it to a room's `renewToken`). */
    override fun addTokenListener(listener: VKTokenListener): VKListenerHandle = core.addTokenListener(listener)

    // ---- state ----

    /** The current state (kept snapshot; a volatile read). `STARTING` as soon as a start returns. */
    override val state: VKSessionState get() = core.view.state

    /** The current session (also while `EXPIRED`), or `null` (kept snapshot). */
    override val sessionData: VKSessionData? get() = core.view.data

    /** The error behind the last failure, expiry or retry, or an invalid configuration (kept snapshot). */
    override val lastError: VKException? get() = core.view.error

    /** The state as a flow (conflated); for every transition in order use [addListener]. */
    override val states: StateFlow<VKSessionState> get() = core.states

    /** The current state first (`from == to`), then every transition once, in order, across [configure]. */
    override fun addListener(listener: VKStateListener): VKListenerHandle = core.addListener(listener)

    /** Stop: cancel timers and requests, clear the token and the stored session; a pending start ends with `CANCELLED`. */
    override fun stop() = core.submit(VKSessionState.STOPPED) { s -> core.offer(s.stop()) }

    /** Re-check expiry now and renew if due. Called for you on foreground once attached (see [attachForeground]). */
    override fun checkNow() = core.submit { s -> core.offer(s.checkNow()) }

    /**
     * Re-check expiry whenever the app comes back to the foreground. On Android use
     * `session.attach(application)`, or configure with `VKSharedPreferencesStore(context)`,
     * which attaches its application. Once per source.
     */
    internal fun attachForeground(source: VKForegroundSource) {
        if (synchronized(foregroundSources) { foregroundSources.add(source.foregroundKey) }) source.registerForeground(foreground)
    }

    /**
     * Stops the session and frees its native part; for sessions an app makes and drops (later
     * calls fail with `NOT_STARTED`). On [current], which lives as long as the process, this
     * is [stop]: the default session stays usable.
     */
    fun close() = if (isDefault) stop() else core.close()

    private val isDefault get() = defaultMade && this === current

    // ---- plumbing ----

    private fun attachStore(config: VKConfiguration) {
        (config.store as? VKForegroundSource)?.let { attachForeground(it) }
    }

    /** A start refused before it reaches the session: its completion, with the session's state. */
    private fun refuse(completion: VKCompletion?, detail: String) {
        val e = VKException(VKErrorKind.INVALID_ARGUMENT, detail)
        if (completion != null) Platform.callbackExecutor(config).execute { completion.onResult(core.sessionState, null, e) }
    }

    private fun launchStart(completion: VKCompletion?, make: (VkSession) -> VkCall) {
        // Refused: the session's own state, not the provisional STARTING of a queued call.
        core.begin({ scope }, VKSessionState.STARTING, noteAfter = true, make) { r, after ->
            if (completion != null) {
                val (state, data, error) = r.fold({ Triple(VKSessionState.ACTIVE, it, null) }, { Triple(after ?: core.sessionState, null, it.toVKException()) })
                Platform.callbackExecutor(config).execute { completion.onResult(state, data, error) }
            }
        }
    }

    private suspend fun startCall(make: (VkSession) -> VkCall): VKSessionData = core.await(VKSessionState.STARTING, noteAfter = true, make)

    private fun deliver(noteAfter: Boolean, make: (VkSession) -> VkCall, callback: (VKSessionData?, VKException?) -> Unit) {
        core.begin({ scope }, null, noteAfter, make) { r, _ ->
            Platform.callbackExecutor(config).execute { callback(r.getOrNull(), r.exceptionOrNull()?.toVKException()) }
        }
    }

    private fun <T> future(noteAfter: Boolean, make: (VkSession) -> VkCall, map: (VKSessionData) -> T): CompletableFuture<T> {
        val f = CompletableFuture<T>()
        val pending = core.begin({ scope }, null, noteAfter, make) { r, _ -> r.fold({ f.complete(map(it)) }, { f.completeExceptionally(it.toVKException()) }) }
        f.whenComplete { _, e -> if (e is java.util.concurrent.CancellationException) pending.cancel() }
        return f
    }
}
