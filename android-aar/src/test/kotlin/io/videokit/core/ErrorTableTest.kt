package io.videokit.core

import java.io.File
import java.time.Duration
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Test
import org.junit.runner.RunWith
import org.junit.runners.Parameterized

/**
 * The shared error table (testdata/error-kinds.json), also read by the Swift suite
 * (ErrorTableTests): one fault, one error kind, on every platform.
 */
@RunWith(Parameterized::class)
class ErrorTableTest(private val case: Case) : SessionTestBase() {

    class Case(val name: String, val fields: Map<String, Any?>) {
        override fun toString() = name
    }

    /** @suppress */
    companion object {
        @JvmStatic
        @Parameterized.Parameters(name = "{0}")
        fun cases(): List<Case> {
            val root = System.getProperty("videokit.repo") ?: "."
            @Suppress("UNCHECKED_CAST")
            val json = TestJson.parse(File(root, "testdata/error-kinds.json").readText()) as Map<String, Any?>
            @Suppress("UNCHECKED_CAST")
            return (json["cases"] as List<Map<String, Any?>>).map { Case(it["name"] as String, it) }
        }

        /** [v] as JSON (the fault objects hold strings, numbers and booleans). */
        fun toJson(v: Any?): String = when (v) {
            null -> "null"
            is String -> jsonString(v)
            is Number, is Boolean -> v.toString()
            is Map<*, *> -> v.entries.joinToString(", ", "{", "}") { (k, x) -> jsonString(k as String) + ": " + toJson(x) }
            is List<*> -> v.joinToString(", ", "[", "]") { toJson(it) }
            else -> error("not JSON: $v")
        }
    }

    @Test
    fun sameFaultSameKind() {
        val f = case.fields
        val timeout = (f["request_timeout_s"] as Number?)?.let { Duration.ofMillis((it.toDouble() * 1000).toLong()) } ?: Duration.ofSeconds(5)
        session.configure(testConfig(requestTimeout = timeout, startAttempts = 1))
        f["fault"]?.let { fault ->
            val r = DevServer.request("POST", "/_control/faults", toJson(fault))
            assertEquals("inject ${toJson(fault)}: ${r.body()}", 200, r.statusCode() / 100 * 100)
        }
        val probe = CompletionProbe()
        session.start(apiToken = (f["app_token"] as String?) ?: DevServer.appToken, identity = "alice", completion = probe)
        val r = probe.await(30)
        val kind = f["kind"] as String?
        if (kind == null) {
            assertNull("${case.name}: ${r.error}", r.error)
            assertEquals(VKSessionState.ACTIVE, r.state)
            assertNotNull(r.data)
            return
        }
        assertEquals(case.name, kind, r.error?.kind?.wireName)
        (f["http_status"] as Number?)?.let { assertEquals(case.name, it.toInt(), r.error!!.httpStatus) }
        assertEquals(case.name, VKSessionState.FAILED, r.state)
        assertEquals(case.name, VKSessionState.FAILED, session.state)
        assertEquals(case.name, kind, session.lastError?.kind?.wireName)
    }
}
