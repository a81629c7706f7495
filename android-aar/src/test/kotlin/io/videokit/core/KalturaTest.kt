package io.videokit.core

import java.time.Duration
import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

/**
 * Kaltura sessions (KS) through the appToken flow against the devserver's API v3 subset:
 * request counts of cold start and renewal, every hash type, and every Kaltura error code.
 */
class KalturaTest : SessionTestBase() {

    private val widgetRoute = "kaltura.startWidgetSession"
    private val startRoute = "kaltura.appToken.startSession"

    private fun kaltura(
        appTokenId: String = DevServer.KALTURA_APP_TOKEN_ID,
        appToken: String = DevServer.KALTURA_APP_TOKEN,
        hashType: VKKalturaHashType = VKKalturaHashType.SHA256,
        widgetId: String? = null,
        userId: String? = "k-user",
    ) = VKKalturaConfiguration(
        partnerId = DevServer.KALTURA_PARTNER,
        appTokenId = appTokenId,
        appToken = appToken,
        serviceUrl = DevServer.base,
        hashType = hashType,
        userId = userId,
        widgetId = widgetId,
    )

    private fun start(cfg: VKKalturaConfiguration): Outcome {
        val probe = CompletionProbe()
        session.start(kaltura = cfg, completion = probe)
        return probe.await(30)
    }

    /** The start failed with REJECTED and [code], and no secret is in any of the error's text. */
    private fun assertRejected(r: Outcome, code: String, vararg secrets: String) {
        assertNull("no data on failure", r.data)
        val e = r.error
        assertNotNull("an error", e)
        assertEquals("error: $e", VKErrorKind.REJECTED, e!!.kind)
        assertEquals("error: $e", code, e.code)
        assertEquals(VKSessionState.FAILED, r.state)
        assertEquals(VKSessionState.FAILED, session.state)
        assertEquals(code, session.lastError?.code)
        for (text in listOf(e.detail, e.message ?: "", e.toString(), session.lastError.toString())) {
            for (secret in secrets) assertFalse("secret in \"$text\"", text.contains(secret))
            assertFalse("a KS (v2, \"djJ8...\") in \"$text\"", text.contains("djJ8"))
        }
        // token() reports the same failure.
        val t = runBlocking { runCatching { session.token() }.exceptionOrNull() as VKException }
        assertEquals(code, t.code)
    }

    @Test
    fun coldStartIsTwoRequests() {
        val cfg = kaltura()
        val r = start(cfg)
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals("videokit-callbacks", r.thread)
        val d = r.data!!
        assertEquals(VKSourceKind.KALTURA, d.source)
        assertTrue("a KS v2: ${d.token.take(4)}", d.token.startsWith("djJ8"))
        val info = d.kaltura!!
        assertEquals(DevServer.KALTURA_PARTNER, info.partnerId)
        assertEquals("k-user", info.userId)
        assertEquals(VKKalturaSessionType.USER, info.sessionType)
        assertTrue(info.privileges, info.privileges.contains("apptoken:${DevServer.KALTURA_APP_TOKEN_ID}"))
        assertNull(d.videoSdk)
        // sessionDuration 86400 s on the server clock.
        val left = Duration.between(Instant.now(), d.expiresAt!!)
        assertTrue("expires in ~1 day: $left", left > Duration.ofHours(23) && left <= Duration.ofDays(1).plusMinutes(1))
        assertEquals(1, DevServer.count(widgetRoute))
        assertEquals(1, DevServer.count(startRoute))
        assertEquals(d.token, runBlocking { session.token() })
        assertEquals(d, session.sessionData)
        // No secret in what apps log.
        assertFalse(cfg.toString().contains(cfg.appToken))
        assertTrue(cfg.toString().contains("appToken=***"))
        // Nor in a session configuration's (outside test: `user:password@` in the gateway URL).
        val withSecrets = VKConfiguration(gatewayUrl = "https://app:pa55word@gw.example.com/base?key=s3cret#frag", name = "kaltura")
        assertTrue(withSecrets.toString(), withSecrets.toString().startsWith("VKConfiguration(gatewayUrl=https://***@gw.example.com/base?***, "))
        assertTrue(withSecrets.toString().endsWith(", name=kaltura)"))
        for (secret in listOf("pa55word", "s3cret", "frag")) assertFalse(withSecrets.toString().contains(secret))
        assertEquals("http://127.0.0.1:8080", redactedUrl("http://127.0.0.1:8080"))
        assertEquals("***@h#***", redactedUrl("u:p@h#f"))
        assertFalse(d.toString().contains(d.token))

        // A forced renewal: one request, the widget KS is reused.
        val renewed = runBlocking { session.refresh() }
        assertNotEquals(d.token, renewed.token)
        assertEquals(1, DevServer.count(widgetRoute))
        assertEquals(2, DevServer.count(startRoute))

        // The suspend form: a new start is a cold start again (2 requests).
        val again = runBlocking { session.awaitStart(kaltura = cfg) }
        assertEquals(VKSourceKind.KALTURA, again.source)
        assertEquals(2, DevServer.count(widgetRoute))
        assertEquals(3, DevServer.count(startRoute))
    }

