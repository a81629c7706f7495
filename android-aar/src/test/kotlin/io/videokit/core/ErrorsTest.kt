package io.videokit.core

import java.time.Duration
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/** The error kind of every devserver fault, through the Kotlin layer. */
class ErrorsTest : SessionTestBase() {

    private fun startApi(identity: String = "alice", appToken: String = DevServer.appToken): Outcome {
        val probe = CompletionProbe()
        session.start(apiToken = appToken, identity = identity, completion = probe)
        return probe.await(30)
    }

    private fun assertFailed(r: Outcome, kind: VKErrorKind) {
        assertNull("no data on failure", r.data)
        assertEquals("error: ${r.error}", kind, r.error?.kind)
        assertEquals(VKSessionState.FAILED, r.state)
        assertEquals(VKSessionState.FAILED, session.state)
        assertEquals(kind, session.lastError?.kind)
    }

    @Test
    fun wrongAppTokenIsUnauthorized() {
        val r = startApi(appToken = "vk_wrong_app_token")
        assertFailed(r, VKErrorKind.UNAUTHORIZED)
        assertEquals(401, r.error!!.httpStatus)
        assertFalse("no secret in the message", r.error.detail.contains("vk_wrong_app_token"))
        assertFalse(r.error.toString().contains("vk_wrong_app_token"))
        // token() after a terminal failure reports that failure.
        val e = runBlocking { runCatching { session.token() }.exceptionOrNull() as VKException }
        assertEquals(VKErrorKind.UNAUTHORIZED, e.kind)
    }

    @Test
    fun lastErrorShowsTheFailedAttemptWhileAStartRetries() {
        // From the outside test: lastError stayed null while a start retried.
        session.configure(testConfig(startAttempts = 2))
        DevServer.fault("sessions", "status", "\"status\": 503, \"retry_after\": 2, \"count\": 1")
        val probe = CompletionProbe()
        session.start(apiToken = DevServer.appToken, identity = "alice", completion = probe)
        eventually(5, "lastError set while STARTING") { session.lastError != null }
        assertEquals(VKSessionState.STARTING, session.state)
        assertEquals(VKErrorKind.HTTP_STATUS, session.lastError?.kind)
        assertEquals(503, session.lastError?.httpStatus)
        assertEquals("the VideoKit gateway answered HTTP 503: fault injected: status 503", session.lastError?.detail)
        val r = probe.await(30)
        assertNotNull(r.data)
        assertEquals(VKSessionState.ACTIVE, session.state)
        assertNull("a success clears it", session.lastError)
    }

    @Test
    fun malformedResponse() {
        DevServer.fault("sessions", "malformed", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.MALFORMED_RESPONSE)
    }

    @Test
    fun oversizeResponseIsMalformed() {
        DevServer.fault("sessions", "oversize", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.MALFORMED_RESPONSE)
    }

    @Test
    fun truncatedBodyIsMalformed() {
        DevServer.fault("sessions", "truncated", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.MALFORMED_RESPONSE)
    }

    @Test
    fun invalidUtf8IsMalformed() {
        DevServer.fault("sessions", "invalid_utf8", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.MALFORMED_RESPONSE)
    }

    @Test
    fun proxyHtmlErrorPageIsHttpStatus() {
        // A proxy's 502 page in front of a dead backend: a (transient) HTTP status error.
        DevServer.fault("sessions", "html", "\"count\": 1")
        val r = startApi()
        assertFailed(r, VKErrorKind.HTTP_STATUS)
        assertEquals(502, r.error!!.httpStatus)
    }

    @Test
    fun wrongContentTypeWithAValidBodyIsAccepted() {
        DevServer.fault("sessions", "wrong_content_type", "\"count\": 1")
        val r = startApi()
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
    }

    @Test
    fun slowBodyPastTheRequestTimeoutIsTimeout() {
        session.configure(testConfig(requestTimeout = Duration.ofMillis(600)))
        DevServer.fault("sessions", "slow_body", "\"bytes_per_sec\": 20, \"count\": 1")
        assertFailed(startApi(), VKErrorKind.TIMEOUT)
    }

    @Test
    fun stalledBackendIsTimeout() {
        session.configure(testConfig(requestTimeout = Duration.ofMillis(500)))
        DevServer.fault("sessions", "stall", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.TIMEOUT)
    }

