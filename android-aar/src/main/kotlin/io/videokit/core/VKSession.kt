// VKSession: the handwritten Kotlin face of the Rust session engine. Thin: every decision
// (states, renewal, retries, single-flight, persistence) is made by the Rust core behind the
// generated `VkSessionCore`; this file only adapts calls, threads and types. It mirrors the
// Swift `VKSession` (swift-package/Sources/VideoKitCore/VKSession.swift).
package io.videokit.core

import io.videokit.core.ffi.VkSessionCore
import io.videokit.core.ffi.VkSessionData
import io.videokit.core.ffi.setLogger
import java.util.concurrent.Executor
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/**
 * The app's video session: start it once, then ask it for a valid [token] whenever you need
 * one. It renews the token before expiry, retries transient failures, and reports every
 * state change.
 *
 * ```kotlin
 * class App : Application() {
 *     override fun onCreate() {
 *         super.onCreate()
 *         VKSession.current.start(apiToken = BuildConfig.VK_APP_TOKEN, identity = "alice") { state, data, error ->
 *             // main thread: state == ACTIVE with data, or FAILED with error
 *         }
 *     }
 * }
 * ```
 *
 * **Never blocks.** Every `start` returns at once; the result comes to a [VKCompletion]
 * (on the Android main thread by default) or, from a coroutine, through the suspend
 * variants. Kotlin cannot overload `start(sessionToken = ...)` as both a callback function
 * and a suspend function with the same parameters, so the suspend variants are named
 * [awaitStart]; Swift spells both `start(...)` (`try await` for the async one).
 *
 * **Threads.** Completions, token callbacks and listeners run on
 * [VKConfiguration.callbackExecutor] when given, else on the Android main thread, else (a
 * desktop JVM) on one SDK-owned daemon thread, "videokit-callbacks", in order. All other
 * members are thread-safe and may be called from any thread.
 *
 * **Name the arguments** (`apiToken =`, `tokenUrl =`, `sessionToken =`): the API-token and
 * token-URL variants both take two strings, so a positional `start("a", "b")` does not compile.
 *
 * **Java.** `VKSession.getCurrent().start(appToken, "alice", scopes, (state, data, error) -> {...})`;
 * the token-URL variant is `startWithTokenUrl` in Java (its parameter types equal the
 * API-token variant's), the VideoSDK variant `startWithVideoSdkTokenUrl` (likewise the
 * session-token variant's).
 *
 * **Vendors.** `start(kaltura = VKKalturaConfiguration(...))` keeps a Kaltura Session (KS)
 * valid through an Application Token (no admin secret); `start(videoSdkTokenUrl = ...)` keeps
 * a VideoSDK access token from the app's token server valid, its claims typed in
 * [VKSessionData.videoSdk]. Both renew before expiry like every other mode.
 */
class VKSession private constructor() {
    private val lock = Any()

    @Volatile
    private var config: VKConfiguration = VKConfiguration()

    @Volatile
    private var coreOrNull: VkSessionCore? = null

    /** Listeners added by the app; re-attached to a new core by [configure]. */
    private val listeners = mutableListOf<ListenerEntry>()

    private val statesFlow = MutableStateFlow(VKSessionState.IDLE)

    /**
     * Guards the writes of (current core, [stateCache], [statesFlow] value); held only for
     * a few field writes, never for a call into the core.
     */
    private val statesLock = Any()

    /** The newest state known for [core] (`null`: no core yet) and the seq of the transition that entered it. */
    private class StateCache(val core: VkSessionCore?, val seq: Long, val state: VKSessionState)

    /**
     * What [state] answers, with no FFI call: fed by the core's own events (delivered in
     * order) and by a snapshot read right after each of our own calls that change the state;
     * the larger seq wins. Immutable, replaced under [statesLock], read with one volatile read.
     */
    @Volatile
    private var stateCache = StateCache(null, 0L, VKSessionState.IDLE)

