package io.videokit.core

import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** No call blocks the calling thread on network I/O, even when the backend stalls. */
class NonBlockingTest : SessionTestBase() {

    private fun ms(fromNanos: Long) = (System.nanoTime() - fromNanos) / 1_000_000

    @Test
    fun startReturnsAtOnceWhileTheBackendStalls() {
        // The backend accepts and then says nothing for 10 s; the request times out at 3 s.
        session.configure(testConfig(requestTimeout = Duration.ofSeconds(3)))
        DevServer.fault("sessions", "stall", "\"ms\": 10000, \"count\": 1")
        val probe = CompletionProbe()
        val t0 = System.nanoTime()
        session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
        val startMs = ms(t0)
        assertTrue("start returned after $startMs ms", startMs < 200)
        assertFalse("the completion comes later", probe.done)

        // Everything else answers at once meanwhile.
        val t1 = System.nanoTime()
        val st = session.state
        assertTrue("state is $st", st == VKSessionState.STARTING || st == VKSessionState.IDLE)
        session.sessionData
        session.lastError
        val tokenResult = CompletableFuture<String?>()
        session.token { token, error -> tokenResult.complete(token ?: error?.kind?.wireName) }
        assertTrue("state/sessionData/token(callback) returned after ${ms(t1)} ms", ms(t1) < 200)
        assertFalse(probe.done)

        val r = probe.await(20)
        val doneMs = ms(t0)
        assertTrue("the completion came after the request timeout ($doneMs ms)", doneMs >= 2500)
        assertEquals(VKErrorKind.TIMEOUT, r.error?.kind)
        assertEquals(VKSessionState.FAILED, r.state)
        assertNotNull("the waiting token() call got an answer too", tokenResult.get(5, TimeUnit.SECONDS))
    }

    @Test
    fun callbackApisNeverRunTheCompletionOnTheCallersThread() {
        // Even a failure found before any I/O (empty identity) is delivered later, elsewhere.
        val probe = CompletionProbe()
        val caller = Thread.currentThread().name
        session.start(apiToken = DevServer.appToken, identity = "", completion = probe)
        val r = probe.await()
        assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error?.kind)
        assertTrue(r.thread != caller)
    }

    @Test
    fun awaitStartIsCancellable() = runBlocking {
        DevServer.fault("sessions", "stall", "\"ms\": 10000, \"count\": 1")
        val t0 = System.nanoTime()
        try {
            withTimeout(500) { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
            fail("must time out")
        } catch (_: TimeoutCancellationException) {
        }
        assertTrue("cancelled promptly (${ms(t0)} ms)", ms(t0) < 2000)
        // The SDK is still usable: stop and start again.
        session.stop()
        DevServer.reset()
        val data = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals("alice", data.identity)
    }
}
