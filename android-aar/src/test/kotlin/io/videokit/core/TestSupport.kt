// Test fixtures: the devserver subprocess (`videokit serve --port 0 --json`), its control
// API, and helpers to wait for completions and state changes without sleep-and-hope.
package io.videokit.core

import java.io.BufferedReader
import java.io.InputStreamReader
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.time.Instant
import java.util.Base64
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.junit.Assert.assertEquals
import org.junit.Assert.fail

/** The local backend, one process for the whole test run; tests reset it between them. */
object DevServer {
    private var process: Process? = null
    private var baseUrl: String? = null
    private var token: String? = null

    // HTTP/1.1 only: no h2c upgrade attempts on the control connection.
    private val http: HttpClient = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build()

    /** The Kaltura partner and app token every devserver has. */
    const val KALTURA_PARTNER: Long = 1851571
    const val KALTURA_APP_TOKEN_ID: String = "0_xeu31jy5"
    const val KALTURA_APP_TOKEN: String = "c9883312395bf5ed4fd5c9a5d86c985c"

    /** App tokens added with `--config` (id, token, hash type): one per hash type, ... */
    val kalturaHashTokens: List<Triple<String, String, VKKalturaHashType>> = listOf(
        Triple("0_md5", "3d53d53d53d53d53d53d53d53d53d5c0", VKKalturaHashType.MD5),
        Triple("0_sha1", "5a15a15a15a15a15a15a15a15a15a1d0", VKKalturaHashType.SHA1),
        Triple(KALTURA_APP_TOKEN_ID, KALTURA_APP_TOKEN, VKKalturaHashType.SHA256),
        Triple("0_sha512", "51251251251251251251251251251250", VKKalturaHashType.SHA512),
    )

    /** ... a disabled one (status 1), and one that expired in 1970 (right token: the hash check comes first). */
    const val KALTURA_DISABLED_ID: String = "0_off"
    const val KALTURA_EXPIRED_ID: String = "0_old"
    const val KALTURA_EXPIRED_TOKEN: String = "01d01d01d01d01d01d01d01d01d01d0b"

    private fun configFile(): java.io.File {
        val tokens = kalturaHashTokens.filter { it.first != KALTURA_APP_TOKEN_ID }.map { (id, token, hash) ->
            "{\"id\": \"$id\", \"token\": \"$token\", \"partnerId\": $KALTURA_PARTNER, \"hashType\": \"${hash.name}\"}"
        } + listOf(
            "{\"id\": \"$KALTURA_DISABLED_ID\", \"token\": \"0ff0ff0ff0ff0ff0ff0ff0ff0ff0ff0a\", \"partnerId\": $KALTURA_PARTNER, \"hashType\": \"SHA256\", \"status\": 1}",
            "{\"id\": \"$KALTURA_EXPIRED_ID\", \"token\": \"$KALTURA_EXPIRED_TOKEN\", \"partnerId\": $KALTURA_PARTNER, \"hashType\": \"SHA256\", \"expiry\": 1000}",
        )
        val f = java.io.File.createTempFile("videokit-devserver-", ".json")
        f.deleteOnExit()
        f.writeText("{\"kaltura\": {\"appTokens\": [\n  " + tokens.joinToString(",\n  ") + "\n]}}\n")
        return f
    }

    /** `http://127.0.0.1:PORT`. */
    val base: String get() = ensureStarted().let { baseUrl!! }

    /** The app token the devserver accepts. */
    val appToken: String get() = ensureStarted().let { token!! }

    @Synchronized
    private fun ensureStarted() {
        if (process != null) return
        val bin = System.getProperty("videokit.cli") ?: System.getenv("VIDEOKIT_CLI") ?: "target/debug/videokit"
        val p = ProcessBuilder(bin, "serve", "--port", "0", "--json", "--config", configFile().path)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        process = p
        Runtime.getRuntime().addShutdownHook(Thread { p.destroyForcibly() })
        val reader = BufferedReader(InputStreamReader(p.inputStream))
        val first = CompletableFuture.supplyAsync { reader.readLine() }
        val line = try {
            first.get(60, TimeUnit.SECONDS)
        } catch (e: Exception) {
            p.destroyForcibly()
            error("`$bin serve --port 0 --json` printed nothing within 60 s: $e")
        } ?: run {
            error("`$bin serve --port 0 --json` exited (${p.waitFor()}) before printing its address")
        }
        baseUrl = Regex("\"base_url\"\\s*:\\s*\"([^\"]+)\"").find(line)?.groupValues?.get(1)
            ?: error("no base_url in the devserver's first line: $line")
        token = Regex("\"app_tokens\"\\s*:\\s*\\[\\s*\"([^\"]+)\"").find(line)?.groupValues?.get(1) ?: "vk_dev_app_token"
        // Keep draining stdout so the server never blocks on a full pipe.
        Thread({ try { while (true) { reader.readLine() ?: break } } catch (_: Exception) {} }, "devserver-stdout").apply { isDaemon = true }.start()
    }

