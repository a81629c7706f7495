package io.videokit.core

import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/**
 * `state` and `token()` answered from the Kotlin-side cache (issue 6): the same answers as
 * the engine's, own calls reflected at once, the cached token dropped by every call that
 * changes the session and by its lease running out.
 */
class StateCacheTest : SessionTestBase() {

    // ---- white-box access to the kept snapshot, to tell the fast path from the engine ----

    private val viewField = SessionCore::class.java.getDeclaredField("view").apply { isAccessible = true }

    private fun view(): View = session.core.view
    private fun lease(): View? = view().takeIf { it.leased && it.leasedToken() != null }
    private fun leaseToken(): String? = lease()?.data?.token
    private fun leaseSeq(): Long = view().version
    private fun leaseWallDeadline(): Long = view().wallDeadline
    private fun leaseMonoDeadline(): Long = view().monoDeadline

    /** Replaces the kept snapshot with one whose token is [token], with these deadlines. */
    private fun forgeLease(token: String, leased: Boolean = true, state: VKSessionState = VKSessionState.ACTIVE, mono: Long, wall: Long) {
        val v = view()
        val d = v.data!!
        val forged = VKSessionData(d.identity, token, d.expiresAt, d.issuedAt, d.source, d.scopes, d.resumed)
        viewField.set(session.core, View(v.version, state, forged, v.error, leased, mono, wall))
    }

    private fun seqNow(): Long {
        val rec = StateRecorder()
        val h = session.addListener(rec)
        try {
            return rec.changes.poll(10, TimeUnit.SECONDS)!!.seq
        } finally {
            h.remove()
        }
    }

    private fun expectKind(kind: VKErrorKind, block: suspend () -> Unit) {
        try {
            runBlocking { block() }
            fail("expected $kind")
        } catch (e: VKException) {
            assertEquals(kind, e.kind)
        }
    }

    @Test
    fun stateReflectsOwnCallsAtOnce() {
        assertEquals(VKSessionState.IDLE, session.state)
        // A start that cannot finish: the state is STARTING the moment start() returns.
        DevServer.fault("sessions", "stall", "\"count\": 1")
        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
        assertEquals(VKSessionState.STARTING, session.state)
        assertEquals(VKSessionState.STARTING, session.states.value)
        eventually(what = "the stalled request reached the server") { DevServer.count("sessions") == 1 }
        assertEquals(VKSessionState.STARTING, session.state)
        session.stop()
        assertEquals(VKSessionState.STOPPED, session.state)
        assertEquals(VKErrorKind.CANCELLED, probe.await().error!!.kind)
        assertEquals(VKSessionState.STOPPED, session.state)
        // A start that finishes: STARTING or ACTIVE at once, ACTIVE when the completion runs.
        val inCompletion = CompletableFuture<String>()
        session.start(apiToken = DevServer.appToken, identity = "alice") { state, _, error -> inCompletion.complete("$state ${session.state} ${error?.kind} ${error?.detail}") }
        assertTrue(session.state in setOf(VKSessionState.STARTING, VKSessionState.ACTIVE))
        assertEquals("ACTIVE ACTIVE null null", inCompletion.get(20, TimeUnit.SECONDS))
        assertEquals(VKSessionState.ACTIVE, session.state)
        // awaitStart: ACTIVE when it returns; a failed one: FAILED when it throws.
        runBlocking { session.awaitStart(apiToken = DevServer.appToken, identity = "bob") }
        assertEquals(VKSessionState.ACTIVE, session.state)
        DevServer.fault("sessions", "status", "\"status\": 401, \"count\": 1")
        expectKind(VKErrorKind.UNAUTHORIZED) { session.awaitStart(apiToken = DevServer.appToken, identity = "bob") }
        assertEquals(VKSessionState.FAILED, session.state)
        // configure: IDLE at once (a new core).
        session.configure(testConfig())
        assertEquals(VKSessionState.IDLE, session.state)
        assertEquals(VKSessionState.IDLE, session.states.value)
    }