    @Test
    fun renewalBeforeExpiryIsOneRequest() {
        DevServer.kalturaSessionDuration(3) // renewal lead 10% of 3 s: renews at ~2.7 s
        val rec = StateRecorder()
        listen(rec)
        val r = start(kaltura())
        val first = r.data!!
        assertEquals(
            listOf(VKSessionState.STARTING, VKSessionState.ACTIVE, VKSessionState.REFRESHING, VKSessionState.ACTIVE),
            rec.transitions(4, secs = 15),
        )
        assertEquals("no new widget session", 1, DevServer.count(widgetRoute))
        assertEquals("one appToken.startSession per renewal", 2, DevServer.count(startRoute))
        val renewed = session.sessionData!!
        assertNotEquals(first.token, renewed.token)
        assertTrue("the renewed KS expires later", renewed.expiresAt!! > first.expiresAt!!)
        assertEquals(renewed.token, runBlocking { session.token() })
        assertEquals("k-user", renewed.kaltura!!.userId)
        session.stop()
    }

    @Test
    fun everyHashType() = runBlocking {
        for ((id, token, hash) in DevServer.kalturaHashTokens) {
            val d = session.awaitStart(kaltura = kaltura(appTokenId = id, appToken = token, hashType = hash))
            assertEquals(VKSourceKind.KALTURA, d.source)
            assertTrue("$hash: ${d.kaltura}", d.kaltura!!.privileges.contains("apptoken:$id"))
        }
        val n = DevServer.kalturaHashTokens.size
        assertEquals(n, DevServer.count(widgetRoute))
        assertEquals(n, DevServer.count(startRoute))
        // The SDK's default is SHA256 (the server's is SHA1).
        assertEquals(VKKalturaHashType.SHA256, VKKalturaConfiguration(1, "id", "t").hashType)
    }

    @Test
    fun hashTypeNotTheTokensIsInvalidAppTokenHash() {
        val (id, token, _) = DevServer.kalturaHashTokens.first { it.third == VKKalturaHashType.MD5 }
        val r = start(kaltura(appTokenId = id, appToken = token, hashType = VKKalturaHashType.SHA256))
        assertRejected(r, "INVALID_APP_TOKEN_HASH", token)
    }

    @Test
    fun wrongTokenIsInvalidAppTokenHash() {
        val wrong = "0000000000000000deadbeefdeadbeef"
        assertRejected(start(kaltura(appToken = wrong)), "INVALID_APP_TOKEN_HASH", wrong)
        assertEquals("terminal: not retried", 1, DevServer.count(startRoute))
    }

