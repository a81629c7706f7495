package io.videokit.core

import android.os.Looper
import androidx.test.ext.junit.runners.AndroidJUnit4
import androidx.test.platform.app.InstrumentationRegistry
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import org.junit.runner.RunWith

/**
 * On a device or emulator (scripts/test-android-emulator.sh): the Rust library loads from the
 * AAR's jniLibs, callbacks arrive on the main thread, the Keystore-backed store works, and,
 * when the script passes a devserver (`videokitBaseUrl`, reachable through `adb reverse`),
 * a real API-token session starts.
 */
@RunWith(AndroidJUnit4::class)
class VKSessionInstrumentedTest {
    private val context get() = InstrumentationRegistry.getInstrumentation().targetContext
    private val baseUrl: String? get() = InstrumentationRegistry.getArguments().getString("videokitBaseUrl")

    @After
    fun tearDown() = VKSession.current.stop()

    @Test
    fun completionRunsOnTheMainThread() {
        VKSession.current.configure(VKConfiguration())
        val onMain = CompletableFuture<Pair<Boolean, VKSessionState>>()
        // An opaque session token: no expiry known, no network needed.
        VKSession.current.start(sessionToken = "opaque-test-token") { state, _, _ ->
            onMain.complete((Looper.myLooper() == Looper.getMainLooper()) to state)
        }
        val (main, state) = onMain.get(20, TimeUnit.SECONDS)
        assertTrue("completion on the main thread", main)
        assertEquals(VKSessionState.ACTIVE, state)
        assertEquals("opaque-test-token", runBlocking { VKSession.current.token() })
    }

    @Test
    fun sharedPreferencesStoreEncryptsAndRoundTrips() {
        val store = VKSharedPreferencesStore(context, fileName = "io.videokit.test", keyAlias = "io.videokit.test.key")
        val record = "{\"token\":\"secret-session-token\"}".toByteArray()
        store.save("k", record)
        assertArrayEquals(record, store.load("k"))
        val raw = context.getSharedPreferences("io.videokit.test", android.content.Context.MODE_PRIVATE).all.values.joinToString()
        assertFalse("stored encrypted", raw.contains("secret-session-token"))
        store.clear("k")
        assertNull(store.load("k"))
    }

    @Test
    fun apiTokenSessionAgainstTheDevserver() {
        val base = baseUrl
        assumeTrue("no videokitBaseUrl instrumentation argument", base != null)
        VKSession.current.configure(VKConfiguration(gatewayUrl = base!!, store = VKSharedPreferencesStore(context)))
        val result = CompletableFuture<VKSessionState>()
        VKSession.current.start(apiToken = "vk_dev_app_token", identity = "android") { state, _, _ -> result.complete(state) }
        assertEquals(VKSessionState.ACTIVE, result.get(30, TimeUnit.SECONDS))
        assertTrue(runBlocking { VKSession.current.token() }.isNotEmpty())
    }
}