    @Test
    fun stateFollowsBackgroundTransitionsInOrderAndNeverGoesBack() = runBlocking<Unit> {
        DevServer.tokenLifetime(2) // renewal due at 1.8 s
        val rec = StateRecorder()
        listen(rec)
        session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        DevServer.tokenLifetime(3600)
        rec.awaitState(VKSessionState.REFRESHING)
        val renewed = rec.awaitState(VKSessionState.ACTIVE)
        // The listener (on the callback thread) runs after the SDK's own states listener.
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertEquals(renewed.seq, seqNow())
        withTimeout(10_000) { session.states.first { it == VKSessionState.ACTIVE } }
    }

    @Test
    fun cachedTokenIsTheEnginesWithoutARequest() = runBlocking<Unit> {
        val data = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals(1, DevServer.count("sessions"))
        // The snapshot kept when awaitStart returned (or pushed for ACTIVE) carries the lease.
        assertEquals(data.token, leaseToken())
        assertEquals(data.token, session.token())
        assertEquals(seqNow(), leaseSeq())
        // The lease runs to the renewal point at most: 3600 s tokens, lead 5 min.
        val left = leaseWallDeadline() - System.currentTimeMillis()
        assertTrue("lease of $left ms", left in 1..3_300_000L)
        val leftMono = TimeUnit.NANOSECONDS.toMillis(leaseMonoDeadline() - System.nanoTime())
        assertTrue("lease of $leftMono ms (monotonic)", leftMono in 1..3_300_000L)
        repeat(10_000) { assertEquals(data.token, session.token()) }
        val viaCallback = CompletableFuture<String?>()
        session.token { t, _ -> viaCallback.complete(t) }
        assertEquals(data.token, viaCallback.get(10, TimeUnit.SECONDS))
        assertEquals("the engine holds the same token", data.token, session.sessionData!!.token)
        assertEquals("no request for any of them", 1, DevServer.count("sessions"))
    }

    @Test
    fun theFastPathHoldsOnlyWhileBothDeadlinesAndTheSeqDo() = runBlocking<Unit> {
        val real = session.awaitStart(apiToken = DevServer.appToken, identity = "alice").token
        assertEquals(real, session.token())
        val hour = TimeUnit.HOURS.toNanos(1)
        val now = { System.nanoTime() }
        val wallNow = { System.currentTimeMillis() }
        // A forged lease proves which path answered: the cache's token, or the engine's.
        forgeLease("forged", mono = now() + hour, wall = wallNow() + 3_600_000)
        assertEquals("both deadlines ahead: the cache", "forged", session.token())
        forgeLease("forged", mono = now() - 1, wall = wallNow() + 3_600_000)
        assertEquals("monotonic deadline passed: the engine", real, session.token())
        forgeLease("forged", mono = now() + hour, wall = wallNow() - 1)
        assertEquals("wall deadline passed (device slept): the engine", real, session.token())
        forgeLease("forged", leased = false, mono = now() + hour, wall = wallNow() + 3_600_000)
        assertEquals("a snapshot without a lease: the engine", real, session.token())
        forgeLease("forged", state = VKSessionState.REFRESHING, leased = false, mono = now() + hour, wall = wallNow() + 3_600_000)
        assertEquals("not active: the engine", real, session.token())
        // A newer snapshot replaces a forged one whole (its lease with it).
        forgeLease("forged", mono = now() + hour, wall = wallNow() + 3_600_000)
        session.checkNow()
        assertEquals(real, leaseToken())
        assertEquals(real, session.token())
    }

