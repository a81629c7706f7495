package io.videokit.core

import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
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
}
