// The SDK's HTTP requests go through the platform's own stack: java.net.HttpURLConnection
// (on Android backed by the system's OkHttp, with the system trust store, user/MDM-installed
// CAs per the app's network security config, and the system proxy). The Rust core keeps
// every policy (https only, the overall deadline, the body cap, status classification,
// retries); this class only moves bytes. It mirrors the Swift URLSessionHTTPClient.
package io.videokit.core

import io.videokit.core.ffi.VkHttpClient
import io.videokit.core.ffi.VkHttpException
import io.videokit.core.ffi.VkHttpHeader
import io.videokit.core.ffi.VkHttpRequest
import io.videokit.core.ffi.VkHttpResponse
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.ConnectException
import java.net.HttpURLConnection
import java.net.NoRouteToHostException
import java.net.SocketTimeoutException
import java.net.URL
import java.net.UnknownHostException
import java.util.concurrent.Executor
import java.util.concurrent.SynchronousQueue
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.CancellableContinuation
import kotlinx.coroutines.suspendCancellableCoroutine

/**
 * [VkHttpClient] over [HttpURLConnection]. The blocking exchange runs on a small SDK-owned
 * pool ("videokit-http", threads exit after 10 s idle); a cancelled call (the core's
 * deadline passed, or the session stopped) returns at once: the connection is disconnected
 * on a pool thread (the JDK's disconnect waits for a read in progress; the cancelling thread
 * never does), and the reader stops at its next read.
 */
internal class PlatformHttpClient(
    private val executor: Executor = defaultExecutor,
    /** Where a cancelled call's connection is disconnected (tests: nowhere, to see the reader stop on its own). */
    private val closer: Executor = executor,
) : VkHttpClient {

    override suspend fun send(request: VkHttpRequest): VkHttpResponse = suspendCancellableCoroutine { cont ->
        val conn = try {
            connect(request)
        } catch (e: Throwable) {
            cont.resumeWithException(classify(e))
            return@suspendCancellableCoroutine
        }
        cont.invokeOnCancellation { closeElsewhere(conn) }
        try {
            executor.execute(task(conn, request, cont))
        } catch (e: java.util.concurrent.RejectedExecutionException) {
            conn.disconnect()
            cont.resumeWithException(VkHttpException.Network("too many requests in flight"))
        }
    }

    /**
     * Closes [conn] on another thread. A cancellation runs on the thread that cancels: Rust's
     * runtime thread, which every session shares. The JDK's disconnect() waits for a read in
     * progress on the body (it locks the stream), so a slow server would hold that thread, and
     * with it every session's requests and timers, for as long as it kept the read going.
     */
    private fun closeElsewhere(conn: HttpURLConnection) {
        try {
            closer.execute { conn.disconnect() }
        } catch (_: java.util.concurrent.RejectedExecutionException) {
            Thread({ conn.disconnect() }, "videokit-http").apply { isDaemon = true }.start()
        }
    }

    private fun task(conn: HttpURLConnection, request: VkHttpRequest, cont: CancellableContinuation<VkHttpResponse>) = Runnable {
        val result = try {
            Result.success(exchange(conn, request, cont))
        } catch (e: Throwable) {
            conn.disconnect()
            Result.failure(classify(e))
        }
        // resume is ignored when the call was cancelled meanwhile.
        result.fold({ cont.resume(it) }, { cont.resumeWithException(it) })
    }

    private fun connect(request: VkHttpRequest): HttpURLConnection {
        val conn = URL(request.url).openConnection() as? HttpURLConnection
            ?: throw VkHttpException.Connect("not an HTTP URL")
        conn.instanceFollowRedirects = false // a 3xx is an answer: credentials never follow a redirect
        conn.useCaches = false
        conn.connectTimeout = request.connectTimeoutMs.toIntMillis()
        conn.readTimeout = request.timeoutMs.toIntMillis()
        conn.requestMethod = request.method
        for (h in request.headers) conn.setRequestProperty(h.name, h.value)
        // No compression: Android's HttpURLConnection asks for gzip and unpacks it by itself,
        // before the body cap counts the bytes (a small gzip bomb would unpack in memory).
        conn.setRequestProperty("Accept-Encoding", "identity")
        return conn
    }

    private fun exchange(conn: HttpURLConnection, request: VkHttpRequest, cont: CancellableContinuation<VkHttpResponse>): VkHttpResponse {
        val body = request.body
        if (body != null) {
            conn.doOutput = true
            conn.setFixedLengthStreamingMode(body.size)
            conn.outputStream.use { it.write(body) }
        }
        val status = conn.responseCode
        if (status !in 0..999) throw IOException("not a valid HTTP response (status $status)")
        val headers = ArrayList<VkHttpHeader>()
        for ((name, values) in conn.headerFields) {
            if (name == null) continue // the status line
            for (v in values) headers.add(VkHttpHeader(name.lowercase(), v))
        }
        val limit = request.maxBodyBytes
        val declared = conn.contentLengthLong
        if (declared > 0 && declared.toULong() > limit) {
            conn.disconnect()
            throw VkHttpException.BodyTooLarge("$declared bytes")
        }
        val stream: InputStream? = if (status >= 400) conn.errorStream else conn.inputStream
        val bytes = stream?.use { readCapped(it, limit, cont) } ?: ByteArray(0)
        return VkHttpResponse(status.toUShort(), headers, bytes)
    }

    /**
     * The body, at most [limit] bytes. Stops at the first read after the call is cancelled: the
     * JDK's disconnect() does not end a read in progress (for a short body it hands the stream
     * to its keep-alive cleaner), so a server trickling the body kept this thread reading, one
     * per cancelled request, until the pool ran out and every session's requests were refused.
     */
    private fun readCapped(input: InputStream, limit: ULong, cont: CancellableContinuation<*>): ByteArray {
        val out = ByteArrayOutputStream()
        val buf = ByteArray(8192)
        while (true) {
            if (cont.isCancelled) throw IOException("cancelled")
            val n = input.read(buf)
            if (n < 0) break
            if (out.size().toULong() + n.toULong() > limit) throw VkHttpException.BodyTooLarge("over $limit bytes")
            out.write(buf, 0, n)
        }
        return out.toByteArray()
    }

    private companion object {
        /**
         * Threads made on demand, gone after 10 s idle: each session has at most one request in
         * flight, so this holds one per session that is fetching. Not 4 for the process: four
         * sessions stalled on a slow backend used to refuse every other session's request.
         */
        val defaultExecutor: Executor = ThreadPoolExecutor(0, 256, 10, TimeUnit.SECONDS, SynchronousQueue()) { r ->
            Thread(r, "videokit-http").apply { isDaemon = true }
        }

        fun ULong.toIntMillis(): Int = if (this > Int.MAX_VALUE.toULong()) Int.MAX_VALUE else this.toInt()

        /** The typed error for a failure of the platform stack. Messages name the cause, never a header or body. */
        fun classify(e: Throwable): VkHttpException = when (e) {
            is VkHttpException -> e
            is SocketTimeoutException -> VkHttpException.Timeout(e.javaClass.simpleName + (e.message?.let { ": $it" } ?: ""))
            is UnknownHostException -> VkHttpException.Connect("unknown host")
            is ConnectException, is NoRouteToHostException -> VkHttpException.Connect(e.message ?: e.javaClass.simpleName)
            is SSLException -> VkHttpException.Connect("TLS: " + (e.message ?: e.javaClass.simpleName))
            is IOException -> VkHttpException.Network(e.message ?: e.javaClass.simpleName)
            else -> VkHttpException.Network(e.javaClass.name)
        }
    }
}
