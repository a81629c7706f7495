// The platform HTTP client (HttpURLConnection) on its own, against a JDK HttpServer on
// 127.0.0.1 (port 0) that records what arrives: what crosses unchanged, what must not happen
// (following a redirect), the body cap, cancellation and the typed failures. The whole fault
// matrix through the session (ErrorsTest, KalturaTest, VideoSdkTest) runs over this client too.
package io.videokit.core

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import io.videokit.core.ffi.VkHttpException
import io.videokit.core.ffi.VkHttpHeader
import io.videokit.core.ffi.VkHttpRequest
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test

class PlatformHttpClientTest {
    private lateinit var server: HttpServer
    private val hits = ConcurrentHashMap<String, Int>()
    private val seenHeaders = ConcurrentHashMap<String, String>()
    private var seenBody = ByteArray(0)
    private var seenMethod = ""
    private val stallRelease = CountDownLatch(1)
    private val stallEntered = CountDownLatch(1)
    private val stallSawClose = CountDownLatch(1)
    private val client = PlatformHttpClient()

    private val base get() = "http://127.0.0.1:${server.address.port}"

    @Before
    fun up() {
        server = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
        server.executor = Executors.newCachedThreadPool()
        fun route(path: String, handler: (HttpExchange) -> Unit) = server.createContext(path) { ex ->
            hits.merge(path, 1, Int::plus)
            try { handler(ex) } finally { ex.close() }
        }
        route("/echo") { ex ->
            seenMethod = ex.requestMethod
            ex.requestHeaders.forEach { (k, v) -> seenHeaders[k.lowercase()] = v.joinToString(",") }
            seenBody = ex.requestBody.readBytes()
            ex.responseHeaders.add("Retry-After", "7")
            ex.responseHeaders.add("Content-Type", "application/json")
            val body = "{\"error\":\"busy\"}".toByteArray()
            ex.sendResponseHeaders(503, body.size.toLong())
            ex.responseBody.write(body)
        }
        route("/redirect") { ex ->
            ex.responseHeaders.add("Location", "$base/target")
            ex.sendResponseHeaders(302, -1)
        }
        route("/target") { ex -> ex.sendResponseHeaders(200, -1) }
        route("/big-declared") { ex ->
            ex.sendResponseHeaders(200, 5000)
            ex.responseBody.write(ByteArray(5000) { 'x'.code.toByte() })
        }
        route("/big-chunked") { ex ->
            ex.sendResponseHeaders(200, 0) // chunked: no declared length
            repeat(5) { ex.responseBody.write(ByteArray(1000) { 'y'.code.toByte() }) }
        }
        route("/stall") { ex ->
            stallEntered.countDown()
            // Wait for the client to go away: writing to a closed connection fails.
            ex.sendResponseHeaders(200, 0)
            try {
                while (!stallRelease.await(20, TimeUnit.MILLISECONDS)) {
                    ex.responseBody.write(' '.code)
                    ex.responseBody.flush()
                }
            } catch (_: java.io.IOException) {
                stallSawClose.countDown()
            }
        }
        route("/silent") { _ -> stallRelease.await(30, TimeUnit.SECONDS) }
        route("/trickle") { ex ->
            // A short declared body, one byte every 200 ms, until the client goes or the test ends.
            ex.sendResponseHeaders(200, 1000)
            try {
                repeat(1000) {
                    if (stallRelease.await(200, TimeUnit.MILLISECONDS)) return@route
                    ex.responseBody.write('x'.code)
                    ex.responseBody.flush()
                }
            } catch (_: java.io.IOException) {
            }
        }
        route("/one-byte-of-many") { ex ->
            // A declared length (the JDK reads it through a keep-alive stream), one byte of it,
            // then nothing until the test ends: the client stays inside a read of the body.
            ex.sendResponseHeaders(200, 1000)
            ex.responseBody.write('x'.code)
            ex.responseBody.flush()
            stallRelease.await(30, TimeUnit.SECONDS)
        }
        server.start()
    }

    @After
    fun down() {
        stallRelease.countDown()
        server.stop(0)
        (server.executor as java.util.concurrent.ExecutorService).shutdownNow()
    }

    private fun req(path: String, method: String = "GET", body: ByteArray? = null, maxBody: Long = 4096, timeoutMs: Long = 30_000) = VkHttpRequest(
        method = method,
        url = base + path,
        headers = listOf(VkHttpHeader("authorization", "Bearer s3cr3t-token"), VkHttpHeader("user-agent", "videokit-test/1")),
        body = body,
        connectTimeoutMs = 5_000u.toULong(),
        timeoutMs = timeoutMs.toULong(),
        maxBodyBytes = maxBody.toULong(),
    )

    @Test
    fun requestAndResponseCrossUnchanged() = runBlocking {
        val r = client.send(req("/echo", "POST", "{\"identity\":\"alice\"}".toByteArray()))
        assertEquals(503, r.status.toInt())
        assertEquals("POST", seenMethod)
        assertEquals("Bearer s3cr3t-token", seenHeaders["authorization"])
        assertEquals("videokit-test/1", seenHeaders["user-agent"])
        assertEquals("no compression asked for (a gzip body would be unpacked before the cap counts it)", "identity", seenHeaders["accept-encoding"])
        assertArrayEquals("{\"identity\":\"alice\"}".toByteArray(), seenBody)
        assertArrayEquals("{\"error\":\"busy\"}".toByteArray(), r.body)
        assertEquals("7", r.headers.first { it.name == "retry-after" }.value)
        assertTrue("header names are lower-case", r.headers.all { it.name == it.name.lowercase() })
        assertTrue("the Date header comes through (clock skew)", r.headers.any { it.name == "date" })
    }

