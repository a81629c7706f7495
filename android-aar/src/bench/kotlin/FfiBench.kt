// The cost per call from Kotlin on the JVM (scripts/bench-kotlin.sh): a session started
// against `videokit serve`, then the calls an app makes all the time, timed back to back.
// Two kinds of rows, side by side so nobody mistakes one for the other:
//   - the public API (`state`, `sessionData`, `lastError`, the cached `token()`): answered
//     from the snapshot Rust pushed last (docs/PLATFORM-LAYERS.md), no FFI crossing;
//   - raw FFI crossings through the generated binding (`VkSession.snapshot()`,
//     `tokenCall().wait()`) on the very native session behind `VKSession.current` (read once,
//     by reflection): what a call costs that does cross, i.e. a cache miss.
// A benchmark: it prints numbers (markdown table rows) and asserts nothing.
//
//   java -cp bench.jar:<build/jvm classpath> FfiBenchKt BASE_URL [CALLS] [RUNS]
//   (raw FFI rows and the callback row use CALLS / 20 calls per run)
import io.videokit.core.VKConfiguration
import io.videokit.core.VKSession
import io.videokit.core.VKSessionState
import io.videokit.core.ffi.VkSession
import io.videokit.core.ffi.VkSessionState
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking

/** Defeats dead-code elimination: every result is folded into it and printed at the end. */
private var sink = 0L

private class Row(val path: String, val name: String, val calls: Int, val runsNs: List<Double>) {
    val median: Double get() = runsNs.sorted()[runsNs.size / 2]
}

/** [runs] timed runs of [calls] calls of [body] (after the warm-up); ns per call of each run. */
private fun measure(path: String, name: String, calls: Int, runs: Int, warmup: Int, body: (Int) -> Unit): Row {
    body(warmup)
    val perRun = (1..runs).map {
        val t0 = System.nanoTime()
        body(calls)
        (System.nanoTime() - t0).toDouble() / calls
    }
    return Row(path, name, calls, perRun)
}

private fun fmt(ns: Double): String = when {
    ns >= 10_000 -> "%.1f µs".format(ns / 1000)
    ns >= 100 -> "%.0f ns".format(ns)
    else -> "%.1f ns".format(ns)
}

fun main(args: Array<String>) {
    val base = args.getOrNull(0) ?: error("usage: FfiBenchKt BASE_URL [CALLS] [RUNS]")
    val calls = args.getOrNull(1)?.toInt() ?: 1_000_000
    val runs = args.getOrNull(2)?.toInt() ?: 5
    val warmup = calls / 2
    val ffiCalls = maxOf(1, calls / 20)

    val session = VKSession.current
    session.configure(VKConfiguration(gatewayUrl = base))
    val data = runBlocking { session.awaitStart(apiToken = "vk_dev_app_token", identity = "bench") }
    check(session.state == VKSessionState.ACTIVE) { "the session did not start" }
    check(data.expiresAt != null) { "no expiry" }
    check(runBlocking { session.token() } == data.token) { "token() is not the session's token" }
    // The generated object behind VKSession.current, for the raw crossings.
    val plumbing = VKSession::class.java.getDeclaredField("core").apply { isAccessible = true }.get(session)
    val core = plumbing.javaClass.getDeclaredField("native").apply { isAccessible = true }.get(plumbing) as VkSession
    check(core.snapshot().state == VkSessionState.ACTIVE && runBlocking { core.tokenCall().wait().token } == data.token) { "the raw core is not the session's" }

    val api = "public API"
    val ffi = "raw FFI"
    val rows = mutableListOf<Row>()
    rows += measure(api, "`VKSession.current.state` (sync; the Kotlin-side cache)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += session.state.ordinal }
        sink += acc
    }
    rows += measure(api, "`sessionData` (sync; the kept snapshot)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += session.sessionData?.token?.length ?: 0 }
        sink += acc
    }
    rows += measure(api, "`lastError` (sync; the kept snapshot)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += if (session.lastError == null) 1 else 2 }
        sink += acc
    }
    rows += measure(api, "`token()` (suspend, cached), one `runBlocking` around the loop", calls, runs, warmup) { n ->
        runBlocking {
            var acc = 0L
            repeat(n) { acc += session.token().length }
            sink += acc
        }
    }
    rows += measure(api, "`runBlocking { token() }` per call (a blocking caller, cached)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += runBlocking { session.token() }.length }
        sink += acc
    }
    // The callback form hops to the callback thread for every result: a round trip.
    rows += measure(api, "`token(callback)` round trip (cached; the hop to the callback thread)", ffiCalls, runs, ffiCalls / 2) { n ->
        var acc = 0L
        repeat(n) {
            val f = CompletableFuture<String?>()
            session.token { t, _ -> f.complete(t) }
            acc += f.get(10, TimeUnit.SECONDS)?.length ?: 0
        }
        sink += acc
    }
    rows += measure(ffi, "`VkSession.snapshot()` (sync; the whole snapshot record)", ffiCalls, runs, ffiCalls / 2) { n ->
        var acc = 0L
        repeat(n) { acc += core.snapshot().version.toLong() }
        sink += acc
    }
    rows += measure(ffi, "`VkSession.tokenCall().wait()` (suspend; a cache miss), one `runBlocking` around the loop", ffiCalls, runs, ffiCalls / 2) { n ->
        runBlocking {
            var acc = 0L
            repeat(n) { acc += core.tokenCall().let { c -> c.wait().token.length.also { c.destroy() } } }
            sink += acc
        }
    }
    session.stop()

    val target = 1_000.0
    println()
    println("Cost per call from Kotlin on the JVM (${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}), " +
        "median of $runs runs; a live session against videokit serve, its token cached:")
    println()
    println("| path | call | calls per run | median | runs (ns/call) |")
    println("|---|---|---:|---:|---|")
    for (r in rows) {
        println("| ${r.path} | ${r.name} | ${"%,d".format(r.calls)} | ${fmt(r.median)} | ${r.runsNs.joinToString(" / ") { if (it < 100) "%.1f".format(it) else "%.0f".format(it) }} |")
    }
    println()
    val judged = rows.take(4) // state, sessionData, lastError, cached token()
    val met = judged.all { it.median <= target }
    println("Target ≤ 1 µs per call for `state`, `sessionData`, `lastError` and cached `token()` (public API, no FFI call): " +
        "${if (met) "met" else "NOT met"} (" + judged.joinToString(", ") { fmt(it.median) } +
        "; raw FFI crossings: snapshot() ${fmt(rows[6].median)}, tokenCall().wait() ${fmt(rows[7].median)}).")
    System.err.println("(checksum $sink)")
    System.exit(0)
}