    /** Kill the subprocess. */
    @Synchronized
    fun shutdown() {
        process?.let {
            it.destroy()
            if (!it.waitFor(5, TimeUnit.SECONDS)) it.destroyForcibly()
        }
        process = null
    }

    fun request(method: String, path: String, body: String? = null): HttpResponse<String> {
        val b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
        if (body != null) b.header("Content-Type", "application/json")
        b.method(method, if (body != null) HttpRequest.BodyPublishers.ofString(body) else HttpRequest.BodyPublishers.noBody())
        val req = b.build()
        return try {
            http.send(req, HttpResponse.BodyHandlers.ofString())
        } catch (e: java.io.IOException) {
            // A kept-alive connection closed under the request ("received no bytes"): nothing
            // reached the server, so one retry on a fresh connection is safe.
            if (e.message?.contains("no bytes") != true && e !is java.net.ConnectException) throw e
            http.send(req, HttpResponse.BodyHandlers.ofString())
        }
    }

    private fun control(path: String, body: String) {
        val r = request("POST", path, body)
        if (r.statusCode() !in 200..299) error("POST $path -> ${r.statusCode()}: ${r.body()}")
    }

    /** Clear faults and counts; back to the default lifetimes (session tokens, KS, VideoSDK) and no clock offset. */
    fun reset() {
        control("/_control/reset", "{}")
        control(
            "/_control/config",
            "{\"token_lifetime_secs\": 3600, \"clock_offset_secs\": 0, \"videosdk_lifetime_secs\": 600, " +
                "\"kaltura_app_token_id\": \"$KALTURA_APP_TOKEN_ID\", \"kaltura_session_duration_secs\": 86400}",
        )
    }

    /** Change settings, e.g. `config("\"videosdk_lifetime_secs\": 3")`. */
    fun config(fields: String) = control("/_control/config", "{$fields}")

    /** Lifetime of the KS issued for the default Kaltura app token from now on. */
    fun kalturaSessionDuration(secs: Int) =
        config("\"kaltura_app_token_id\": \"$KALTURA_APP_TOKEN_ID\", \"kaltura_session_duration_secs\": $secs")

    /** The next [count] requests to [route] answer HTTP 200 with [body]. */
    fun faultBody(route: String, body: String, count: Int = 1) =
        fault(route, "status", "\"status\": 200, \"body\": ${jsonString(body)}, \"count\": $count")

    /** A widget KS straight from the server (counted; call [reset] after it when counts matter). */
    fun widgetKs(): String {
        val r = request("GET", "/api_v3/service/session/action/startWidgetSession?format=1&widgetId=_$KALTURA_PARTNER")
        return Regex("\"ks\"\\s*:\\s*\"([^\"]+)\"").find(r.body())?.groupValues?.get(1) ?: error("no ks in ${r.body()}")
    }

    /** Inject a fault, e.g. `fault("sessions", "status", "\"status\": 503, \"count\": 1")`. */
    fun fault(route: String, kind: String, extra: String = "") =
        control("/_control/faults", "{\"route\": \"$route\", \"kind\": \"$kind\"" + (if (extra.isNotEmpty()) ", $extra" else "") + "}")

    /** Token lifetime of tokens issued from now on. */
    fun tokenLifetime(secs: Int) = control("/_control/config", "{\"token_lifetime_secs\": $secs}")

    /** Requests per route so far. */
    fun counts(): Map<String, Int> {
        val body = request("GET", "/_control/counts").body()
        return Regex("\"([a-zA-Z_.]+)\"\\s*:\\s*(\\d+)").findAll(body).associate { it.groupValues[1] to it.groupValues[2].toInt() }
    }

    fun count(route: String): Int = counts()[route] ?: 0

    /** A session token from the backend route (`GET /token/{identity}`), as an app backend gives it. */
    fun backendToken(identity: String): String {
        val r = request("GET", "/token/$identity")
        assertEquals("GET /token/$identity", 200, r.statusCode())
        return Regex("\"sessionToken\"\\s*:\\s*\"([^\"]+)\"").find(r.body())?.groupValues?.get(1)
            ?: error("no sessionToken in ${r.body()}")
    }
}

/** [s] as a JSON string literal. */
fun jsonString(s: String): String = buildString {
    append('"')
    for (c in s) when {
        c == '"' -> append("\\\"")
        c == '\\' -> append("\\\\")
        c < ' ' -> append("\\u%04x".format(c.code))
        else -> append(c)
    }
    append('"')
}

/** The outcome of one `start`, captured from its completion. */
class Outcome(val state: VKSessionState, val data: VKSessionData?, val error: VKException?, val thread: String, val at: Long)

/** A completion that can be awaited. */
class CompletionProbe : VKCompletion {
    val future = CompletableFuture<Outcome>()
    val calls = java.util.concurrent.atomic.AtomicInteger()

    override fun onResult(state: VKSessionState, data: VKSessionData?, error: VKException?) {
        calls.incrementAndGet()
        future.complete(Outcome(state, data, error, Thread.currentThread().name, System.nanoTime()))
    }

