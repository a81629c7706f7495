// The FFI cost per call from Kotlin on the JVM (scripts/bench-kotlin.sh): a session started
// against `videokit serve`, then the calls an app makes all the time, timed back to back.
// A benchmark: it prints numbers (markdown table rows) and asserts nothing.
//
//   java -cp bench.jar:<build/jvm classpath> FfiBenchKt BASE_URL [CALLS] [RUNS]
import io.videokit.core.VKConfiguration
import io.videokit.core.VKSession
import io.videokit.core.VKSessionState
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking

/** Defeats dead-code elimination: every result is folded into it and printed at the end. */
private var sink = 0L

private class Row(val name: String, val calls: Int, val runsNs: List<Double>) {
    val median: Double get() = runsNs.sorted()[runsNs.size / 2]
}

/** [runs] timed runs of [calls] calls of [body] (after the warm-up); ns per call of each run. */
private fun measure(name: String, calls: Int, runs: Int, warmup: Int, body: (Int) -> Unit): Row {
    body(warmup)
    val perRun = (1..runs).map {
        val t0 = System.nanoTime()
        body(calls)
        (System.nanoTime() - t0).toDouble() / calls
    }
    return Row(name, calls, perRun)
}

private fun fmt(ns: Double): String = if (ns >= 10_000) "%.1f µs".format(ns / 1000) else "%.0f ns".format(ns)

fun main(args: Array<String>) {
    val base = args.getOrNull(0) ?: error("usage: FfiBenchKt BASE_URL [CALLS] [RUNS]")
    val calls = args.getOrNull(1)?.toInt() ?: 1_000_000
    val runs = args.getOrNull(2)?.toInt() ?: 5
    val warmup = calls / 2

    val session = VKSession.current
    session.configure(VKConfiguration(gatewayUrl = base))
    val data = runBlocking { session.awaitStart(apiToken = "vk_dev_app_token", identity = "bench") }
    check(session.state == VKSessionState.ACTIVE) { "the session did not start" }
    check(data.expiresAt != null) { "no expiry" }

    val rows = mutableListOf<Row>()
    rows += measure("FFI `state` (sync) from Kotlin", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += session.state.ordinal }
        sink += acc
    }
    rows += measure("FFI `token()` (suspend, cached) from Kotlin, one `runBlocking` around the loop", calls, runs, warmup) { n ->
        runBlocking {
            var acc = 0L
            repeat(n) { acc += session.token().length }
            sink += acc
        }
    }
    rows += measure("FFI `runBlocking { token() }` per call (a blocking caller)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += runBlocking { session.token() }.length }
        sink += acc
    }
    rows += measure("FFI `sessionData?.token` (sync, callback-free; the whole record)", calls, runs, warmup) { n ->
        var acc = 0L
        repeat(n) { acc += session.sessionData?.token?.length ?: 0 }
        sink += acc
    }
    // The callback form hops to the callback thread for every result: a round trip, measured
    // on fewer calls.
    val cbCalls = maxOf(1, calls / 20)
    rows += measure("`token(callback)` round trip (coroutine + callback thread)", cbCalls, runs, cbCalls / 2) { n ->
        var acc = 0L
        repeat(n) {
            val f = CompletableFuture<String?>()
            session.token { t, _ -> f.complete(t) }
            acc += f.get(10, TimeUnit.SECONDS)?.length ?: 0
        }
        sink += acc
    }
    session.stop()

    val target = 2_000.0
    println()
    println("FFI cost per call from Kotlin on the JVM (${System.getProperty("java.vm.name")} ${System.getProperty("java.version")}), " +
        "median of $runs runs; the cached token, a live session against videokit serve:")
    println()
    println("| call | calls per run | median | runs (ns/call) |")
    println("|---|---:|---:|---|")
    for (r in rows) {
        println("| ${r.name} | ${"%,d".format(r.calls)} | ${fmt(r.median)} | ${r.runsNs.joinToString(" / ") { "%.0f".format(it) }} |")
    }
    println()
    val state = rows[0].median
    val token = rows[1].median
    val met = state <= target && token <= target
    println("Target ≤ 2 µs per call for `state` and cached `token()`: ${if (met) "met" else "NOT met"} " +
        "(state ${fmt(state)}, token() ${fmt(token)}).")
    System.err.println("(checksum $sink)")
    System.exit(0)
}
