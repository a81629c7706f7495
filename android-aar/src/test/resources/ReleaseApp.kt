// An app as a release build would ship it: scripts/check-minified.sh compiles it with the SDK,
// shrinks + obfuscates + optimizes everything with ProGuard using android-aar/consumer-rules.pro
// (and the rules coroutines ship), and runs the result against `videokit serve`.
// It goes through every start mode (callback and suspend), the token calls, listeners and the
// states flow, an app-supplied store and provider, the default (Logcat) logger, and the main
// error kinds. Prints "ok"/"FAIL" per check and closes with "N passed, N failed"; exits 1 on
// any failure.
import io.videokit.core.VKBlockingTokenProvider
import io.videokit.core.VKConfiguration
import io.videokit.core.VKErrorKind
import io.videokit.core.VKException
import io.videokit.core.VKKalturaConfiguration
import io.videokit.core.VKProvidedToken
import io.videokit.core.VKSession
import io.videokit.core.VKSessionData
import io.videokit.core.VKSessionState
import io.videokit.core.VKSessionStore
import io.videokit.core.VKSourceKind
import io.videokit.core.VKStateChange
import io.videokit.core.VKTokenProvider
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.net.HttpURLConnection
import java.net.URL
import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

private const val APP_TOKEN = "vk_dev_app_token"
private const val KALTURA_PARTNER = 1851571L
private const val KALTURA_APP_TOKEN_ID = "0_xeu31jy5"
private const val KALTURA_APP_TOKEN = "c9883312395bf5ed4fd5c9a5d86c985c"

private var passed = 0
private var failed = 0

private fun check(name: String, block: () -> Boolean) {
    val ok = try {
        block()
    } catch (t: Throwable) {
        println("     $name threw $t")
        false
    }
    println((if (ok) "ok   " else "FAIL ") + name)
    if (ok) passed++ else failed++
}

private fun http(method: String, url: String, body: String? = null): String {
    val c = URL(url).openConnection() as HttpURLConnection
    c.requestMethod = method
    c.connectTimeout = 10_000
    c.readTimeout = 10_000
    if (body != null) {
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/json")
        c.outputStream.use { it.write(body.toByteArray()) }
    }
    val code = c.responseCode
    val text = (if (code < 400) c.inputStream else c.errorStream)?.use { String(it.readBytes()) } ?: ""
    if (code !in 200..299) error("$method $url -> $code")
    return text
}

private class Backend(val base: String) {
    fun fault(route: String, kind: String, extra: String = "\"count\": 1") =
        http("POST", "$base/_control/faults", "{\"route\": \"$route\", \"kind\": \"$kind\", $extra}")

    fun reset() = http("POST", "$base/_control/reset", "{}")

    fun sessionToken(identity: String): String =
        Regex("\"sessionToken\"\\s*:\\s*\"([^\"]+)\"").find(http("GET", "$base/token/$identity"))!!.groupValues[1]
}

/** The outcome of a callback `start`, awaited with a deadline (never a sleep). */
private class Completion {
    val future = CompletableFuture<Triple<VKSessionState, VKSessionData?, VKException?>>()
    fun onResult(state: VKSessionState, data: VKSessionData?, error: VKException?) {
        future.complete(Triple(state, data, error))
    }
    fun await() = future.get(60, TimeUnit.SECONDS)
}

/** An app's own store, kept in memory: exercises the store as a foreign trait. */
private class MemoryStore : VKSessionStore {
    val records = ConcurrentHashMap<String, ByteArray>()
    val saves = AtomicInteger()
    override fun load(key: String): ByteArray? = records[key]
    override fun save(key: String, record: ByteArray) {
        saves.incrementAndGet()
        records[key] = record
    }
    override fun clear(key: String) {
        records.remove(key)
    }
}

private fun failureKind(block: suspend () -> Unit): VKErrorKind? = runBlocking {
    try {
        block()
        null
    } catch (e: VKException) {
        e.kind
    }
}

