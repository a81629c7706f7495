// The plumbing behind one VKSession: the native `VkSession` (created off the caller's thread),
// the queue of calls made before it exists, and the kept snapshot. No session logic: ordering,
// listeners, token events and leases are Rust's (bindings/src/session.rs); this file only
// stores what Rust pushes and forwards calls (docs/PLATFORM-LAYERS.md, items 1, 2, 4 and 8).
package io.videokit.core

import io.videokit.core.ffi.VkCall
import io.videokit.core.ffi.VkSession
import io.videokit.core.ffi.VkSessionSink
import io.videokit.core.ffi.VkSnapshot
import io.videokit.core.ffi.VkStateChange
import io.videokit.core.ffi.VkStateListener
import io.videokit.core.ffi.VkTokenEvent
import io.videokit.core.ffi.VkTokenListener
import java.lang.ref.WeakReference
import java.util.concurrent.locks.ReentrantReadWriteLock
import java.util.concurrent.Executor
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow

/**
 * The native session and the calls queued before it exists (cold start: loading JNA and the
 * library takes hundreds of milliseconds, which must not be spent on the app's thread).
 *
 * What Rust holds (the sink, the listener wrappers) reaches this, and the app's listeners, only
 * through weak references; this holds the listeners ([registrations]). Rust's references are
 * roots for the JVM's collector, so a strong one would keep a session the app dropped without
 * `close()` alive, renewing for good (also through a listener that refers back to the session,
 * or to an Activity that does); now it is collected, UniFFI's cleaner frees the native session,
 * and its renewals end, as they do on Swift when ARC frees it.
 */
internal class SessionCore(initial: VKConfiguration, private val executor: () -> Executor) {
    private class Op(
        val run: (VkSession) -> Unit,
        val fail: (VKException) -> Unit,
        val provisional: VKSessionState? = null,
        val exclusive: Boolean = false,
    )

    private val lock = Any()
    private var native: VkSession? = null
    private var queue: ArrayList<Op>? = ArrayList()
    private var initError: VKException? = null

    /** [close] has run: calls fail with NOT_STARTED, even those queued behind it. */
    private var closed = false

    /**
     * Held shared while a call runs on the native session, and exclusively by [close]'s stop
     * and free: a call racing `close()` either reaches the session before its stop (which ends
     * it) or fails NOT_STARTED, never starts a session just stopped (whose token would then stay
     * stored) or finds it freed (INTERNAL). Calls only begin work on the session and return.
     */
    private val using = ReentrantReadWriteLock()

    /** Run once when the session is closed (the token flows end); guarded by [lock]. */
    private val closeHooks = LinkedHashSet<() -> Unit>()

    /** The newest snapshot received (highest version; equal: the later one). */
    private var real = View.IDLE

    /** What `state` and friends answer: [real], or while calls are queued, what they will give. */
    @Volatile var view: View = View.IDLE
        private set

    /** The state of the newest snapshot received: the session's own, never a queued call's provisional one. */
    val sessionState: VKSessionState
        get() = synchronized(lock) { real.state }

    /** The state flow, made on first use (kotlinx.coroutines stays off the cold-start path). */
    private var flow: MutableStateFlow<VKSessionState>? = null
    private var readOnlyFlow: StateFlow<VKSessionState>? = null

    val states: StateFlow<VKSessionState>
        get() = synchronized(lock) {
            readOnlyFlow ?: MutableStateFlow(view.state).also { flow = it }.asStateFlow().also { readOnlyFlow = it }
        }

    init {
        Thread({ create(initial) }, "videokit-init").apply { isDaemon = true }.start()
    }

    private fun create(config: VKConfiguration) {
        // While this thread loads JNA and the library, another loads the first request's
        // classes (HttpURLConnection, the dispatcher UniFFI's callbacks run on): no I/O.
        Thread({ runCatching { warmUp() } }, "videokit-warmup").apply { isDaemon = true }.start()
        val s = try {
            Platform.applyLogger(config)
            VkSession(config.toFfi(), config.store?.let { StoreAdapter(it) }, PlatformHttpClient(), Sink(this))
        } catch (t: Throwable) {
            val e = t.toVKException()
            val failed = synchronized(lock) {
                initError = e
                real = View(real.version, VKSessionState.FAILED, null, e, false, 0, 0)
                publish(real)
                queue.also { queue = null }.orEmpty()
            }
            failed.forEach { it.fail(e) }
            return
        }
        offer(s.snapshot())
        while (true) {
            // One at a time: the calls still queued are what `state` answers meanwhile.
            val op = synchronized(lock) {
                val q = queue!!
                if (q.isEmpty()) {
                    if (!closed) native = s
                    queue = null
                    publish(real)
                    null
                } else {
                    q.removeAt(0)
                }
            } ?: break
            runOp(op, s)
        }
    }