    @Test
    fun tokenUrlFaultsToo() {
        DevServer.fault("token", "status", "\"status\": 403, \"count\": 1")
        val e = runBlocking { runCatching { session.awaitStart(tokenUrl = DevServer.base + "/token/{identity}", identity = "alice") }.exceptionOrNull() }
        assertEquals(VKErrorKind.UNAUTHORIZED, (e as VKException).kind)
        assertEquals(403, e.httpStatus)
        assertEquals(VKSessionState.FAILED, session.state)
    }

    @Test
    fun status503WithRetryAfterThenSuccess() {
        session.configure(testConfig(startAttempts = 4))
        DevServer.fault("sessions", "status", "\"status\": 503, \"retry_after\": 1, \"count\": 1")
        val t0 = System.nanoTime()
        val r = startApi()
        val ms = (System.nanoTime() - t0) / 1_000_000
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals(2, DevServer.count("sessions"))
        assertTrue("Retry-After: 1 honoured (took $ms ms)", ms >= 900)
    }

    @Test
    fun status503ExhaustingAttemptsIsHttpStatus() {
        session.configure(testConfig(startAttempts = 2))
        DevServer.fault("sessions", "status", "\"status\": 503, \"count\": 5")
        val r = startApi()
        assertFailed(r, VKErrorKind.HTTP_STATUS)
        assertEquals(503, r.error!!.httpStatus)
        assertEquals(2, DevServer.count("sessions"))
    }

    @Test
    fun droppedConnectionIsNetwork() {
        DevServer.fault("sessions", "drop", "\"count\": 1")
        assertFailed(startApi(), VKErrorKind.NETWORK)
    }

    @Test
    fun delayPastTheRequestTimeoutIsTimeout() {
        session.configure(testConfig(requestTimeout = Duration.ofMillis(400)))
        DevServer.fault("sessions", "delay", "\"ms\": 3000, \"count\": 1")
        val t0 = System.nanoTime()
        val r = startApi()
        assertFailed(r, VKErrorKind.TIMEOUT)
        assertTrue("gave up at the timeout", (System.nanoTime() - t0) / 1_000_000 < 2500)
    }

    @Test
    fun plainHttpToANonLoopbackHostIsInsecureTransport() {
        session.configure(testConfig(gatewayUrl = "http://videokit.example.com"))
        val r = startApi()
        assertEquals(VKErrorKind.INSECURE_TRANSPORT, r.error?.kind)
        assertNull(r.data)
        // Refused before any session began: nothing to fail, the state is unchanged.
        assertEquals(VKSessionState.IDLE, r.state)
        assertEquals(VKSessionState.IDLE, session.state)
        val e = runBlocking {
            runCatching { session.awaitStart(tokenUrl = "http://backend.example.com/token/{identity}", identity = "alice") }.exceptionOrNull()
        }
        assertEquals(VKErrorKind.INSECURE_TRANSPORT, (e as VKException).kind)
        assertEquals(0, DevServer.count("sessions"))
    }

    @Test
    fun emptyIdentityIsInvalidArgument() {
        val r = startApi(identity = "")
        assertEquals(VKErrorKind.INVALID_ARGUMENT, r.error?.kind)
        assertNull(r.data)
        assertEquals(VKSessionState.IDLE, r.state)
        val e = runBlocking { runCatching { session.awaitStart(tokenUrl = DevServer.base + "/token/{identity}", identity = "") }.exceptionOrNull() }
        assertEquals(VKErrorKind.INVALID_ARGUMENT, (e as VKException).kind)
        assertEquals(0, DevServer.count("sessions") + DevServer.count("token"))
    }

    @Test
    fun errorKindsHaveStableWireNames() {
        assertEquals("http_status", VKErrorKind.HTTP_STATUS.wireName)
        assertEquals("malformed_response", VKErrorKind.MALFORMED_RESPONSE.wireName)
        assertEquals(VKErrorKind.INSECURE_TRANSPORT, VKErrorKind.fromWireName("insecure_transport"))
        assertEquals(14, VKErrorKind.entries.map { it.wireName }.toSet().size)
        assertEquals("refreshing", VKSessionState.REFRESHING.wireName)
    }
}
