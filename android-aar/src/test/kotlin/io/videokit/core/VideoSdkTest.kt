package io.videokit.core

import java.io.File
import java.time.Duration
import java.time.Instant
import kotlinx.coroutines.runBlocking
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.junit.runners.Parameterized

/** The conformance vectors (core/tests/data/jwt/videosdk-tokens.json), read at test time. */
object VideoSdkVectors {
    /** Judged at this instant with zero leeway, as the file says. */
    val AT: Instant = Instant.parse("2026-11-22T00:00:00Z")

    class Case(val name: String, val token: String, val expect: Map<String, Any?>) {
        override fun toString() = name
    }

    val cases: List<Case> by lazy {
        val root = System.getProperty("videokit.repo") ?: "."
        val file = File(root, "core/tests/data/jwt/videosdk-tokens.json")
        @Suppress("UNCHECKED_CAST")
        val json = TestJson.parse(file.readText()) as Map<String, Any?>
        @Suppress("UNCHECKED_CAST")
        (json["cases"] as List<Map<String, Any?>>).map { c ->
            @Suppress("UNCHECKED_CAST")
            Case(c["name"] as String, c["token"] as String, c["expect"] as Map<String, Any?>)
        }
    }

    fun case(name: String): Case = cases.first { it.name == name }
}

/** Every vector of the file through `VKVideoSdk.checkAt`, one test each. */
@RunWith(Parameterized::class)
class VideoSdkVectorsTest(private val case: VideoSdkVectors.Case) {
    /** @suppress */
    companion object {
        @JvmStatic
        @Parameterized.Parameters(name = "{0}")
        fun cases(): List<Array<Any>> {
            val cases = VideoSdkVectors.cases
            require(cases.size == 24) { "expected the 24 vectors of videosdk-tokens.json, found ${cases.size}" }
            return cases.map { arrayOf<Any>(it) }
        }
    }

    private fun instant(v: Any?): Instant? = (v as Number?)?.let { Instant.ofEpochSecond(it.toLong()) }

    @Test
    fun vector() {
        val expect = case.expect
        if (expect["valid"] == true) {
            val c = try {
                VKVideoSdk.checkAt(case.token, VideoSdkVectors.AT, Duration.ZERO)
            } catch (e: VKException) {
                fail("${case.name}: valid, but $e"); return
            }
            @Suppress("UNCHECKED_CAST")
            val claims = expect["claims"] as Map<String, Any?>
            val perms = (claims["permissions"] as List<*>).map { it as String }
            val roles = (claims["roles"] as List<*>?)?.map { it as String } ?: emptyList()
            val expected = VKVideoSdkClaims(
                apiKey = claims["apikey"] as String,
                permissions = perms.map { VKVideoSdkPermission.fromWireName(it)!! }.toSet(),
                version = (claims["version"] as Number?)?.toInt(),
                roomId = claims["roomId"] as String?,
                participantId = claims["participantId"] as String?,
                roles = roles.map { VKVideoSdkRole.fromWireName(it)!! }.toSet(),
                issuedAt = instant(claims["iat"]),
                expiresAt = instant(claims["exp"]),
                notBefore = instant(claims["nbf"]),
                // A crawler-only token is for server-side API calls: it cannot join.
                canJoin = "allow_join" in perms && (roles.isEmpty() || "rtc" in roles),
                mustAskToJoin = "ask_join" in perms && "allow_join" !in perms && (roles.isEmpty() || "rtc" in roles),
                canModerate = "allow_mod" in perms,
            )
            assertEquals(case.name, expected, c)
            assertEquals("${case.name}: no duplicate permissions in the vector", perms.size, c.permissions.size)
            assertEquals(perms.toSet(), c.permissions.map { it.wireName }.toSet())
        } else {
            val code = expect["error"] as String
            try {
                val c = VKVideoSdk.checkAt(case.token, VideoSdkVectors.AT, Duration.ZERO)
                fail("${case.name}: must fail with $code, got $c")
            } catch (e: VKException) {
                assertEquals("${case.name}: $e", code, e.code)
                val kind = if (code == "expired") VKErrorKind.EXPIRED else VKErrorKind.INVALID_TOKEN
                assertEquals("${case.name}: $e", kind, e.kind)
                if (case.token.length > 20) assertFalse("the token is not in the error", e.toString().contains(case.token))
            }
        }
    }
}

/** VideoSDK sessions from the devserver's token server (`GET /get-token`), and the decoder's API. */
class VideoSdkTest : SessionTestBase() {

    private val route = "videosdk.getToken"
    private val url: String get() = DevServer.base + "/get-token"

    @Test
    fun startWithTheTokenUrl() {
        val probe = CompletionProbe()
        session.start(videoSdkTokenUrl = url, roomId = "r-1", participantId = "p-1", completion = probe)
        val r = probe.await()
        assertNull("error: ${r.error}", r.error)
        assertEquals(VKSessionState.ACTIVE, r.state)
        assertEquals("videokit-callbacks", r.thread)
        val d = r.data!!
        assertEquals(VKSourceKind.VIDEO_SDK, d.source)
        assertNull(d.kaltura)
        val c = d.videoSdk!!
        assertEquals("devserver-videosdk-apikey", c.apiKey)
        assertEquals(setOf(VKVideoSdkPermission.ALLOW_JOIN, VKVideoSdkPermission.ALLOW_MOD), c.permissions)
        assertEquals(2, c.version)
        assertEquals("r-1", c.roomId)
        assertEquals("p-1", c.participantId)
        assertEquals(setOf(VKVideoSdkRole.RTC), c.roles)
        assertTrue(c.canJoin)
        assertTrue(c.canModerate)
        assertFalse(c.mustAskToJoin)
        assertNull(c.notBefore)
        assertEquals("600 s after iat", Duration.ofSeconds(600), Duration.between(c.issuedAt!!, c.expiresAt!!))
        assertEquals(c.expiresAt, d.expiresAt)
        assertEquals(d.token, runBlocking { session.token() })
        assertFalse(d.toString().contains(d.token))
        // The same claims, decoded on the device without the secret.
        assertEquals(c, VKVideoSdk.decode(d.token))
        assertEquals(1, DevServer.count(route))

        // The suspend form, no room: a version-1 token.
        val v1 = runBlocking { session.awaitStart(videoSdkTokenUrl = url) }.videoSdk!!
        assertNull(v1.version)
        assertNull(v1.roomId)
        assertNull(v1.participantId)
        assertEquals(emptySet<VKVideoSdkRole>(), v1.roles)
        assertTrue(v1.canModerate)
        assertEquals(2, DevServer.count(route))
    }