fun main(args: Array<String>) {
    val base = args.firstOrNull() ?: error("usage: ReleaseApp http://127.0.0.1:PORT (from `videokit serve`)")
    val backend = Backend(base)
    backend.reset() // no fault left over from an earlier run against the same server
    // What the default logger writes (android.util.Log prints "logcat P/tag: msg" on the JVM).
    val realErr = System.err
    val captured = ByteArrayOutputStream()
    System.setErr(PrintStream(object : java.io.OutputStream() {
        override fun write(b: Int) {
            synchronized(captured) { captured.write(b) }
            realErr.write(b)
        }
    }, true))

    val session = VKSession.current
    val store = MemoryStore()
    val config = VKConfiguration(
        gatewayUrl = base,
        startAttempts = 2,
        maxRetryDelay = Duration.ofMillis(50),
        store = store,
        logLevel = io.videokit.core.VKLogLevel.DEBUG, // logger = null: the platform default (Logcat)
    )
    session.configure(config)

    check("token() before start is not_started") { failureKind { session.token() } == VKErrorKind.NOT_STARTED }

    // ---- every start mode ----
    val changes = CopyOnWriteArrayList<VKStateChange>()
    val handle = session.addListener { changes.add(it) }
    val c1 = Completion()
    session.start(apiToken = APP_TOKEN, identity = "alice", scopes = listOf("videos.read")) { s, d, e -> c1.onResult(s, d, e) }
    val (s1, d1, e1) = c1.await()
    check("API token (callback): ACTIVE, a token, source API_TOKEN") {
        e1 == null && s1 == VKSessionState.ACTIVE && d1!!.token.isNotEmpty() && d1.source == VKSourceKind.API_TOKEN &&
            d1.identity == "alice" && d1.scopes == listOf("videos.read") && d1.expiresAt != null
    }
    check("token() (suspend) and token(callback) give the session's token") {
        val t = runBlocking { session.token() }
        val f = CompletableFuture<String?>()
        session.token { token, _ -> f.complete(token) }
        t == d1!!.token && f.get(30, TimeUnit.SECONDS) == t
    }
    check("refresh() renews: a new token, still ACTIVE") {
        val r = runBlocking { session.refresh() }
        r.token.isNotEmpty() && session.state == VKSessionState.ACTIVE
    }
    check("states flow and state property are ACTIVE") { session.states.value == VKSessionState.ACTIVE && session.state == VKSessionState.ACTIVE }
    check("the app's store saved the session (a foreign trait through JNA)") { store.saves.get() > 0 && store.records.isNotEmpty() }
    check("API token (suspend)") {
        runBlocking { session.awaitStart(apiToken = APP_TOKEN, identity = "bob") }.let { it.identity == "bob" && it.source == VKSourceKind.API_TOKEN }
    }
    check("session token") {
        val token = backend.sessionToken("carol")
        runBlocking { session.awaitStart(sessionToken = token) }.let { it.token == token && it.source == VKSourceKind.SESSION_TOKEN }
    }
    check("token URL (backend)") {
        val c = Completion()
        session.start(tokenUrl = "$base/token/{identity}", identity = "dave", completion = { s, d, e -> c.onResult(s, d, e) })
        val (s, d, _) = c.await()
        s == VKSessionState.ACTIVE && d!!.source == VKSourceKind.BACKEND
    }
    check("Kotlin provider (suspend)") {
        val provider = object : VKTokenProvider {
            override suspend fun fetchToken(identity: String?) = VKProvidedToken(backend.sessionToken(identity!!))
        }
        runBlocking { session.awaitStart(provider = provider, identity = "erin") }.source == VKSourceKind.CUSTOM
    }
    check("blocking provider (callback)") {
        val provider = object : VKBlockingTokenProvider() {
            override fun fetchTokenBlocking(identity: String?) = VKProvidedToken(backend.sessionToken(identity!!))
        }
        val c = Completion()
        session.start(provider, "frank", { s, d, e -> c.onResult(s, d, e) })
        c.await().let { (s, d, _) -> s == VKSessionState.ACTIVE && d!!.source == VKSourceKind.CUSTOM }
    }
    check("Kaltura appToken: a KS with the partner") {
        val k = VKKalturaConfiguration(
            partnerId = KALTURA_PARTNER, appTokenId = KALTURA_APP_TOKEN_ID, appToken = KALTURA_APP_TOKEN,
            serviceUrl = base, userId = "k-user", expiry = Duration.ofHours(1),
        )
        runBlocking { session.awaitStart(kaltura = k) }.let { it.source == VKSourceKind.KALTURA && it.kaltura!!.partnerId == KALTURA_PARTNER }
    }
    check("VideoSDK token URL: typed claims") {
        val c = Completion()
        session.start(videoSdkTokenUrl = "$base/get-token", roomId = "r-1", participantId = "p-1", completion = { s, d, e -> c.onResult(s, d, e) })
        c.await().let { (s, d, _) -> s == VKSessionState.ACTIVE && d!!.source == VKSourceKind.VIDEO_SDK && d.videoSdk!!.roomId == "r-1" }
    }
    check("listener saw starting → active, in order") {
        val seq = changes.map { it.seq }
        changes.any { it.from == VKSessionState.STARTING && it.to == VKSessionState.ACTIVE } && seq == seq.sorted()
    }
    handle.remove()

    // ---- the main error kinds ----
    fun startError(block: (Completion) -> Unit): VKException? {
        val c = Completion()
        block(c)
        return c.await().third
    }
    check("wrong app token: unauthorized, 401, no secret in the message") {
        val e = startError { c -> session.start(apiToken = "vk_wrong_app_token", identity = "alice") { s, d, e -> c.onResult(s, d, e) } }
        e!!.kind == VKErrorKind.UNAUTHORIZED && e.httpStatus == 401 && !e.toString().contains("vk_wrong_app_token") &&
            session.state == VKSessionState.FAILED
    }
    check("empty identity: invalid_argument") {
        failureKind { session.awaitStart(apiToken = APP_TOKEN, identity = "") } == VKErrorKind.INVALID_ARGUMENT
    }
    check("Kaltura wrong app token: rejected with the server's code") {
        val k = VKKalturaConfiguration(partnerId = KALTURA_PARTNER, appTokenId = KALTURA_APP_TOKEN_ID, appToken = "0".repeat(32), serviceUrl = base)
        val e = runBlocking { runCatching { session.awaitStart(kaltura = k) }.exceptionOrNull() } as VKException
        e.kind == VKErrorKind.REJECTED && e.code != null
    }
    check("malformed body: malformed_response") {
        backend.fault("sessions", "malformed")
        failureKind { session.awaitStart(apiToken = APP_TOKEN, identity = "alice") } == VKErrorKind.MALFORMED_RESPONSE
    }
    check("503 on every attempt: http_status 503") {
        backend.fault("sessions", "status", "\"status\": 503, \"count\": 5")
        val e = runBlocking { runCatching { session.awaitStart(apiToken = APP_TOKEN, identity = "alice") }.exceptionOrNull() } as VKException
        backend.reset()
        e.kind == VKErrorKind.HTTP_STATUS && e.httpStatus == 503
    }
    check("dropped connection: network") {
        backend.fault("sessions", "drop", "\"count\": 5")
        val k = failureKind { session.awaitStart(apiToken = APP_TOKEN, identity = "alice") }
        backend.reset()
        k == VKErrorKind.NETWORK
    }
    check("provider throws unauthorized: unauthorized with its code") {
        val provider = object : VKTokenProvider {
            override suspend fun fetchToken(identity: String?): VKProvidedToken =
                throw VKException(VKErrorKind.UNAUTHORIZED, "no", code = "no_user", httpStatus = 401)
        }
        val e = runBlocking { runCatching { session.awaitStart(provider = provider, identity = "gina") }.exceptionOrNull() } as VKException
        e.kind == VKErrorKind.UNAUTHORIZED && e.code == "no_user"
    }
    check("a session token (JWT) that expired in 1970: expired") {
        // {"alg":"HS256"}.{"sub":"old","exp":1000}.sig
        failureKind { session.awaitStart(sessionToken = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbGQiLCJleHAiOjEwMDB9.c2ln") } == VKErrorKind.EXPIRED
    }

    check("stop(): STOPPED, token() is not_started") {
        session.stop()
        session.state == VKSessionState.STOPPED && failureKind { session.token() } == VKErrorKind.NOT_STARTED
    }
    check("the default logger (VKLogcatLogger, found by name) wrote to Logcat, no secret") {
        val log = synchronized(captured) { captured.toString() }
        log.lines().any { it.startsWith("logcat ") && it.contains("/VideoKit: ") } &&
            !log.contains(APP_TOKEN) && !log.contains(KALTURA_APP_TOKEN)
    }

    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
