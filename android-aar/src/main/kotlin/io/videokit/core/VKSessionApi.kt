// What the rest of an app uses of a session, as an interface it can mock; token events.
// Mirrors the Swift VKSessionProtocol and VKTokenEvent (docs/PLATFORM-LAYERS.md, items 5 and 6).
package io.videokit.core

import java.time.Instant
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.StateFlow

/**
 * The part of [VKSession] the rest of an app uses once the session is started: hand your
 * screens, players and view models a `VKSessionApi` and give them a fake one in tests.
 * [VKSession] implements it.
 */
interface VKSessionApi {
    /** The current state, answered without a call into the engine. */
    val state: VKSessionState

    /** The current session (also while `EXPIRED`, for inspection), or `null`. */
    val sessionData: VKSessionData?

    /** The error behind the last failure, expiry or retry, or `null`. */
    val lastError: VKException?

    /** The state as a (conflated) flow. */
    val states: StateFlow<VKSessionState>

    /**
     * Every new token (the first, each renewal, each [refresh]) once, from when you collect;
     * completes when a session you made is closed.
     */
    val tokens: Flow<VKTokenEvent>

    /** A valid token: the current one, or after the renewal in flight (one request for all callers). */
    suspend fun token(): String

    /** Renew now, sharing a renewal already in flight. */
    suspend fun refresh(): VKSessionData

    /** Stop: cancel timers and requests, clear the token and the stored session. */
    fun stop()

    /** Re-check expiry now and renew if due (the app came back to the foreground). */
    fun checkNow()

    /** Observe state changes: the current state first, then every transition once, in order. */
    fun addListener(listener: VKStateListener): VKListenerHandle

    /** Observe new tokens: every new token once, in order, from now on. */
    fun addTokenListener(listener: VKTokenListener): VKListenerHandle
}

/**
 * A new token: the first of a session, a renewal, or the result of `refresh()`. Hand it to
 * your player's or room's renew call. [toString] never shows the token.
 *
 * @property token the new token (a secret).
 * @property expiresAt its expiry (server time), when known.
 * @property data the whole session it belongs to.
 */
class VKTokenEvent(val token: String, val expiresAt: Instant?, val data: VKSessionData) {
    /** Everything but the token. */
    override fun toString(): String = "VKTokenEvent(token=<${token.length} chars>, expiresAt=$expiresAt, data=$data)"
}

/**
 * Receives every new token once, in order, on the callback thread.
 * A Kotlin lambda converts to it: `session.addTokenListener { event -> room.renewToken(event.token) }`.
 */
fun interface VKTokenListener {
    /** One new token. */
    fun onToken(event: VKTokenEvent)
}

/** The result of `refresh` in callback form (Java): exactly one of [data] and [error] is non-null. */
fun interface VKRefreshCallback {
    /** The renewed session, or why there is none. */
    fun onResult(data: VKSessionData?, error: VKException?)
}
