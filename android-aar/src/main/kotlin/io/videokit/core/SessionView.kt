// What one VKSession keeps on the platform side besides its native session: the kept snapshot
// as the layer answers from it (View), and an app's listener registration (Registration).
// Plumbing of SessionCore.kt; no session logic.
package io.videokit.core

import io.videokit.core.ffi.VkSession
import io.videokit.core.ffi.VkSnapshot
import java.lang.ref.WeakReference

/**
 * One kept snapshot, converted once when it arrives. The token lease is part of it: its
 * deadlines count from clock readings taken on receipt, and it is only good while this is
 * the kept snapshot (a newer one replaces the whole object).
 */
internal class View(
    val version: Long,
    val state: VKSessionState,
    val data: VKSessionData?,
    val error: VKException?,
    val leased: Boolean,
    val monoDeadline: Long,
    val wallDeadline: Long,
) {
    /** The token, if the lease holds on both clocks: one field read and two clock reads. */
    fun leasedToken(): String? {
        if (!leased || System.nanoTime() - monoDeadline >= 0 || System.currentTimeMillis() >= wallDeadline) return null
        return data?.token
    }

    companion object {
        /** Longest lease honoured: keeps the deadline arithmetic far from overflow. */
        private const val MAX_LEASE_MS = 24L * 3600 * 1000
        val IDLE = View(0, VKSessionState.IDLE, null, null, false, 0, 0)

        fun of(s: VkSnapshot): View {
            val mono = System.nanoTime()
            val wall = System.currentTimeMillis()
            val state = s.state.toVK()
            val ms = minOf(s.leaseMs, MAX_LEASE_MS.toULong()).toLong()
            val leased = ms > 0 && state == VKSessionState.ACTIVE && s.data != null
            return View(s.version.toLong(), state, s.data?.toVK(), s.lastError?.toVK(), leased, mono + ms * 1_000_000, wall + ms)
        }
    }
}

/**
 * An app's [listener], registered with the native session; [remove] is queued behind the add, so
 * it always finds the id. Its session holds it (until removed), and it holds its session weakly:
 * what Rust holds reaches it only weakly (see [SessionCore]).
 */
internal class Registration<L : Any>(core: SessionCore, val listener: L, private val unregister: (VkSession, ULong) -> Unit) :
    VKListenerHandle {
    private val core = WeakReference(core)

    @Volatile var id: ULong? = null

    @Volatile var removed = false

    /** Runs [block] on the session's callback executor, unless removed meanwhile. */
    fun deliver(block: () -> Unit) {
        core.get()?.callbackExecutor()?.execute { if (!removed) block() }
    }

    override fun remove() {
        if (removed) return
        removed = true
        val c = core.get() ?: return
        c.forget(this)
        c.submit { s -> id?.let { unregister(s, it) } }
    }
}
