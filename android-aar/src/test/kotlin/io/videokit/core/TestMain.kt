// The JVM test runner used by scripts/test-kotlin.sh: runs every test class with JUnit 4
// against one devserver subprocess, prints one line per test, and closes with exactly
// "N passed, N failed"; the exit status is non-zero on any failure.
package io.videokit.core

import kotlin.system.exitProcess
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

val ALL_TEST_CLASSES: List<Class<*>> = listOf(
    StartModesTest::class.java,
    LifecycleTest::class.java,
    ErrorsTest::class.java,
    StoreTest::class.java,
    StateCacheTest::class.java,
    NonBlockingTest::class.java,
    ConcurrencyTest::class.java,
    KalturaTest::class.java,
    VideoSdkTest::class.java,
    VideoSdkVectorsTest::class.java,
    PlatformHttpClientTest::class.java,
    SessionApiTest::class.java,
    ErrorTableTest::class.java,
)

private class Reporter : RunListener() {
    var passed = 0
    var failed = 0
    private val failedNow = mutableSetOf<Description>()
    private var t0 = 0L

    override fun testStarted(description: Description) {
        t0 = System.nanoTime()
    }

    override fun testFailure(failure: Failure) {
        failedNow.add(failure.description)
        println("FAIL ${failure.description.testClass.simpleName}.${failure.description.methodName}")
        println("     " + (failure.exception.toString()).lines().joinToString("\n     "))
        failure.exception.stackTrace.filter { it.className.startsWith("io.videokit") }.take(4).forEach { println("       at $it") }
    }

    override fun testAssumptionFailure(failure: Failure) = testFailure(failure)

    override fun testFinished(description: Description) {
        val secs = "%.2f".format((System.nanoTime() - t0) / 1e9)
        if (description in failedNow) {
            failed++
        } else {
            passed++
            println("ok   ${description.testClass.simpleName}.${description.methodName} ($secs s)")
        }
    }
}

/** Runs the given test classes (simple or qualified names), or all of them. */
fun main(args: Array<String>) {
    val classes = if (args.isEmpty()) ALL_TEST_CLASSES else args.map { name ->
        ALL_TEST_CLASSES.firstOrNull { it.simpleName == name || it.name == name } ?: Class.forName(name)
    }
    val reporter = Reporter()
    val core = JUnitCore()
    core.addListener(reporter)
    try {
        core.run(*classes.toTypedArray())
    } finally {
        runCatching { VKSession.current.stop() }
        DevServer.shutdown()
    }
    println("${reporter.passed} passed, ${reporter.failed} failed")
    System.out.flush()
    exitProcess(if (reporter.failed == 0 && reporter.passed > 0) 0 else 1)
}