    fun await(secs: Long = 20): Outcome = try {
        future.get(secs, TimeUnit.SECONDS)
    } catch (e: java.util.concurrent.TimeoutException) {
        fail("no completion within $secs s"); throw e
    }

    val done: Boolean get() = future.isDone
}

/** Records state changes from a listener. */
class StateRecorder : VKStateListener {
    val changes = LinkedBlockingQueue<VKStateChange>()
    val all: MutableList<VKStateChange> = java.util.Collections.synchronizedList(mutableListOf())
    val threads: MutableSet<String> = ConcurrentHashMap.newKeySet()

    override fun onStateChange(change: VKStateChange) {
        threads.add(Thread.currentThread().name)
        all.add(change)
        changes.add(change)
    }

    /** The next [n] transitions (initial events skipped), within [secs]. */
    fun transitions(n: Int, secs: Long = 15): List<VKSessionState> {
        val out = mutableListOf<VKSessionState>()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs)
        while (out.size < n) {
            val left = deadline - System.nanoTime()
            if (left <= 0) break
            val c = changes.poll(left, TimeUnit.NANOSECONDS) ?: break
            if (!c.isInitial) out.add(c.to)
        }
        return out
    }

    /** Waits until a change to [state] arrives. */
    fun awaitState(state: VKSessionState, secs: Long = 15): VKStateChange {
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs)
        while (true) {
            val left = deadline - System.nanoTime()
            if (left <= 0) fail("no change to $state within $secs s (seen: ${all.map { it.to }})")
            val c = changes.poll(left, TimeUnit.NANOSECONDS) ?: continue
            if (c.to == state) return c
        }
    }
}

/** An in-memory VKSessionStore written in Kotlin, as an app would. */
class MapStore(initial: Map<String, ByteArray> = emptyMap()) : VKSessionStore {
    val records = ConcurrentHashMap<String, ByteArray>(initial)
    val loads = java.util.concurrent.atomic.AtomicInteger()
    val saves = java.util.concurrent.atomic.AtomicInteger()

    override fun load(key: String): ByteArray? { loads.incrementAndGet(); return records[key] }
    override fun save(key: String, record: ByteArray) { saves.incrementAndGet(); records[key] = record.copyOf() }
    override fun clear(key: String) { records.remove(key) }

    fun snapshot(): Map<String, ByteArray> = records.mapValues { it.value.copyOf() }
}

/** The claims of a JWT (no signature check): enough to know which user and expiry a token has. */
object Jwt {
    fun payload(token: String): String {
        val parts = token.split('.')
        require(parts.size == 3) { "not a JWT (${parts.size} parts)" }
        return String(Base64.getUrlDecoder().decode(parts[1].padEnd((parts[1].length + 3) / 4 * 4, '=')))
    }

    fun sub(token: String): String? = Regex("\"sub\"\\s*:\\s*\"([^\"]*)\"").find(payload(token))?.groupValues?.get(1)

    fun exp(token: String): Instant? = Regex("\"exp\"\\s*:\\s*(\\d+)").find(payload(token))?.groupValues?.get(1)?.let { Instant.ofEpochSecond(it.toLong()) }
}

/** Test defaults: the devserver as gateway, quick retries. */
fun testConfig(
    requestTimeout: Duration = Duration.ofSeconds(5),
    startAttempts: Int = 1,
    store: VKSessionStore? = null,
    gatewayUrl: String = DevServer.base,
    callbackExecutor: java.util.concurrent.Executor? = null,
) = VKConfiguration(
    gatewayUrl = gatewayUrl,
    connectTimeout = Duration.ofSeconds(2),
    requestTimeout = requestTimeout,
    startAttempts = startAttempts,
    maxRetryDelay = Duration.ofMillis(200),
    store = store,
    callbackExecutor = callbackExecutor,
)

/** Runs [block] until it returns true or [secs] pass. */
fun eventually(secs: Long = 10, what: String, block: () -> Boolean) {
    val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs)
    while (!block()) {
        if (System.nanoTime() > deadline) fail("not within $secs s: $what")
        Thread.sleep(10)
    }
}

/** Base of every test class: a fresh session core and a reset devserver per test. */
abstract class SessionTestBase {
    @get:org.junit.Rule
    val timeout: org.junit.rules.Timeout = org.junit.rules.Timeout.seconds(90)

    val session: VKSession get() = VKSession.current

    private val handles = mutableListOf<VKListenerHandle>()

    /** Adds a listener that is removed after the test (listeners outlive `configure`). */
    fun listen(listener: VKStateListener): VKListenerHandle =
        session.addListener(listener).also { synchronized(handles) { handles.add(it) } }

    @org.junit.Before
    fun resetAll() {
        DevServer.reset()
        session.configure(testConfig())
    }

    @org.junit.After
    fun stopSession() {
        session.stop()
        synchronized(handles) { handles.forEach { it.remove() }; handles.clear() }
    }
}
