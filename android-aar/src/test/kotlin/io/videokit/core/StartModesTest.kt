package io.videokit.core

import java.net.URI
import java.time.Duration
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

/** Every way to start a session: API token, session token, token URL, Kotlin providers. */
class StartModesTest : SessionTestBase() {

    @Test
    fun apiTokenWithCompletion() {
        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", scopes = listOf("videos.read")) { state, data, error ->
            probe.onResult(state, data, error)
        }
        val r = probe.await()
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        val data = r.data!!
        assertEquals("alice", data.identity)
        assertEquals(listOf("videos.read"), data.scopes)
        assertEquals(VKSourceKind.API_TOKEN, data.source)
        assertFalse(data.resumed)
        assertEquals("alice", Jwt.sub(data.token))
        assertNotNull(data.expiresAt)
        assertEquals("callbacks run on the SDK's callback thread off Android", "videokit-callbacks", r.thread)
        assertFalse("toString must not print the token", data.toString().contains(data.token))
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertEquals(data, session.sessionData)
        assertEquals(data.token, runBlocking { session.token() })
        assertEquals(1, DevServer.count("sessions"))
        assertEquals(1, probe.calls.get())
    }

    @Test
    fun apiTokenSuspend() = runBlocking {
        val data = session.awaitStart(apiToken = DevServer.appToken, identity = "alice")
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertEquals("alice", data.identity)
        assertEquals(emptyList<String>(), data.scopes)
        assertEquals(data.token, session.token())
    }

    @Test
    fun sessionTokenMode() = runBlocking {
        val token = DevServer.backendToken("bob")
        val data = session.awaitStart(sessionToken = token)
        assertEquals(token, data.token)
        assertEquals(VKSourceKind.SESSION_TOKEN, data.source)
        assertEquals(token, session.token())
        assertEquals("JWT exp read from the token", Jwt.exp(token), data.expiresAt)
        // A fixed token cannot be renewed.
        try {
            session.refresh()
            fail("refresh of a fixed session token must fail")
        } catch (e: VKException) {
            assertEquals(VKErrorKind.INVALID_ARGUMENT, e.kind)
        }
        // And the callback form, from scratch.
        val probe = CompletionProbe()
        session.start(sessionToken = token, completion = probe)
        val r = probe.await()
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals(token, r.data!!.token)
    }

    @Test
    fun tokenUrlMode() {
        val probe = CompletionProbe()
        session.start(tokenUrl = DevServer.base + "/token/{identity}", identity = "carol", headers = mapOf("X-App-Auth" to "app-secret")) { s, d, e ->
            probe.onResult(s, d, e)
        }
        val r = probe.await()
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals(VKSourceKind.BACKEND, r.data!!.source)
        assertEquals("carol", Jwt.sub(r.data.token))
        assertEquals(1, DevServer.count("token"))
        // Renewal on demand re-fetches from the backend.
        val renewed = runBlocking { session.refresh() }
        assertEquals("carol", Jwt.sub(renewed.token))
        assertEquals(2, DevServer.count("token"))
        // Suspend form.
        val d = runBlocking { session.awaitStart(tokenUrl = DevServer.base + "/token/{identity}", identity = "carol2") }
        assertEquals("carol2", Jwt.sub(d.token))
    }

    /** A provider as an app writes it: its own HTTP call to its own backend. */
    class BackendProvider : VKTokenProvider {
        val calls = AtomicInteger()
        private val http = HttpClient.newHttpClient()

        override suspend fun fetchToken(identity: String?): VKProvidedToken = withContext(Dispatchers.IO) {
            calls.incrementAndGet()
            val body = http.send(HttpRequest.newBuilder(URI.create("${DevServer.base}/token/$identity")).build(), HttpResponse.BodyHandlers.ofString()).body()
            val token = Regex("\"sessionToken\"\\s*:\\s*\"([^\"]+)\"").find(body)!!.groupValues[1]
            VKProvidedToken(token) // expiry read from the JWT's exp
        }
    }

    @Test
    fun customKotlinProvider() = runBlocking {
        val provider = BackendProvider()
        val data = session.awaitStart(provider = provider, identity = "dave")
        assertEquals(VKSourceKind.CUSTOM, data.source)
        assertEquals("dave", Jwt.sub(data.token))
        assertEquals(Jwt.exp(data.token), data.expiresAt)
        assertEquals(1, provider.calls.get())
        session.refresh()
        assertEquals("refresh calls the provider again", 2, provider.calls.get())
        assertEquals("dave", Jwt.sub(session.token()))
        // Callback form.
        val probe = CompletionProbe()
        session.start(provider, "erin", probe)
        assertEquals(VKSessionState.ACTIVE, probe.await().state)
        assertEquals("erin", Jwt.sub(probe.await().data!!.token))
    }

    @Test
    fun providerThrowingUnauthorizedStopsAtOnce() {
        val provider = CountingProvider { throw VKException(VKErrorKind.UNAUTHORIZED, "the app's backend said no", code = "no_user", httpStatus = 401) }
        session.configure(testConfig(startAttempts = 4))
        val probe = CompletionProbe()
        session.start(provider = provider, identity = "frank", completion = probe)
        val r = probe.await()
        assertEquals(VKSessionState.FAILED, r.state)
        assertNull(r.data)
        assertEquals(VKErrorKind.UNAUTHORIZED, r.error!!.kind)
        assertEquals("no_user", r.error.code)
        assertEquals(401, r.error.httpStatus)
        assertEquals("terminal: no retry", 1, provider.calls.get())
        assertEquals(VKSessionState.FAILED, session.state)
        assertEquals(VKErrorKind.UNAUTHORIZED, session.lastError!!.kind)
    }

    @Test
    fun providerThrowingAnythingElseIsRetriedThenFails() {
        val provider = CountingProvider { throw IllegalStateException("backend down; secret=hunter2") }
        session.configure(testConfig(startAttempts = 2))
        val r = runBlocking {
            try {
                session.awaitStart(provider = provider, identity = "gina")
                null
            } catch (e: VKException) {
                e
            }
        }
        assertNotNull("start must fail", r)
        assertEquals("an unexpected exception is transient", VKErrorKind.NETWORK, r!!.kind)
        assertEquals("retried up to startAttempts", 2, provider.calls.get())
        assertFalse("the app's exception message (could hold a secret) is not passed on", r.detail.contains("hunter2"))
        assertEquals(VKSessionState.FAILED, session.state)
    }

    @Test
    fun providerTokenThatIsNotUnicodeFailsTheStartAsInvalidArgument() {
        // A lone UTF-16 surrogate cannot be encoded as UTF-8: found by an outside test, where it
        // threw on a coroutine worker after the provider returned and the start never ended.
        val provider = CountingProvider { VKProvidedToken("tok\uD800en") }
        session.configure(testConfig(startAttempts = 3))
        val probe = CompletionProbe()
        session.start(provider = provider, identity = "ivy", completion = probe)
        val r = probe.await()
        assertEquals(VKSessionState.FAILED, r.state)
        assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error!!.kind)
        assertEquals("the token provider's token is not valid Unicode (it holds a lone UTF-16 surrogate)", r.error.detail)
        assertEquals("terminal: not retried", 1, provider.calls.get())
        assertEquals(VKSessionState.FAILED, session.state)
    }

    @Test
    fun providerErrorWhoseTextsAreNotUnicodeStillEndsTheStart() {
        // From the outside test: the surrogate in the app's own VKException (detail or code)
        // threw on a coroutine worker and the start never ended.
        val provider = CountingProvider { throw VKException(VKErrorKind.REJECTED, "no \uD800", code = "c\uDC00", httpStatus = 403) }
        val probe = CompletionProbe()
        session.start(provider = provider, identity = "ivy", completion = probe)
        val r = probe.await()
        assertEquals(VKSessionState.FAILED, r.state)
        assertEquals(VKErrorKind.REJECTED, r.error!!.kind)
        assertEquals("no \uFFFD", r.error.detail)
        assertEquals("c\uFFFD", r.error.code)
        assertEquals("emoji \uD83D\uDE00 kept", unicodeOrReplaced("emoji \uD83D\uDE00 kept"))
    }

    @Test
    fun argumentThatIsNotUnicodeIsInvalidArgumentAndLeavesTheState() {
        for (bad in listOf("al\uDC00ice", "alice\uD83D")) {
            val probe = CompletionProbe()
            session.start(apiToken = DevServer.appToken, identity = bad, completion = probe)
            val r = probe.await()
            assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error!!.kind)
            assertEquals(NOT_UNICODE, r.error.detail)
            assertEquals("the call never reached the session: its state stays", VKSessionState.IDLE, r.state)
            assertEquals("no provisional STARTING left behind", VKSessionState.IDLE, session.state)
            val thrown = runBlocking { runCatching { session.awaitStart(sessionToken = bad) }.exceptionOrNull() }
            assertEquals(VKErrorKind.INVALID_ARGUMENT, (thrown as VKException).kind)
        }
        assertTrue(isUnicode("emoji \uD83D\uDE00 ok"))
        assertEquals(0, DevServer.count("sessions"))
    }

    @Test
    fun argumentsAreReadWhenStartIsCalledNotWhenItsQueuedCallRuns() {
        // From the outside test: at cold start (the call queued until the library is loaded) a
        // scopes list changed right after start() returned was sent as changed.
        val s = VKSession(testConfig())
        try {
            val scopes = mutableListOf("videos.read")
            val probe = CompletionProbe()
            s.start(apiToken = DevServer.appToken, identity = "alice", scopes = scopes, completion = probe)
            scopes[0] = "admin"
            val r = probe.await()
            assertEquals(listOf("videos.read"), r.data!!.scopes)
        } finally {
            s.close()
        }
    }

    @Test
    fun collectionsThatCannotBeReadRefuseTheStartWithoutTheirText() {
        val hostile = object : java.util.AbstractList<String>() {
            override val size get() = 1
            override fun get(index: Int): String = throw IllegalStateException("scopes secret")
        }
        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", scopes = hostile, completion = probe)
        val r = probe.await()
        assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error!!.kind)
        assertEquals("the scopes could not be read", r.error.detail)
        assertEquals(VKSessionState.IDLE, r.state)
        val thrown = runBlocking { runCatching { session.awaitStart(apiToken = DevServer.appToken, identity = "alice", scopes = hostile) }.exceptionOrNull() }
        assertEquals("the scopes could not be read", (thrown as VKException).detail)
        assertEquals(0, DevServer.count("sessions"))
    }

    @Test
    fun aStartRefusedWhileQueuedReportsTheSessionsOwnState() {
        // From the outside test: refused at cold start, the completion said STARTING (the
        // queued call's provisional state) while the session was IDLE.
        val s = VKSession(testConfig())
        try {
            val probe = CompletionProbe()
            s.start(apiToken = DevServer.appToken, identity = "al\uDC00ice", completion = probe)
            val r = probe.await()
            assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error!!.kind)
            assertEquals(VKSessionState.IDLE, r.state)
            // (CI once read STARTING here: the queue was drained after the completion ran.)
            assertEquals(VKSessionState.IDLE, s.state)
        } finally {
            s.close()
        }
    }

    @Test
    fun aBlockingProviderThatHangsIsInterruptedAndNeverRunsTwiceAtOnce() {
        // From the outside test: each timed-out attempt left a thread blocked in the provider
        // and started another, until Dispatchers.IO was exhausted.
        val running = AtomicInteger()
        val most = AtomicInteger()
        val interrupted = AtomicInteger()
        val calls = AtomicInteger()
        val provider = object : VKBlockingTokenProvider() {
            override fun fetchTokenBlocking(identity: String?): VKProvidedToken {
                calls.incrementAndGet()
                most.accumulateAndGet(running.incrementAndGet(), ::maxOf)
                try {
                    Thread.sleep(10_000)
                } catch (e: InterruptedException) {
                    interrupted.incrementAndGet()
                    throw e
                } finally {
                    running.decrementAndGet()
                }
                return VKProvidedToken("never")
            }
        }
        // 1 s per attempt: each attempt's call must have begun by then, even on a loaded
        // machine (at 300 ms a CI run once saw an attempt time out before its call started).
        session.configure(testConfig(requestTimeout = Duration.ofSeconds(1), startAttempts = 3))
        val probe = CompletionProbe()
        session.start(provider = provider, identity = "jo", completion = probe)
        val r = probe.await()
        assertEquals(VKErrorKind.TIMEOUT, r.error!!.kind)
        assertEquals("the token provider did not answer within 1000 ms", r.error.detail)
        assertEquals(3, calls.get())
        assertEquals("one call at a time", 1, most.get())
        assertEquals("each timed-out call was interrupted", 3, interrupted.get())
    }

    @Test
    fun blockingProviderRunsOffTheCallerThread() = runBlocking {
        val threads = mutableListOf<String>()
        val token = DevServer.backendToken("hank")
        val provider = object : VKBlockingTokenProvider() {
            override fun fetchTokenBlocking(identity: String?): VKProvidedToken {
                synchronized(threads) { threads.add(Thread.currentThread().name) }
                Thread.sleep(50) // blocking is fine here
                return VKProvidedToken(token)
            }
        }
        val caller = Thread.currentThread().name
        val data = session.awaitStart(provider = provider, identity = "hank")
        assertEquals(token, data.token)
        assertEquals(1, threads.size)
        assertNotEquals(caller, threads[0])
        assertTrue("a Dispatchers.IO thread: ${threads[0]}", threads[0].startsWith("DefaultDispatcher-worker"))
    }

    @Test
    fun startAgainReplacesTheRunningSession() = runBlocking {
        val first = session.awaitStart(apiToken = DevServer.appToken, identity = "ivy")
        val second = session.awaitStart(apiToken = DevServer.appToken, identity = "jack")
        assertEquals("ivy", first.identity)
        assertEquals("jack", second.identity)
        assertEquals("jack", Jwt.sub(session.token()))
        assertEquals(2, DevServer.count("sessions"))
    }

    /** A provider that counts its calls and answers with [answer] (or throws what it throws). */
    private class CountingProvider(private val answer: () -> VKProvidedToken) : VKTokenProvider {
        val calls = AtomicInteger()

        override suspend fun fetchToken(identity: String?): VKProvidedToken {
            calls.incrementAndGet()
            return answer()
        }
    }
}