    @Test
    fun aRedirectIsAnsweredNotFollowed() = runBlocking {
        val r = client.send(req("/redirect"))
        assertEquals(302, r.status.toInt())
        assertNull("the credentials never reached the target", hits["/target"])
    }

    @Test
    fun aDeclaredBodyOverTheCapIsRefused() = runBlocking {
        val e = runCatching { client.send(req("/big-declared", maxBody = 4096)) }.exceptionOrNull()
        assertTrue("$e", e is VkHttpException.BodyTooLarge)
        assertEquals(5000, client.send(req("/big-declared", maxBody = 5000)).body.size)
    }

    @Test
    fun aChunkedBodyOverTheCapIsRefusedWhileReading() = runBlocking {
        val e = runCatching { client.send(req("/big-chunked", maxBody = 4096)) }.exceptionOrNull()
        assertTrue("$e", e is VkHttpException.BodyTooLarge)
    }

    @Test
    fun aRefusedConnectionIsConnect() = runBlocking {
        val port = ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1")).use { it.localPort }
        val e = runCatching { client.send(req("/").copy(url = "http://127.0.0.1:$port/")) }.exceptionOrNull()
        assertTrue("$e", e is VkHttpException.Connect)
        assertFalse("no credential in the text", e.toString().contains("s3cr3t-token"))
    }

    @Test
    fun aSilentServerIsTimeout() = runBlocking {
        val e = runCatching { client.send(req("/silent", timeoutMs = 300)) }.exceptionOrNull()
        assertTrue("$e", e is VkHttpException.Timeout)
    }

    /**
     * From the outside test: Rust cancels a request (its deadline passed, or the session
     * stopped) on the SDK's runtime thread, which every session shares. The JDK's disconnect()
     * waits for a read in progress on the body (it locks the stream), so that thread was held
     * for as long as a slow server kept the read going: other sessions' requests and timers
     * stalled for seconds. cancel() now returns at once; the connection is closed on another thread.
     */
    @Test
    fun cancellingDuringABodyReadReturnsAtOnce() = runBlocking {
        val call = async(Dispatchers.Default) { client.send(req("/one-byte-of-many")) }
        val reading = System.nanoTime()
        // (The name is mangled: the function takes a ULong.)
        while (!Thread.getAllStackTraces().values.any { st -> st.any { it.methodName.startsWith("readCapped") } }) {
            if (System.nanoTime() - reading > 10_000_000_000L) fail("the client never got to reading the body")
            Thread.onSpinWait()
        }
        // The server holds the read for 3 s more at most (then the test would pass late: the
        // assertion below is what tells).
        Thread({ Thread.sleep(3_000); stallRelease.countDown() }, "release-later").apply { isDaemon = true }.start()
        val t0 = System.nanoTime()
        call.cancel()
        val ms = (System.nanoTime() - t0) / 1_000_000
        assertTrue("cancel() held the cancelling thread for $ms ms", ms < 500)
        withTimeout(10_000) { runCatching { call.await() } }
        if (!call.isCancelled) fail("the call was not cancelled")
    }

    /** The thread reading a body, if one is. (The name is mangled: the function takes a ULong.) */
    private fun bodyReader(): Thread? =
        Thread.getAllStackTraces().entries.firstOrNull { (_, st) -> st.any { it.methodName.startsWith("readCapped") } }?.key

    /**
     * From the outside re-test: after a cancel, the JDK's disconnect() left a body that was
     * still trickling in to be read to its end, a pool thread per cancelled request: 40
     * sessions on a slow backend grew the pool to its cap and a healthy session's refresh was
     * refused. The reader stops at its next read.
     */
    @Test
    fun aCancelledCallStopsReadingTheBody() = runBlocking {
        // The JDK's disconnect() ends the read only if it wins the stream's lock between two
        // bytes (after 13-18 s at a byte a second in the outside test): it is left out here.
        val client = PlatformHttpClient(closer = { })
        val call = async(Dispatchers.Default) { client.send(req("/trickle")) }
        val waiting = System.nanoTime()
        var reader = bodyReader()
        while (reader == null) {
            if (System.nanoTime() - waiting > 10_000_000_000L) fail("the client never got to reading the body")
            Thread.onSpinWait()
            reader = bodyReader()
        }
        call.cancel()
        // The body has minutes to go; the reader stops at its next byte (200 ms).
        val cancelled = System.nanoTime()
        while (reader.stackTrace.any { it.methodName.startsWith("readCapped") }) {
            val ms = (System.nanoTime() - cancelled) / 1_000_000
            if (ms > 2_000) fail("the cancelled call's body was still being read $ms ms after the cancel")
            Thread.sleep(10)
        }
        withTimeout(10_000) { runCatching { call.await() } }
        if (!call.isCancelled) fail("the call was not cancelled")
    }

    @Test
    fun cancellingTheCallClosesTheConnection() = runBlocking {
        val call = async(Dispatchers.Default) { client.send(req("/stall")) }
        assertTrue("the request arrived", stallEntered.await(10, TimeUnit.SECONDS))
        call.cancel()
        withTimeout(10_000) { runCatching { call.await() } }
        assertTrue("the server saw the connection close", stallSawClose.await(10, TimeUnit.SECONDS))
        if (!call.isCancelled) fail("the call was not cancelled")
    }
}