    @Test
    fun refreshDropsTheCachedTokenAndTheNewOneComesNext() = runBlocking<Unit> {
        val first = session.awaitStart(apiToken = DevServer.appToken, identity = "alice").token
        assertEquals(first, session.token())
        assertNotNull(lease())
        DevServer.tokenLifetime(7200) // a different exp: a different token even within the same second
        val second = session.refresh().token
        assertNotEquals(first, second)
        assertEquals(second, session.token())
        assertEquals(second, leaseToken())
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertEquals(2, DevServer.count("sessions"))
    }

    @Test
    fun stopDropsTheCachedTokenAtOnce() {
        runBlocking {
            session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
            session.token()
            session.token()
        }
        assertNotNull(lease())
        session.stop()
        assertNull(lease())
        assertEquals(VKSessionState.STOPPED, session.state)
        expectKind(VKErrorKind.NOT_STARTED) { session.token() }
        val got = CompletableFuture<VKException?>()
        session.token { t, e -> got.complete(if (t == null) e else null) }
        assertEquals(VKErrorKind.NOT_STARTED, got.get(10, TimeUnit.SECONDS)!!.kind)
    }

    @Test
    fun startAndConfigureDropTheCachedToken() = runBlocking<Unit> {
        session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals("alice", Jwt.sub(session.token()))
        // A callback start: token() right after it is the new session's.
        session.start(apiToken = DevServer.appToken, identity = "bob")
        assertNull(lease())
        assertEquals(VKSessionState.STARTING, session.state)
        assertEquals("bob", Jwt.sub(session.token()))
        assertEquals("bob", Jwt.sub(session.token()))
        // awaitStart likewise.
        session.awaitStart(apiToken = DevServer.appToken, identity = "carol")
        assertEquals("carol", Jwt.sub(session.token()))
        // checkNow keeps the session's snapshot after it (nothing due: still leased).
        session.checkNow()
        assertEquals("carol", Jwt.sub(leaseToken()!!))
        assertEquals("carol", Jwt.sub(session.token()))
        // configure: a new core, nothing started.
        session.configure(testConfig())
        assertNull(lease())
        expectKind(VKErrorKind.NOT_STARTED) { session.token() }
        assertEquals(3, DevServer.count("sessions"))
    }

    @Test
    fun renewalInTheBackgroundEndsTheLease() = runBlocking<Unit> {
        DevServer.tokenLifetime(2) // renewal due at 1.8 s: the lease ends by then
        val rec = StateRecorder()
        listen(rec)
        val first = session.awaitStart(apiToken = DevServer.appToken, identity = "alice").token
        assertEquals(first, session.token())
        val leased = leaseWallDeadline() - System.currentTimeMillis()
        assertTrue("lease of $leased ms ends by the renewal point", leased in 1..1_800L)
        DevServer.tokenLifetime(3600)
        rec.awaitState(VKSessionState.REFRESHING)
        rec.awaitState(VKSessionState.ACTIVE)
        val second = session.token()
        assertNotEquals(first, second)
        assertEquals(session.sessionData!!.token, second)
        assertEquals(2, DevServer.count("sessions"))
        assertEquals(second, session.token())
    }

    @Test
    fun aFixedTokenIsCachedUntilASecondBeforeItsExpiry() = runBlocking<Unit> {
        DevServer.tokenLifetime(3)
        val token = DevServer.backendToken("dave")
        val data = session.awaitStart(sessionToken = token)
        assertEquals(token, session.token())
        val expiresAt = data.expiresAt!!.toEpochMilli()
        // No request was made, so the engine's server time is the wall clock: the lease ends
        // at least a second before the expiry.
        assertTrue("lease ends ${expiresAt - leaseWallDeadline()} ms before expiry", leaseWallDeadline() <= expiresAt - 1000)
        assertTrue("and has not ended yet", leaseWallDeadline() > System.currentTimeMillis())
        val rec = StateRecorder()
        listen(rec)
        rec.awaitState(VKSessionState.EXPIRED, secs = 10)
        assertEquals(VKSessionState.EXPIRED, session.state)
        expectKind(VKErrorKind.EXPIRED) { session.token() }
    }
}