    /**
     * A token [core] handed out with the permission to hand it out again, without asking,
     * until both deadlines ([System.nanoTime], which stops while a device sleeps, and
     * [System.currentTimeMillis], which does not), and while [stateCache] is still at [seq]
     * (no later transition seen).
     */
    private class TokenLease(val core: VkSessionCore, val token: String, val seq: Long, val monoDeadline: Long, val wallDeadline: Long)

    /** The current lease, read lock-free by [token]; written under [leaseLock]. */
    @Volatile
    private var lease: TokenLease? = null

    /** Guards the writes of [lease] and [leaseEpoch]. */
    private val leaseLock = Any()

    /**
     * Bumped (and [lease] dropped) before each of our own calls that may change the session:
     * a lease asked for before one is never stored after it.
     */
    private var leaseEpoch = 0L

    private var statesRegistration: Long? = null

    /** Runs the suspend calls behind the callback API; never the caller's thread. */
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO + CoroutineName("videokit"))

    private inner class ListenerEntry(val listener: VKStateListener) : VKListenerHandle {
        var core: VkSessionCore? = null
        var id: ULong = 0u

        @Volatile
        var removed = false

        fun attach(core: VkSessionCore, executor: Executor) {
            this.core = core
            id = core.addListener(ListenerAdapter { change ->
                executor.execute { if (!removed) listener.onStateChange(change) }
            })
        }

        fun detach() {
            core?.removeListener(id)
            core = null
        }

        override fun remove() {
            synchronized(lock) {
                if (removed) return
                removed = true
                detach()
                listeners.remove(this)
            }
        }
    }

    /** @suppress */
    companion object {
        /** The app's session. One per process, like the Swift `VKSession.current`. */
        @JvmStatic
        val current: VKSession = VKSession()

        /** Longest a lease is kept (after that one engine call renews it): keeps the deadline arithmetic far from overflow. */
        private const val MAX_LEASE_MS = 24L * 3600 * 1000
    }

    /** The core, created with the current configuration on first use. */
    private val core: VkSessionCore
        get() = coreOrNull ?: synchronized(lock) { coreOrNull ?: install(config) }

    /** Replaces the core with one built from [cfg]. Holds [lock]. */
    private fun install(cfg: VKConfiguration): VkSessionCore {
        dropLease()
        val store = cfg.store?.let { StoreAdapter(it) }
        val newCore = try {
            VkSessionCore(cfg.toFfi(), store, PlatformHttpClient())
        } catch (e: Throwable) {
            throw e.toVKException()
        }
        setLogger((cfg.logger ?: Platform.defaultLogger)?.let { LoggerAdapter(it) }, cfg.logLevel.toFfi())
        val old = coreOrNull
        if (old != null) {
            old.stop()
            statesRegistration?.let { old.removeListener(it.toULong()) }
            listeners.forEach { it.detach() }
        }
        // The old core's STOPPED may still be on its way to its (removed) states listener:
        // switching cores and resetting the flow under statesLock means a late delivery of
        // the old core sees it is no longer current and cannot overwrite the new state.
        // The state cache is per core (each counts its seq from 0): switched with the core.
        val first = newCore.stateSnapshot()
        synchronized(statesLock) {
            coreOrNull = newCore
            stateCache = StateCache(newCore, first.seq.toLong(), first.state.toVK())
            statesFlow.value = stateCache.state
        }
        config = cfg
        statesRegistration = newCore.addListener(ListenerAdapter { change -> mergeState(newCore, change.seq, change.to) }).toLong()
        val executor = Platform.callbackExecutor(cfg)
        listeners.forEach { it.attach(newCore, executor) }
        return newCore
    }

    /**
     * Apply [config]. Call before `start` (e.g. first thing in `Application.onCreate`).
     * A running session is stopped (listeners see `STOPPED`), and the session starts over in
     * `IDLE` with the new settings; listeners stay registered and first receive the new
     * state. Never does network I/O.
     *
     * @throws VKException [VKErrorKind.INVALID_ARGUMENT] for an invalid configuration (zero
     *   timeouts, an empty gateway URL, ...).
     */
    fun configure(config: VKConfiguration) {
        synchronized(lock) { install(config) }
    }

    /** The configuration in use. */
    val configuration: VKConfiguration get() = config

    // ---- start: callback variants (return at once) ----

    /**
     * Start with a VideoKit app token and an identity (API-token mode, for development: the
     * app token is a long-lived secret shipped in the app; production apps use a session
     * token from their backend). `POST {gatewayUrl}/v1/sessions`. Returns at once; the
     * result goes to [completion]. A running session is stopped first.
     *
     * @param apiToken the VideoKit app token.
     * @param identity the user; must not be empty.
     * @param scopes the scopes to request.
     * @param completion called once with the result, on the callback thread.
     */
    @JvmOverloads
    fun start(apiToken: String, identity: String, scopes: List<String> = emptyList(), completion: VKCompletion? = null) {
        launchStart(completion) { it.startApiToken(apiToken, identity, scopes) }
    }

    /**
     * Start with a session token the app already has (production mode). It cannot be
     * renewed: when it expires the session goes `EXPIRED`; start again with a new one (or
     * use the token-URL or provider variants, which renew). Returns at once.
     *
     * @param sessionToken the VideoKit session token.
     * @param completion called once with the result, on the callback thread.
     */
    @JvmOverloads
    fun start(sessionToken: String, completion: VKCompletion? = null) {
        launchStart(completion) { it.startSessionToken(sessionToken) }
    }

    /**
     * Start with the app's backend: `GET tokenUrl` with `{identity}` replaced by the
     * (URL-encoded) identity, answering `{"sessionToken": ...}`; re-fetched before expiry.
     * [headers] (e.g. your own auth) go with every request and are treated as secrets.
     * Returns at once. In Java this is `startWithTokenUrl`.
     *
     * @param tokenUrl e.g. `https://api.example.com/token/{identity}`.
     * @param identity the user; must not be empty.
     * @param headers extra request headers.
     * @param completion called once with the result, on the callback thread.
     */
    @JvmOverloads
    @JvmName("startWithTokenUrl")
    fun start(tokenUrl: String, identity: String, headers: Map<String, String> = emptyMap(), completion: VKCompletion? = null) {
        launchStart(completion) { it.startTokenUrl(tokenUrl, identity, headers) }
    }

    /**
     * Start with the app's own [provider], called for the first token and before each
     * expiry. Returns at once.
     *
     * @param provider the app's token provider.
     * @param identity passed to the provider (and shown in [sessionData]); optional.
     * @param completion called once with the result, on the callback thread.
     */
    @JvmOverloads
    fun start(provider: VKTokenProvider, identity: String? = null, completion: VKCompletion? = null) {
        launchStart(completion) { it.startProvider(ProviderAdapter(provider), identity) }
    }

    /**
     * Start a Kaltura Session (KS) through an Application Token: `session.startWidgetSession`
     * → tokenHash = lowercase hex HASH(widget KS + app token) → `appToken.startSession`. No
     * admin secret is ever needed. The KS ([VKSessionData.token]) is renewed before it
     * expires; the widget KS is cached, so a cold start costs two requests and a renewal one.
     * Returns at once; a running session is stopped first.
     *
     * Mind [VKKalturaConfiguration.hashType]: the SDK's default is SHA256, the Kaltura
     * server's default for new app tokens is SHA1. Kaltura's rejections (errors arrive with
     * HTTP 200) fail the session at once with [VKErrorKind.REJECTED] and Kaltura's code in
     * [VKException.code] (`INVALID_APP_TOKEN_HASH`, `APP_TOKEN_ID_NOT_FOUND`,
     * `APP_TOKEN_NOT_ACTIVE`, `APP_TOKEN_EXPIRED`, `INVALID_WIDGET_ID`, ...); an `INVALID_KS`
     * on the widget KS is retried once with a fresh widget session. No KS or app token ever
     * appears in an error's text.
     *
     * @param kaltura the partner, app token and session settings.
     * @param completion called once with the result (the server's view of the KS in
     *   [VKSessionData.kaltura]), on the callback thread.
     */
    @JvmOverloads
    fun start(kaltura: VKKalturaConfiguration, completion: VKCompletion? = null) {
        launchStart(completion) { it.startKaltura(kaltura.toFfi()) }
    }

    /**
     * Start with a VideoSDK access token from the app's token server: `GET videoSdkTokenUrl`
     * (with `roomId` and `participantId` query parameters when given) answering
     * `{"token": "<HS256 JWT>"}`. The token's claims are checked on the device (no API
     * secret needed) and typed in [VKSessionData.videoSdk]; it is re-fetched before its
     * `exp`. A token that arrives expired or invalid fails the start ([VKErrorKind.EXPIRED]
     * or [VKErrorKind.INVALID_TOKEN], the VideoSDK error kind in [VKException.code]).
     * Returns at once; a running session is stopped first. In Java this is
     * `startWithVideoSdkTokenUrl`.
     *
     * @param videoSdkTokenUrl the app's token server endpoint.
     * @param roomId sent as `roomId` when given (a version-2 token for that room).
     * @param participantId sent as `participantId` when given.
     * @param completion called once with the result, on the callback thread.
     */
    @JvmOverloads
    @JvmName("startWithVideoSdkTokenUrl")
    fun start(videoSdkTokenUrl: String, roomId: String? = null, participantId: String? = null, completion: VKCompletion? = null) {
        launchStart(completion) { it.startVideosdk(videoSdkTokenUrl, roomId, participantId) }
    }

    // ---- start: suspend variants ----

    /**
     * Like `start(apiToken, identity, scopes)`, suspending until the session is active.
     *
     * @return the new session.
     * @throws VKException why it could not start.
     */
    suspend fun awaitStart(apiToken: String, identity: String, scopes: List<String> = emptyList()): VKSessionData =
        startCall { it.startApiToken(apiToken, identity, scopes) }

    /**
     * Like `start(sessionToken)`, suspending until the session is active.
     *
     * @return the new session.
     * @throws VKException why it could not start.
     */
    suspend fun awaitStart(sessionToken: String): VKSessionData =
        startCall { it.startSessionToken(sessionToken) }

    /**
     * Like `start(tokenUrl, identity, headers)`, suspending until the session is active.
     *
     * @return the new session.
     * @throws VKException why it could not start.
     */
    suspend fun awaitStart(tokenUrl: String, identity: String, headers: Map<String, String> = emptyMap()): VKSessionData =
        startCall { it.startTokenUrl(tokenUrl, identity, headers) }

    /**
     * Like `start(provider, identity)`, suspending until the session is active.
     *
     * @return the new session.
     * @throws VKException why it could not start.
     */
    suspend fun awaitStart(provider: VKTokenProvider, identity: String? = null): VKSessionData =
        startCall { it.startProvider(ProviderAdapter(provider), identity) }

    /**
     * Like `start(kaltura)`, suspending until the KS is there.
     *
     * @return the new session (the KS is its `token`, the server's view of it `kaltura`).
     * @throws VKException why it could not start; Kaltura's code (e.g.
     *   `INVALID_APP_TOKEN_HASH`) is in [VKException.code].
     */
    suspend fun awaitStart(kaltura: VKKalturaConfiguration): VKSessionData =
        startCall { it.startKaltura(kaltura.toFfi()) }

    /**
     * Like `start(videoSdkTokenUrl, roomId, participantId)`, suspending until the session is
     * active.
     *
     * @return the new session (the checked claims in `videoSdk`).
     * @throws VKException why it could not start.
     */
    suspend fun awaitStart(videoSdkTokenUrl: String, roomId: String? = null, participantId: String? = null): VKSessionData =
        startCall { it.startVideosdk(videoSdkTokenUrl, roomId, participantId) }

    // ---- tokens ----

    /**
     * A valid session token: at once when the current one is valid, otherwise after the
     * renewal in flight, which all concurrent callers share (one request).
     *
     * **Cached.** The SDK hands out the token it got last, without asking the engine, as long
     * as the engine said it would return that same token itself and stay [VKSessionState.ACTIVE]
     * until a deadline (the renewal point; for a fixed token its expiry less a second), that
     * deadline has not passed on both the monotonic and the wall clock (a device's monotonic
     * clock stops while it sleeps), and no state change has been seen since. Every `start`,
     * [stop], [refresh], [checkNow] and [configure] drops the cached token before it reaches
     * the engine. So the fast path answers what the engine would: never a token past its
     * renewal point, never one of a stopped or replaced session.
     *
     * @throws VKException [VKErrorKind.NOT_STARTED] before `start` / after `stop`, the
     *   failure when the session failed, [VKErrorKind.EXPIRED] for a lapsed fixed token.
     */
    suspend fun token(): String = cachedToken() ?: call { leasedToken(it) }

    /**
     * [token] in callback form: returns at once; [callback] gets the token or the error on
     * the callback thread.
     */
    fun token(callback: VKTokenCallback) {
        val executor = Platform.callbackExecutor(config)
        val cached = cachedToken()
        if (cached != null) {
            executor.execute { callback.onResult(cached, null) }
            return
        }
        val core = core
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            val result = try {
                Result.success(leasedToken(core))
            } catch (e: Throwable) {
                Result.failure(e.toVKException())
            }
            executor.execute { callback.onResult(result.getOrNull(), result.exceptionOrNull() as VKException?) }
        }
    }

    /**
     * Renew now, whatever the expiry (sharing a renewal already in flight).
     *
     * @return the renewed session.
     * @throws VKException [VKErrorKind.INVALID_ARGUMENT] for a fixed session token, or why
     *   the renewal failed.
     */
    suspend fun refresh(): VKSessionData = changingCall { it.refresh().toVK() }

    // ---- state ----

    /**
     * The current state, from the SDK's cache (a volatile read, no call into the engine).
     * It reflects this object's own calls as soon as they return (a callback `start`: as soon
     * as it returns, `STARTING` or later; [stop]: `STOPPED`; [configure]: `IDLE`), and
     * transitions the engine makes by itself (renewal, expiry, failure) as they are delivered,
     * in order; it never goes back to an older state. Equal to [states]`.value`.
     */
    val state: VKSessionState get() = stateCache.state

    /** The current session (also while `EXPIRED`, for inspection), or `null`. */
    val sessionData: VKSessionData? get() = core.sessionData()?.toVK()

    /** The error behind the last failure, expiry or retry, or `null`. */
    val lastError: VKException? get() = core.lastError()?.toVK()

    /**
     * The state as a flow (conflated, like every `StateFlow`): collect it in a
     * lifecycle-aware scope to drive UI. For every transition in order, use [addListener].
     */
    val states: StateFlow<VKSessionState> = statesFlow.asStateFlow()

    /**
     * Observe state changes: [listener] first gets the current state (`from == to`), then
     * every transition, in order, exactly once, on the callback thread. Survives
     * [configure].
     *
     * @return a handle; [VKListenerHandle.remove] stops the deliveries.
     */
    fun addListener(listener: VKStateListener): VKListenerHandle {
        synchronized(lock) {
            val c = core
            val entry = ListenerEntry(listener)
            entry.attach(c, Platform.callbackExecutor(config))
            listeners.add(entry)
            return entry
        }
    }

    /**
     * Stop: cancel timers and requests, clear the token and the stored session. A pending
     * `start` completes with [VKErrorKind.CANCELLED]; the state becomes `STOPPED`.
     */
    fun stop() {
        val core = core
        dropLease()
        core.stop()
        noteState(core)
    }

    /**
     * Re-check expiry now and renew if due. Call when the app returns to the foreground
     * (e.g. from `onStart` of your activity or a `ProcessLifecycleOwner` observer): a
     * device's monotonic clock may not have advanced while it slept.
     */
    fun checkNow() {
        val core = core
        dropLease()
        core.checkNow()
        noteState(core)
    }

    // ---- plumbing ----

    private suspend fun <T> call(block: suspend (VkSessionCore) -> T): T = callOn(core, block)

    private suspend fun <T> callOn(core: VkSessionCore, block: suspend (VkSessionCore) -> T): T {
        try {
            return block(core)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            throw e.toVKException()
        }
    }

    /**
     * Starts [block] on the SDK scope. UNDISPATCHED: the Rust call (argument checks, handing
     * the start to the SDK runtime) begins on the caller's thread before `start` returns, so
     * calls made right after `start` see it; the caller never waits for I/O.
     */
    private fun launchStart(completion: VKCompletion?, block: suspend (VkSessionCore) -> VkSessionData) {
        val core = core
        val executor = Platform.callbackExecutor(config)
        dropLease()
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            val (state, data, error) = try {
                Triple(VKSessionState.ACTIVE, block(core).toVK(), null)
            } catch (e: Throwable) {
                Triple(noteState(core) ?: VKSessionState.FAILED, null, e.toVKException())
            }
            noteState(core)
            if (completion != null) executor.execute { completion.onResult(state, data, error) }
        }
        // The engine's start ran in the launch's first poll, on this thread.
        noteState(core)
    }

    /**
     * An `awaitStart`: like [launchStart], the start's first poll (where the engine stops the
     * running session and goes `STARTING`) runs before the state is read, then it is awaited.
     */
    private suspend fun startCall(block: suspend (VkSessionCore) -> VkSessionData): VKSessionData {
        val core = core
        dropLease()
        try {
            return coroutineScope {
                val started = async(start = CoroutineStart.UNDISPATCHED) { callOn(core) { block(it).toVK() } }
                noteState(core)
                started.await()
            }
        } finally {
            noteState(core)
        }
    }

    /** [call] for our own calls that change the session: the lease goes before, the state is read after (also on failure). */
    private suspend fun <T> changingCall(block: suspend (VkSessionCore) -> T): T {
        val core = core
        dropLease()
        try {
            return callOn(core, block)
        } finally {
            noteState(core)
        }
    }

    /** The engine's state and seq, read together, into the cache; the state read, or `null` if the read failed. */
    private fun noteState(core: VkSessionCore): VKSessionState? = try {
        val s = core.stateSnapshot()
        s.state.toVK().also { mergeState(core, s.seq.toLong(), it) }
    } catch (_: Throwable) {
        null
    }

    /** Takes ([seq], [state]) of [core] into the cache if it is newer than what the cache has. */
    private fun mergeState(core: VkSessionCore, seq: Long, state: VKSessionState) {
        synchronized(statesLock) {
            val cur = stateCache
            if (cur.core !== core || seq <= cur.seq) return
            stateCache = StateCache(core, seq, state)
            statesFlow.value = state
        }
    }

    private fun dropLease() {
        synchronized(leaseLock) {
            leaseEpoch++
            lease = null
        }
    }

    /** The leased token, if the lease still holds (see [token]): two volatile reads and two clock reads. */
    private fun cachedToken(): String? {
        val l = lease ?: return null
        val s = stateCache
        if (l.core !== s.core || l.seq != s.seq || s.state != VKSessionState.ACTIVE) return null
        if (System.nanoTime() - l.monoDeadline >= 0 || System.currentTimeMillis() >= l.wallDeadline) return null
        return l.token
    }

    /**
     * `token()` through the engine, keeping its lease. The deadlines count from clock readings
     * taken before the call, so they never fall after the engine's own.
     */
    private suspend fun leasedToken(core: VkSessionCore): String {
        val epoch = synchronized(leaseLock) { leaseEpoch }
        val mono = System.nanoTime()
        val wall = System.currentTimeMillis()
        val l = core.tokenLease()
        val seq = l.seq.toLong()
        val reuseMs = minOf(l.reuseForMs, MAX_LEASE_MS.toULong()).toLong()
        synchronized(leaseLock) {
            val cur = lease
            if (reuseMs > 0 && leaseEpoch == epoch) {
                // Never replace a lease of a later transition of the same core.
                if (cur == null || cur.core !== core || cur.seq <= seq) {
                    lease = TokenLease(core, l.token, seq, mono + reuseMs * 1_000_000L, wall + reuseMs)
                }
            } else if (cur != null && (cur.core !== core || cur.seq < seq)) {
                lease = null // the engine has moved past it
            }
        }
        return l.token
    }
}
