package io.videokit.core

import java.time.Instant
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertSame
import org.junit.Assert.assertTrue
import org.junit.Test

/** A session store written in Kotlin: resume without a request, clear on stop, failures. */
class StoreTest : SessionTestBase() {

    @Test
    fun aStoredSessionIsResumedWithoutARequest() = runBlocking {
        val store = MapStore()
        session.configure(testConfig(store = store))
        val first = session.awaitStart(apiToken = DevServer.appToken, identity = "alice", scopes = listOf("videos.read"))
        assertFalse(first.resumed)
        assertEquals(1, store.records.size)
        assertEquals(1, DevServer.count("sessions"))

        // "The app restarts": a new core over the persisted records (stop() would clear them).
        val persisted = MapStore(store.snapshot())
        session.configure(testConfig(store = persisted))
        val resumed = session.awaitStart(apiToken = DevServer.appToken, identity = "alice", scopes = listOf("videos.read"))
        assertTrue(resumed.resumed)
        assertEquals(first.token, resumed.token)
        assertEquals(first.expiresAt, resumed.expiresAt)
        assertEquals("no request: counts unchanged", 1, DevServer.count("sessions"))
        assertTrue(persisted.loads.get() >= 1)

        // Another identity is not resumed from alice's record.
        val other = session.awaitStart(apiToken = DevServer.appToken, identity = "bob")
        assertFalse(other.resumed)
        assertEquals(2, DevServer.count("sessions"))
    }

    /** From the outside test: a 64 MB record took 3.4 s to cross the FFI before the core refused it. */
    @Test
    fun anOversizedRecordIsCutAtTheFfiAndReplacedByANewSession() = runBlocking {
        val big = ByteArray(8 shl 20) { 'A'.code.toByte() }
        val small = ByteArray(10)
        val fixed = { bytes: ByteArray -> StoreAdapter(object : VKSessionStore by MapStore() { override fun load(key: String) = bytes }) }
        assertEquals(64 * 1024 + 1, fixed(big).load("k")!!.size)
        assertSame(small, fixed(small).load("k"))

        val store = MapStore()
        session.configure(testConfig(store = store))
        session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        val key = store.records.keys.single()
        val planted = MapStore(mapOf(key to big))
        session.configure(testConfig(store = planted))
        val second = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertFalse(second.resumed)
        assertEquals(2, DevServer.count("sessions"))
        val record = planted.records.getValue(key)
        assertTrue(record.size < 4096 && String(record).contains(second.token))
    }

    /** From the outside test (D6): a store calling back into its session (stop() in clear) hung it. */
    @Test
    fun aStoreThatCallsBackIntoItsSessionDoesNotHangIt() = runBlocking {
        val inner = MapStore()
        lateinit var s: VKSession
        val reentrant = object : VKSessionStore by inner {
            override fun load(key: String): ByteArray? = inner.load(key).also { s.state }
            override fun clear(key: String) { s.stop(); inner.clear(key) }
        }
        s = VKSession(testConfig(store = reentrant).copy(name = "reentrant"))
        s.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        val stopping = Thread { s.stop() }.apply { start(); join(10_000) }
        assertFalse("stop() hung on a clear that calls stop()", stopping.isAlive)
        assertEquals(VKSessionState.STOPPED, s.state)
        eventually(what = "the record cleared") { inner.records.isEmpty() }
        s.close()
    }

    @Test
    fun stopClearsTheStoredSession() = runBlocking {
        val store = MapStore()
        session.configure(testConfig(store = store))
        session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals(1, store.records.size)
        session.stop()
        assertEquals(0, store.records.size)
    }

    @Test
    fun aFailingStoreNeverStopsTheSession() = runBlocking {
        val broken = object : VKSessionStore {
            override fun load(key: String): ByteArray? = throw IllegalStateException("disk on fire")
            override fun save(key: String, record: ByteArray) = throw java.io.IOException("disk full")
            override fun clear(key: String) = throw RuntimeException("nope")
        }
        session.configure(testConfig(store = broken))
        val data = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertEquals(data.token, session.token())
        session.stop()
        assertEquals(VKSessionState.STOPPED, session.state)
    }

