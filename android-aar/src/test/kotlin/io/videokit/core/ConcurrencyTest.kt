package io.videokit.core

import java.time.Instant
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentLinkedQueue
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicLong
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

/** 64 threads hammering token()/state while the session renews underneath. */
class ConcurrencyTest : SessionTestBase() {

    @Test
    fun sixtyFourThreadsCallingTokenAndState() {
        DevServer.tokenLifetime(2) // renewals every ~1.8 s during the run
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
        val threads = 64
        val runMs = 4_000L
        val problems = ConcurrentLinkedQueue<String>()
        val calls = AtomicLong()
        val go = CountDownLatch(1)
        val done = CountDownLatch(threads)
        val until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(runMs) + TimeUnit.SECONDS.toNanos(1)

        // [asked]: when the call was made. A token handed out after it must not have expired
        // before it (exp has 1 s granularity). Checking against the time the answer is looked at
        // instead would fail a valid token whenever this thread is descheduled for a second
        // between the answer and the check, as on a loaded CI machine.
        fun checkToken(t: String?, asked: Instant, how: String) {
            if (t == null) { problems.add("$how: no token"); return }
            val sub = runCatching { Jwt.sub(t) }.getOrNull()
            val exp = runCatching { Jwt.exp(t) }.getOrNull()
            if (sub != "alice") problems.add("$how: token for '$sub'")
            if (exp == null || exp.plusSeconds(1) < asked) problems.add("$how: expired token (exp $exp, asked at $asked)")
        }

        val workers = (0 until threads).map { i ->
            Thread({
                try {
                    go.await()
                    while (System.nanoTime() < until - TimeUnit.SECONDS.toNanos(1)) {
                        when (i % 4) {
                            0 -> {
                                val f = CompletableFuture<String?>()
                                val asked = Instant.now()
                                session.token { t, e -> if (e != null) problems.add("token(callback): $e"); f.complete(t) }
                                checkToken(f.get(10, TimeUnit.SECONDS), asked, "token(callback)")
                            }
                            1 -> {
                                val s = session.state
                                if (s != VKSessionState.ACTIVE && s != VKSessionState.REFRESHING) problems.add("state $s")
                                val d = session.sessionData
                                if (d == null) problems.add("no sessionData") else if (d.identity != "alice") problems.add("sessionData for ${d.identity}")
                            }
                            else -> {
                                val asked = Instant.now()
                                checkToken(runBlocking { session.token() }, asked, "token()")
                            }
                        }
                        calls.incrementAndGet()
                    }
                } catch (t: Throwable) {
                    problems.add("thread $i: $t")
                } finally {
                    done.countDown()
                }
            }, "hammer-$i")
        }
        workers.forEach { it.start() }
        go.countDown()
        val finished = done.await(runMs + 30_000, TimeUnit.MILLISECONDS)
        if (!finished) {
            val stuck = workers.filter { it.isAlive }.joinToString("\n") { w -> w.name + ": " + w.stackTrace.take(8).joinToString(" <- ") }
            throw AssertionError("deadlock? threads still running after ${runMs + 30_000} ms:\n$stuck")
        }
        assertTrue("problems (${problems.size}): ${problems.take(10)}", problems.isEmpty())
        assertTrue("made progress: ${calls.get()} calls", calls.get() > 1_000)
        val requests = DevServer.count("sessions")
        // One start + one renewal per ~1.8 s: single-flight, not one request per caller.
        assertTrue("$requests requests for ${calls.get()} calls", requests in 2..8)
        assertEquals(VKSessionState.ACTIVE, session.state.let { if (it == VKSessionState.REFRESHING) VKSessionState.ACTIVE else it })
    }

    @Test
    fun listenersAddedAndRemovedConcurrently() {
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
        val errors = ConcurrentLinkedQueue<Throwable>()
        val workers = (0 until 16).map {
            Thread {
                try {
                    repeat(50) {
                        val h = session.addListener { }
                        session.state
                        h.remove()
                    }
                } catch (t: Throwable) {
                    errors.add(t)
                }
            }
        }
        workers.forEach { it.start() }
        workers.forEach { it.join(30_000) }
        assertTrue(workers.none { it.isAlive })
        assertTrue("$errors", errors.isEmpty())
        assertEquals(VKSessionState.ACTIVE, session.state)
    }

    /**
     * Rust's runtime thread is attached to the JVM once and stays attached, as a daemon thread
     * named videokit-native. Before, JNA attached and detached it around every callback: a new
     * java.lang.Thread (Thread-1, Thread-2, ..., not daemon) for each snapshot, log line and
     * future wake-up (bindings/uniffi-bindgen/main.rs, keep_callback_threads_attached).
     */
    @Test
    fun rustsRuntimeThreadCallsKotlinAsOneDaemonThreadNamedVideokitNative() = runBlocking {
        val threads = ConcurrentLinkedQueue<Thread>()
        // "session active ..." is logged on the runtime thread, once per new token.
        val logger = VKLogger { _, _, message -> if (message.startsWith("session active")) threads.add(Thread.currentThread()) }
        session.configure(testConfig().copy(logger = logger, logLevel = VKLogLevel.INFO))
        session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        session.refresh()
        session.refresh()
        eventually(what = "three activations logged") { threads.size == 3 }
        val first = threads.first()
        assertEquals(listOf("videokit-native", "videokit-native", "videokit-native"), threads.map { it.name })
        assertTrue("a daemon thread, which cannot keep the JVM from exiting", first.isDaemon)
        assertTrue("one Thread object for the one runtime thread: ${threads.map { System.identityHashCode(it) }}", threads.all { it === first })
    }
}
