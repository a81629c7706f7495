package io.videokit.core

import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** States in order, renewal, stop, listeners, the state flow, configuration. */
class LifecycleTest : SessionTestBase() {

    @Test
    fun exactStateOrderWithRenewalAndStop() {
        DevServer.tokenLifetime(3) // renewal lead = 10% of 3 s: renews at ~2.7 s
        val rec = StateRecorder()
        val handle = listen(rec)
        val initial = rec.changes.poll(5, java.util.concurrent.TimeUnit.SECONDS)!!
        assertTrue("first event is the current state", initial.isInitial)
        assertEquals(VKSessionState.IDLE, initial.to)

        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
        val first = probe.await().data!!
        assertEquals(listOf(VKSessionState.STARTING, VKSessionState.ACTIVE, VKSessionState.REFRESHING, VKSessionState.ACTIVE), rec.transitions(4, secs = 15))
        val renewed = session.sessionData!!
        assertEquals(2, DevServer.count("sessions"))
        assertTrue("the renewed token expires later", renewed.expiresAt!! > first.expiresAt!!)
        assertEquals(renewed.token, runBlocking { session.token() })

        session.stop()
        assertEquals(listOf(VKSessionState.STOPPED), rec.transitions(1))
        assertEquals(VKSessionState.STOPPED, session.state)
        assertNull(session.sessionData)
        // Every transition exactly once, numbered in order.
        val seqs = rec.all.filter { !it.isInitial }.map { it.seq }
        assertEquals(seqs.sorted().distinct(), seqs)
        assertEquals(setOf("videokit-callbacks"), rec.threads)
        handle.remove()
    }

    @Test
    fun tokenBeforeStartAndAfterStopIsNotStarted() = runBlocking {
        for (phase in listOf("before start", "after stop")) {
            if (phase == "after stop") {
                session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
                session.stop()
            }
            try {
                session.token()
                fail("token() $phase must fail")
            } catch (e: VKException) {
                assertEquals(phase, VKErrorKind.NOT_STARTED, e.kind)
            }
        }
        // The callback form reports the same.
        val got = java.util.concurrent.CompletableFuture<VKException?>()
        session.token { token, error -> if (token == null) got.complete(error) else got.complete(null) }
        assertEquals(VKErrorKind.NOT_STARTED, got.get(10, java.util.concurrent.TimeUnit.SECONDS)!!.kind)
    }

    @Test
    fun stopCancelsAPendingStart() {
        DevServer.fault("sessions", "stall", "\"ms\": 10000, \"count\": 1")
        val rec = StateRecorder()
        listen(rec)
        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
        rec.awaitState(VKSessionState.STARTING)
        session.stop()
        val r = probe.await(10)
        assertEquals(VKErrorKind.CANCELLED, r.error!!.kind)
        assertEquals(VKSessionState.STOPPED, r.state)
        rec.awaitState(VKSessionState.STOPPED)
        assertEquals(1, probe.calls.get())
    }

    @Test
    fun callsRightAfterStartSeeTheNewSession() {
        // start() hands the session to the engine before it returns: a stop() or token()
        // made right after it is ordered after the start, never racing it.
        repeat(50) { i ->
            val probe = CompletionProbe()
            session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
            session.stop()
            val r = probe.await()
            assertTrue("round $i: ${r.error}", r.error?.kind == VKErrorKind.CANCELLED || r.state == VKSessionState.ACTIVE)
            assertEquals("round $i", VKSessionState.STOPPED, session.state)
        }
        repeat(50) { i ->
            session.start(apiToken = DevServer.appToken, identity = "bob")
            assertEquals("round $i", "bob", Jwt.sub(runBlocking { session.token() }))
        }
    }

    @Test
    fun stateFlowFollowsTheSession() = runBlocking {
        assertEquals(VKSessionState.IDLE, session.states.value)
        session.start(apiToken = DevServer.appToken, identity = "alice")
        withTimeout(10_000) { session.states.first { it == VKSessionState.ACTIVE } }
        session.stop()
        withTimeout(10_000) { session.states.first { it == VKSessionState.STOPPED } }
        assertEquals(VKSessionState.STOPPED, session.state)
    }