    private fun warmUp() {
        (java.net.URL("http://127.0.0.1/").openConnection() as java.net.HttpURLConnection).apply {
            requestMethod = "POST"
            setRequestProperty("Content-Type", "application/json")
        }
        // And a first coroutine: a completion's or a future's waiter is launched from the
        // thread that makes the call, which is the app's once the library is loaded.
        CoroutineScope(kotlinx.coroutines.Dispatchers.Default).launch { }
    }

    private fun runOp(op: Op, s: VkSession) = try {
        val l = if (op.exclusive) using.writeLock() else using.readLock()
        l.lock()
        try {
            val gone = synchronized(lock) { if (closed) initError else null }
            if (gone != null) op.fail(gone) else op.run(s)
        } finally {
            l.unlock()
        }
    } catch (t: Throwable) {
        // A call refused before it reached the session (a string that is not Unicode): what
        // `state` answers goes back from the provisional state to the session's own (or to
        // that of a call still queued), before the call's completion can read it.
        noteState(s)
        synchronized(lock) {
            val queued = queue?.lastOrNull { it.provisional != null }?.provisional
            if (native == null) publish(if (queued != null) View(real.version, queued, null, null, false, 0, 0) else real)
        }
        op.fail(t.toVKException())
    }

    /**
     * Runs [run] on the native session: now, on this thread, if it exists; else queued, in
     * order. [provisional]: the state the call will give at once, answered meanwhile.
     */
    fun submit(provisional: VKSessionState? = null, fail: (VKException) -> Unit = {}, exclusive: Boolean = false, run: (VkSession) -> Unit) {
        val s = synchronized(lock) {
            native ?: run {
                val e = initError
                if (e == null) {
                    queue!!.add(Op(run, fail, provisional, exclusive))
                    if (provisional != null) publish(View(real.version, provisional, null, null, false, 0, 0))
                    return
                }
                null
            }
        }
        if (s == null) fail(initError!!) else runOp(Op(run, fail, null, exclusive), s)
    }

    /**
     * Keeps the native session's snapshot and returns its state; null once the session is
     * closed (freed: its kept state, STOPPED, stands).
     */
    fun noteState(s: VkSession): VKSessionState? {
        using.readLock().lock()
        try {
            if (synchronized(lock) { closed }) return null
            return runCatching { s.snapshot() }.getOrNull()?.also(::offer)?.state?.toVK()
        } finally {
            using.readLock().unlock()
        }
    }

    /** Keeps [snapshot] if it is the newest. */
    fun offer(snapshot: VkSnapshot) {
        val v = View.of(snapshot)
        synchronized(lock) {
            if (v.version < real.version) return
            real = v
            if (native != null) publish(v)
        }
    }

    /** Called with [lock] held. */
    private fun publish(v: View) {
        view = v
        flow?.value = v.state
    }

    private class Sink(core: SessionCore) : VkSessionSink {
        private val core = WeakReference(core)

        override fun onSnapshot(snapshot: VkSnapshot) {
            core.get()?.offer(snapshot)
        }
    }

    /** The app's listeners, held here: not by Rust, whose references are GC roots. */
    private val registrations: MutableSet<Registration<*>> = java.util.Collections.newSetFromMap(java.util.concurrent.ConcurrentHashMap())

    fun forget(r: Registration<*>) {
        registrations.remove(r)
    }

    fun callbackExecutor(): Executor = executor()

    /**
     * A call's result; a cancelled waiter cancels the call (a starting start is stopped) and
     * ends with the CancellationException. [noteAfter]: keep the session's snapshot after it.
     */
    suspend fun await(provisional: VKSessionState?, noteAfter: Boolean, make: (VkSession) -> VkCall): VKSessionData {
        val made = CompletableDeferred<Pair<VkSession, VkCall>>()
        submit(provisional, { made.completeExceptionally(it) }) { s ->
            val call = make(s)
            offer(call.snapshot())
            if (!made.complete(s to call)) call.cancel()
        }
        val (s, call) = try {
            made.await()
        } catch (e: CancellationException) {
            if (!made.completeExceptionally(e)) runCatching { made.getCompleted().second.cancel() }
            throw e
        }
        try {
            return call.wait().toVK().also { if (noteAfter) noteState(s) }
        } catch (e: CancellationException) {
            call.cancel()
            throw e
        } catch (t: Throwable) {
            noteState(s)
            throw t.toVKException()
        } finally {
            call.destroy()
        }
    }

