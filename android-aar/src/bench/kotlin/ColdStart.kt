// Cold start in a fresh JVM (scripts/bench-coldstart.sh runs each mode in a new process):
//   sdk BASE        VKSession.current.configure(...) + start(...) as in Application.onCreate:
//                   how long they take to return on the calling thread, and when the first
//                   token arrives (completion), counted from main() start and from JVM start
//   plain BASE      a plain HttpURLConnection POST to the same route (/v1/sessions): when the
//                   token arrives, counted the same way (the floor any SDK is compared with)
//   breakdown BASE  the same work as `sdk`, step by step on one thread, each step timed: where
//                   the time of a cold start goes (class loading, JNA + library, the runtime,
//                   the native session, the request)
// Prints one line: `mode key=ms key=ms ...`. A benchmark: asserts nothing.
import io.videokit.core.VKConfiguration
import io.videokit.core.VKSession
import java.net.HttpURLConnection
import java.net.URI
import java.util.concurrent.CountDownLatch

private fun ms(from: Long, to: Long = System.nanoTime()) = "%.1f".format((to - from) / 1e6)

/**
 * Milliseconds from JVM start (when the VM began to create itself, as the JVM recorded it) to
 * now; read after the measurement, as loading java.management is not free. Not ProcessHandle's
 * start instant: on Linux that adds the process's start tick to the boot time, which
 * /proc/stat gives in whole seconds, so it was off by the same 0-1 s in every run of a boot.
 */
private fun sinceJvmStart(nowWallMs: Long): String =
    "%.0f".format((nowWallMs - java.lang.management.ManagementFactory.getRuntimeMXBean().startTime).toDouble())

/**
 * VIDEOKIT_PROFILE=1: samples every thread's stack each millisecond and prints, to stderr, the
 * frames the samples were in most (the first frame of JNA, the bindings, the layer, the class
 * loader or the network stack from the top): a poor man's profiler of the cold start.
 */
private fun startSampler(): (() -> Unit)? {
    if (System.getenv("VIDEOKIT_PROFILE") != "1") return null
    val counts = java.util.concurrent.ConcurrentHashMap<String, Int>()
    val interesting = listOf("com.sun.jna.", "io.videokit.", "java.lang.ClassLoader", "jdk.internal.loader.", "sun.net.", "java.net.", "kotlinx.coroutines.", "java.util.zip.")
    val me = Thread.currentThread()
    val running = java.util.concurrent.atomic.AtomicBoolean(true)
    val t = Thread {
        while (running.get()) {
            for ((thread, stack) in Thread.getAllStackTraces()) {
                if (thread === me && stack.isEmpty()) continue
                if (thread.name.startsWith("sampler") || thread.state != Thread.State.RUNNABLE) continue
                val top = stack.take(40)
                val frame = top.firstOrNull { f -> interesting.any { f.className.startsWith(it) } } ?: top.firstOrNull() ?: continue
                val key = "${thread.name.take(24)} | ${frame.className}.${frame.methodName}"
                counts.merge(key, 1, Int::plus)
            }
            Thread.sleep(1)
        }
    }
    t.name = "sampler"
    t.isDaemon = true
    t.start()
    return {
        running.set(false)
        counts.entries.sortedByDescending { it.value }.take(40).forEach { System.err.println("%5d  %s".format(it.value, it.key)) }
    }
}