    @Test
    fun refreshRenewsAndCheckNowIsHarmless() = runBlocking {
        val first = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        session.checkNow()
        assertEquals("nothing due: no request", 1, DevServer.count("sessions"))
        val second = session.refresh()
        assertEquals(2, DevServer.count("sessions"))
        assertEquals("alice", second.identity)
        assertTrue(second.expiresAt!! >= first.expiresAt!!)
        assertEquals(VKSessionState.ACTIVE, session.state)
    }

    @Test
    fun removedListenerGetsNothingMore() {
        val kept = StateRecorder()
        val removed = StateRecorder()
        listen(kept)
        val handle = listen(removed)
        handle.remove()
        handle.remove() // idempotent
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
        kept.awaitState(VKSessionState.ACTIVE)
        Thread.sleep(100)
        assertTrue("removed listener saw ${removed.all.map { it.to }}", removed.all.none { !it.isInitial })
    }

    @Test
    fun configureStopsTheRunningSessionAndKeepsListeners() {
        val rec = StateRecorder()
        listen(rec)
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
        rec.awaitState(VKSessionState.ACTIVE)
        session.configure(testConfig(requestTimeout = Duration.ofSeconds(3)))
        rec.awaitState(VKSessionState.STOPPED)
        assertEquals(VKSessionState.IDLE, session.state)
        assertEquals(Duration.ofSeconds(3), session.configuration.requestTimeout)
        // The listener now follows the new core.
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "bob") }
        rec.awaitState(VKSessionState.ACTIVE)
    }

    @Test
    fun invalidConfigurationIsEveryStartsErrorUntilAValidOne() {
        // Rust alone judges a configuration (the same on every platform): configure never
        // throws; the error is lastError and every start's error.
        for ((what, cfg) in listOf(
            "zero connect timeout" to testConfig().copy(connectTimeout = Duration.ZERO),
            "negative request timeout" to testConfig().copy(requestTimeout = Duration.ofSeconds(-1)),
            "no attempts" to testConfig().copy(startAttempts = 0),
            "negative renewal lead" to testConfig().copy(renewalLead = Duration.ofSeconds(-5)),
            "empty gateway" to testConfig().copy(gatewayUrl = " "),
        )) {
            session.configure(cfg)
            assertEquals(what, VKSessionState.IDLE, session.state)
            assertEquals(what, VKErrorKind.INVALID_ARGUMENT, session.lastError?.kind)
            val probe = CompletionProbe()
            session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
            val r = probe.await()
            assertEquals(what, VKErrorKind.INVALID_ARGUMENT, r.error?.kind)
            try {
                runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
                fail("$what: awaitStart must fail")
            } catch (e: VKException) {
                assertEquals(what, VKErrorKind.INVALID_ARGUMENT, e.kind)
            }
        }
        assertEquals(0, DevServer.count("sessions"))
        // A valid configuration clears it.
        session.configure(testConfig())
        assertNull(session.lastError)
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "alice") }
    }

    @Test
    fun callbacksRunOnTheGivenExecutor() {
        val ran = AtomicInteger()
        val pool = Executors.newSingleThreadExecutor { r -> Thread(r, "app-executor") }
        try {
            session.configure(testConfig(callbackExecutor = { r -> ran.incrementAndGet(); pool.execute(r) }))
            val rec = StateRecorder()
            listen(rec)
            val probe = CompletionProbe()
            session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
            assertEquals("app-executor", probe.await().thread)
            rec.awaitState(VKSessionState.ACTIVE)
            assertEquals(setOf("app-executor"), rec.threads)
            assertTrue(ran.get() >= 3)
        } finally {
            session.stop()
            pool.shutdown()
        }
    }

    @Test
    fun aThrowingCallbackDoesNotBreakLaterCallbacks() {
        listen { throw IllegalStateException("listener bug") }
        val bad = VKCompletion { _, _, _ -> throw IllegalStateException("completion bug") }
        val saved = Thread.getDefaultUncaughtExceptionHandler()
        val reported = AtomicInteger()
        Thread.setDefaultUncaughtExceptionHandler { _, _ -> reported.incrementAndGet() }
        try {
            session.start(apiToken = DevServer.appToken, identity = "alice", completion = bad)
            eventually(10, "session active") { session.state == VKSessionState.ACTIVE }
            val probe = CompletionProbe()
            session.start(apiToken = DevServer.appToken, identity = "bob", completion = probe)
            assertEquals(VKSessionState.ACTIVE, probe.await().state)
            assertNotEquals(0, reported.get())
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(saved)
        }
    }
}