    @Test
    fun renewalBeforeExp() {
        DevServer.config("\"videosdk_lifetime_secs\": 3")
        val rec = StateRecorder()
        listen(rec)
        val first = runBlocking { session.awaitStart(videoSdkTokenUrl = url, roomId = "r-2") }
        assertEquals(
            listOf(VKSessionState.STARTING, VKSessionState.ACTIVE, VKSessionState.REFRESHING, VKSessionState.ACTIVE),
            rec.transitions(4, secs = 15),
        )
        assertEquals(2, DevServer.count(route))
        val renewed = session.sessionData!!
        assertNotEquals(first.token, renewed.token)
        assertTrue(renewed.expiresAt!! > first.expiresAt!!)
        assertEquals("r-2", renewed.videoSdk!!.roomId)
        assertEquals(renewed.token, runBlocking { session.token() })
        session.stop()
    }

    /** The token server hands out [vector]; the start fails with INVALID_TOKEN and [code]. */
    private fun assertServedTokenRefused(vector: String, code: String) {
        val token = VideoSdkVectors.case(vector).token
        DevServer.faultBody(route, "{\"token\": ${jsonString(token)}}")
        val probe = CompletionProbe()
        session.start(videoSdkTokenUrl = url, completion = probe)
        val r = probe.await()
        assertNull(r.data)
        assertEquals("error: ${r.error}", VKErrorKind.INVALID_TOKEN, r.error?.kind)
        assertEquals(code, r.error!!.code)
        assertEquals(VKSessionState.FAILED, r.state)
        assertEquals(VKSessionState.FAILED, session.state)
        assertFalse("the token is not in the error", r.error.toString().contains(token))
        assertEquals("refused, not retried", 1, DevServer.count(route))
    }

    @Test
    fun anExpiredServedTokenIsInvalidToken() = assertServedTokenRefused("expired", "expired")

    @Test
    fun anAlgNoneServedTokenIsInvalidToken() = assertServedTokenRefused("alg_none", "unsupported_algorithm")

    @Test
    fun positionalSingleStringStartIsStillASessionToken() {
        // start(videoSdkTokenUrl, roomId = null, ...) must not capture start(sessionToken):
        // Kotlin prefers the candidate with fewer defaulted parameters.
        val token = DevServer.backendToken("zoe")
        val probe = CompletionProbe()
        session.start(token, probe)
        assertEquals(VKSourceKind.SESSION_TOKEN, probe.await().data!!.source)
        session.start(token)
        assertEquals(VKSourceKind.SESSION_TOKEN, runBlocking { session.awaitStart(token) }.source)
        assertEquals(0, DevServer.count(route))
    }

    @Test
    fun decodeAgainstTheDeviceClockAndLeeway() {
        val ok = VideoSdkVectors.case("v2_room_participant_rtc").token
        assertEquals("2kyv-gzay-64pg", VKVideoSdk.decode(ok).roomId)
        val expired = VideoSdkVectors.case("expired").token // exp 1600000000
        val e = try {
            VKVideoSdk.decode(expired); null
        } catch (e: VKException) {
            e
        }
        assertEquals(VKErrorKind.EXPIRED, e?.kind)
        assertEquals("expired", e!!.code)
        val exp = Instant.ofEpochSecond(1_600_000_000)
        assertEquals(exp, VKVideoSdk.checkAt(expired, exp.plusSeconds(5), Duration.ofSeconds(10)).expiresAt)
        val late = runCatching { VKVideoSdk.checkAt(expired, exp.plusSeconds(11), Duration.ofSeconds(10)) }.exceptionOrNull()
        assertEquals("expired", (late as VKException).code)
        // nbf 4102444790: not yet valid, unless the leeway covers it.
        val nyv = VideoSdkVectors.case("not_yet_valid").token
        val at = Instant.ofEpochSecond(4_102_444_780)
        assertEquals("not_yet_valid", (runCatching { VKVideoSdk.checkAt(nyv, at) }.exceptionOrNull() as VKException).code)
        assertEquals(Instant.ofEpochSecond(4_102_444_790), VKVideoSdk.checkAt(nyv, at, Duration.ofSeconds(10)).notBefore)
        // Garbage never crashes.
        for (junk in listOf("", ".", "..", "a.b.c", "\u0000", "x".repeat(100_000))) {
            val k = (runCatching { VKVideoSdk.decode(junk) }.exceptionOrNull() as VKException).kind
            assertEquals(junk.take(8), VKErrorKind.INVALID_TOKEN, k)
        }
        assertEquals(VKVideoSdkPermission.ASK_JOIN, VKVideoSdkPermission.fromWireName("ask_join"))
        assertEquals("allow_mod", VKVideoSdkPermission.ALLOW_MOD.wireName)
        assertEquals(VKVideoSdkRole.CRAWLER, VKVideoSdkRole.fromWireName("crawler"))
    }
}