    /** A token provider with no identity, as two sessions of one app might each have. */
    private class FixedProvider(private val token: String) : VKTokenProvider {
        val calls = AtomicInteger()
        override suspend fun fetchToken(identity: String?): VKProvidedToken {
            calls.incrementAndGet()
            return VKProvidedToken(token, Instant.now().plusSeconds(3600))
        }
    }

    @Test
    fun namedSessionsSharingAStoreKeepTheirOwnRecords() = runBlocking {
        val store = MapStore()
        val ks = FixedProvider("ks-token")
        val vsdk = FixedProvider("videosdk-token")
        val kaltura = VKSession(testConfig(store = store).copy(name = "kaltura"))
        val videoSdk = VKSession(VKConfiguration.builder().store(store).name("videosdk").build())
        assertEquals("ks-token", kaltura.awaitStart(provider = ks).token)
        val own = videoSdk.awaitStart(provider = vsdk)
        assertEquals("videosdk-token" to false, own.token to own.resumed)
        assertEquals(setOf("kaltura.", "videosdk."), store.records.keys.map { it.substringBefore('.') + "." }.toSet())
        assertEquals(2, store.records.size)
        // "The app restarts" (close() would clear the records): each name resumes its own
        // token, and stopping one keeps the other's record.
        val persisted = MapStore(store.snapshot())
        kaltura.close(); videoSdk.close()
        // (A call made just as the session finishes loading is queued behind its last queued
        // call, so close() may run a moment after it returns.)
        eventually(what = "both records cleared") { store.records.isEmpty() }
        val kaltura2 = VKSession(testConfig(store = persisted).copy(name = "kaltura"))
        val videoSdk2 = VKSession(testConfig(store = persisted).copy(name = "videosdk"))
        val k = kaltura2.awaitStart(provider = ks)
        assertEquals("ks-token" to true, k.token to k.resumed)
        kaltura2.close()
        eventually(what = "only videosdk's record left") { persisted.records.keys.map { it.substringBefore('.') } == listOf("videosdk") }
        val v = videoSdk2.awaitStart(provider = vsdk)
        assertEquals("videosdk-token" to true, v.token to v.resumed)
        assertEquals(1 to 1, ks.calls.get() to vsdk.calls.get())
        videoSdk2.close()
    }

    @Test
    fun aSessionNameWithOtherCharactersIsInvalidArgument() = runBlocking {
        session.configure(testConfig().copy(name = "kaltura.ks"))
        val e = runCatching { session.awaitStart(provider = FixedProvider("t")) }.exceptionOrNull() as VKException
        assertEquals(VKErrorKind.INVALID_ARGUMENT, e.kind)
        assertEquals("a session name must be 1 to 64 letters, digits, '_' or '-'", e.message)
        assertEquals(VKErrorKind.INVALID_ARGUMENT, session.lastError?.kind)
    }

    @Test
    fun aSlowStoreHoldsUpOnlyItsOwnSession() = runBlocking {
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        val slow = object : VKSessionStore by MapStore() {
            override fun load(key: String): ByteArray? {
                entered.countDown()
                release.await(20, TimeUnit.SECONDS) // a Keystore that takes its time
                return null
            }
        }
        val a = VKSession(testConfig(store = slow).copy(name = "a"))
        val b = VKSession(testConfig(store = MapStore()).copy(name = "b"))
        try {
            val aStarted = async(Dispatchers.Default) { a.awaitStart(provider = FixedProvider("a-token")) }
            assertTrue(entered.await(20, TimeUnit.SECONDS))
            val d = withTimeout(20_000) { b.awaitStart(provider = FixedProvider("b-token")) }
            assertEquals("b's first token while a's store is still held", 1L, release.count)
            assertEquals("b-token" to VKSessionState.STARTING, d.token to a.state)
            release.countDown()
            assertEquals("a-token", aStarted.await().token)
        } finally {
            release.countDown()
            a.close(); b.close()
        }
    }
}