    @Test
    fun unknownAppTokenIdIsAppTokenIdNotFound() {
        assertRejected(start(kaltura(appTokenId = "0_missing")), "APP_TOKEN_ID_NOT_FOUND", DevServer.KALTURA_APP_TOKEN)
        assertEquals(1, DevServer.count(startRoute))
    }

    @Test
    fun disabledAppTokenIsAppTokenNotActive() {
        val r = start(kaltura(appTokenId = DevServer.KALTURA_DISABLED_ID))
        assertRejected(r, "APP_TOKEN_NOT_ACTIVE", DevServer.KALTURA_APP_TOKEN)
    }

    @Test
    fun expiredAppTokenIsAppTokenExpired() {
        val r = start(kaltura(appTokenId = DevServer.KALTURA_EXPIRED_ID, appToken = DevServer.KALTURA_EXPIRED_TOKEN))
        assertRejected(r, "APP_TOKEN_EXPIRED", DevServer.KALTURA_EXPIRED_TOKEN)
    }

    @Test
    fun unknownWidgetIsInvalidWidgetId() {
        assertRejected(start(kaltura(widgetId = "_999")), "INVALID_WIDGET_ID", DevServer.KALTURA_APP_TOKEN)
        assertEquals(1, DevServer.count(widgetRoute))
        assertEquals("stopped at the widget session", 0, DevServer.count(startRoute))
    }

    @Test
    fun missingParameterIsMissingMandatoryParameter() {
        DevServer.faultBody(
            startRoute,
            """{"code": "MISSING_MANDATORY_PARAMETER", "message": "Missing parameter \"tokenHash\"", "objectType": "KalturaAPIException", "args": {"PARAM_NAME": "tokenHash"}}""",
        )
        assertRejected(start(kaltura()), "MISSING_MANDATORY_PARAMETER", DevServer.KALTURA_APP_TOKEN)
        assertEquals(1, DevServer.count(startRoute))
    }

    /** The server's INVALID_KS answer, echoing [ks] as the real server does. */
    private fun invalidKsBody(ks: String) =
        """{"code": "INVALID_KS", "message": "Invalid KS \"$ks\", Error \"-1,INVALID_STR\"", "objectType": "KalturaAPIException", "args": {"KSID": "$ks", "ERR_CODE": "-1", "ERR_DESC": "INVALID_STR"}}"""

    @Test
    fun invalidKsOnceIsRetriedWithAFreshWidgetSession() {
        val ks = DevServer.widgetKs()
        DevServer.reset()
        DevServer.faultBody(startRoute, invalidKsBody(ks), count = 1)
        val r = start(kaltura())
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals("a fresh widget session after INVALID_KS", 2, DevServer.count(widgetRoute))
        assertEquals("appToken.startSession once more", 2, DevServer.count(startRoute))
    }

    @Test
    fun invalidKsTwiceIsRejectedWithoutTheKs() {
        val ks = DevServer.widgetKs()
        DevServer.reset()
        DevServer.faultBody(startRoute, invalidKsBody(ks), count = 2)
        val r = start(kaltura())
        assertRejected(r, "INVALID_KS", ks, DevServer.KALTURA_APP_TOKEN)
        assertEquals("retried once only", 2, DevServer.count(widgetRoute))
        assertEquals(2, DevServer.count(startRoute))
    }

    @Test
    fun invalidConfigurationFailsWithoutARequest() {
        val probe = CompletionProbe()
        session.start(kaltura().copy(serviceUrl = "http://kaltura.example.com"), probe)
        assertEquals(VKErrorKind.INSECURE_TRANSPORT, probe.await().error?.kind)
        val e = runBlocking { runCatching { session.awaitStart(kaltura().copy(serviceUrl = "not a url")) }.exceptionOrNull() }
        assertEquals(VKErrorKind.INVALID_ARGUMENT, (e as VKException).kind)
        assertEquals(0, DevServer.count(widgetRoute) + DevServer.count(startRoute))
    }
}