fun main(args: Array<String>) {
    // -Dvideokit.bench.zygote: java.util.logging set up before the clock starts, as an Android
    // app's process has it from the zygote, which preloads it (the `*_android` modes).
    if (System.getProperty("videokit.bench.zygote") != null) java.util.logging.LogManager.getLogManager()
    val t0 = System.nanoTime()
    val stopSampler = startSampler()
    val mode = args[0]
    val base = args[1]
    when (mode) {
        "sdk" -> {
            val done = CountDownLatch(1)
            var tokenAt = 0L
            var tokenWall = 0L
            var ok = false
            val c0 = System.nanoTime()
            VKSession.current.configure(VKConfiguration(gatewayUrl = base))
            val c1 = System.nanoTime()
            VKSession.current.start(apiToken = "vk_dev_app_token", identity = "alice") { _, data, _ ->
                tokenAt = System.nanoTime()
                tokenWall = System.currentTimeMillis()
                ok = data != null
                done.countDown()
            }
            val s1 = System.nanoTime()
            done.await()
            println("sdk configure_ms=${ms(c0, c1)} start_ms=${ms(c1, s1)} configure_start_ms=${ms(c0, s1)} " +
                "first_token_from_main_ms=${ms(t0, tokenAt)} first_token_from_jvm_ms=${sinceJvmStart(tokenWall)} ok=$ok")
        }
        "plain" -> {
            val conn = URI.create("$base/v1/sessions").toURL().openConnection() as HttpURLConnection
            conn.requestMethod = "POST"
            conn.doOutput = true
            conn.setRequestProperty("Authorization", "Bearer vk_dev_app_token")
            conn.setRequestProperty("Content-Type", "application/json")
            conn.outputStream.use { it.write("{\"identity\":\"alice\",\"scopes\":[]}".toByteArray()) }
            val body = conn.inputStream.use { String(it.readAllBytes()) }
            val token = Regex("\"sessionToken\"\\s*:\\s*\"([^\"]+)\"").find(body)?.groupValues?.get(1)
            val at = System.nanoTime()
            val wall = System.currentTimeMillis()
            println("plain first_token_from_main_ms=${ms(t0, at)} first_token_from_jvm_ms=${sinceJvmStart(wall)} ok=${token != null}")
        }
        "breakdown" -> {
            // The work the init thread does in `sdk`, step by step on this thread.
            val a0 = System.nanoTime()
            // java.util.logging, which JNA's classes log through (the desktop JVM reads its
            // logging configuration here), set up on its own to show its share of JNA's start.
            java.util.logging.LogManager.getLogManager()
            val a = System.nanoTime()
            Class.forName("com.sun.jna.Native") // JNA: its classes and its own native stub
            val a1 = System.nanoTime()
            // JNA's library search path: on desktop Linux its static initialiser runs
            // `ldconfig -p` in a child process (not on Android).
            Class.forName("com.sun.jna.NativeLibrary")
            val b = System.nanoTime()
            // Found (on jna.library.path, or copied out of the jar) and dlopen()ed, with the options the
            // bindings' Native.register uses (JNA caches a library per name and options).
            com.sun.jna.NativeLibrary.getInstance(
                "videokit_ffi",
                java.util.Collections.singletonMap(com.sun.jna.Library.OPTION_CLASSLOADER, ClassLoader.getSystemClassLoader()),
            )
            val b1 = System.nanoTime()
            // The generated bindings' two direct-mapped JNA objects, initialised one at a time:
            // the integrity one (register, contract version, checksums if any) ...
            Class.forName("io.videokit.core.ffi.IntegrityCheckingUniffiLib", true, ClassLoader.getSystemClassLoader())
            val b2 = System.nanoTime()
            // ... and the main one (register the functions the bindings call; each callback
            // interface's vtable is built when its first object goes to Rust, in awaitStart below).
            Class.forName("io.videokit.core.ffi.UniffiLib", true, ClassLoader.getSystemClassLoader())
            val b3 = System.nanoTime()
            val version = io.videokit.core.ffi.videokitVersion() // one call
            val c = System.nanoTime()
            val session = VKSession(VKConfiguration(gatewayUrl = base)) // the Kotlin layer's classes (+ coroutines)
            val d = System.nanoTime()
            val data = kotlinx.coroutines.runBlocking { session.awaitStart(apiToken = "vk_dev_app_token", identity = "alice") }
            val e = System.nanoTime() // includes the native session (the SDK runtime's thread) and the first request
            val again = kotlinx.coroutines.runBlocking { session.refresh() }
            val f = System.nanoTime()
            println("breakdown main_from_jvm_ms=${sinceJvmStart(System.currentTimeMillis() - (f - t0) / 1_000_000)} " +
                "jul_ms=${ms(a0, a)} jna_ms=${ms(a, a1)} searchpath_ms=${ms(a1, b)} dlopen_ms=${ms(b, b1)} integrity_ms=${ms(b1, b2)} register_ms=${ms(b2, b3)} first_call_ms=${ms(b3, c)} " +
                "layer_ms=${ms(c, d)} start_to_token_ms=${ms(d, e)} " +
                "warm_request_ms=${ms(e, f)} ok=${version.isNotEmpty() && data.token.isNotEmpty() && again.token.isNotEmpty()}")
        }
        else -> error("mode: sdk | plain | breakdown")
    }
    stopSampler?.invoke()
    System.exit(0)
}