    /**
     * A call for a completion or a future, begun in order with the other calls, now: the
     * coroutine that waits for it is started where the call reaches the session (the init
     * thread while the library loads), never on the caller's thread, where a fresh process's
     * first coroutine costs 40-130 ms of kotlinx.coroutines' start-up, and before which a
     * `stop()` made after this call would have overtaken it. [done] runs on an SDK thread with
     * the result and the session's state after it (noted after a failure, or after success when
     * [noteAfter]; null: not noted, or the session is closed). Returns what abandons the wait.
     */
    fun begin(
        scope: () -> CoroutineScope,
        provisional: VKSessionState?,
        noteAfter: Boolean,
        make: (VkSession) -> VkCall,
        done: (Result<VKSessionData>, VKSessionState?) -> Unit,
    ): Pending {
        val pending = Pending()
        submit(provisional, { e -> done(Result.failure(e), null) }) { s ->
            val call = make(s)
            offer(call.snapshot())
            pending.made(call)
            scope().launch {
                val r = runCatching { call.wait().toVK() }
                val after = if (noteAfter || r.isFailure) noteState(s) else null
                pending.finished()
                call.destroy()
                done(r, after)
            }
        }
        return pending
    }

    /** A call begun by [begin]: [cancel] makes its waiter end `CANCELLED` (a starting start is stopped). */
    internal class Pending {
        private var call: VkCall? = null
        private var cancelled = false
        private var over = false

        fun made(c: VkCall) {
            val now = synchronized(this) { call = c; cancelled }
            if (now) c.cancel()
        }

        fun finished() = synchronized(this) { over = true }

        fun cancel() = synchronized(this) {
            cancelled = true
            // Under the lock: finished(), and so the call's destroy(), waits for it.
            if (!over) call?.cancel()
        }
    }

    fun addListener(listener: VKStateListener): VKListenerHandle {
        val r = Registration(this, listener) { s, id -> s.removeListener(id) }
        registrations.add(r)
        val weak = WeakReference(r)
        submit { s ->
            r.id = s.addListener(object : VkStateListener {
                override fun onStateChange(change: VkStateChange) {
                    val reg = weak.get() ?: return
                    val c = change.toVK()
                    reg.deliver { reg.listener.onStateChange(c) }
                }
            })
        }
        return r
    }

    /** [direct]: deliver on the SDK thread (for the token flow, which buffers). */
    fun addTokenListener(listener: VKTokenListener, direct: Boolean = false): VKListenerHandle {
        val r = Registration(this, listener) { s, id -> s.removeTokenListener(id) }
        registrations.add(r)
        val weak = WeakReference(r)
        submit { s ->
            r.id = s.addTokenListener(object : VkTokenListener {
                override fun onToken(event: VkTokenEvent) {
                    val reg = weak.get() ?: return
                    val e = VKTokenEvent(event.token, event.expiresAt, event.data.toVK())
                    if (direct) reg.listener.onToken(e) else reg.deliver { reg.listener.onToken(e) }
                }
            })
        }
        return r
    }

    /** Runs [hook] when the session is closed (at once if it is); returns its removal. */
    fun whenClosed(hook: () -> Unit): () -> Unit {
        val now = synchronized(lock) { closed || !closeHooks.add(hook) }
        if (now) hook()
        return { synchronized(lock) { closeHooks.remove(hook) } }
    }

    /** Stops the session and frees the native one; later calls fail with NOT_STARTED. */
    fun close() {
        // First a stop as stop() makes it, under the shared lock: its wait for the store's clear
        // (up to 1 s with a slow store) held under the exclusive one held every thread that
        // notes a snapshot after a call. The exclusive stop then ends what a racing call began.
        submit(VKSessionState.STOPPED) { s -> offer(s.stop()) }
        submit(exclusive = true) { s ->
            offer(s.stop())
            val hooks = synchronized(lock) {
                native = null
                closed = true
                initError = VKException(VKErrorKind.NOT_STARTED, "the session was closed")
                closeHooks.toList().also { closeHooks.clear() }
            }
            s.destroy()
            hooks.forEach { it() }
        }
    }
}
