// Foreground detection, platform-neutral: counts started activities and calls back on the
// first start after all were stopped. The Android shim (src/android, VKActivityLifecycle.kt)
// feeds it from Application.ActivityLifecycleCallbacks; the JVM tests feed it directly.
package io.videokit.core

/**
 * Counts started activities; [onForeground] runs (on the thread that reported the start) when
 * the first activity starts after all were stopped, i.e. the app came back to the foreground.
 * The very first start (app launch) does not count: nothing can be stale yet.
 */
class VKForegroundTracker internal constructor(private val onForeground: () -> Unit) {
    private var started = 0
    private var wasBackground = false

    /** An activity's `onStart`. */
    fun activityStarted() {
        val fire = synchronized(this) {
            started++
            (started == 1 && wasBackground).also { if (it) wasBackground = false }
        }
        if (fire) onForeground()
    }

    /** An activity's `onStop`. */
    fun activityStopped() {
        synchronized(this) {
            if (started > 0) started--
            if (started == 0) wasBackground = true
        }
    }
}

/**
 * Something that can report activity starts and stops to a [VKForegroundTracker] (on Android
 * the app's `Application`; `VKSharedPreferencesStore(context)` is one, so configuring a session
 * with it is enough). Register once per tracker.
 */
internal interface VKForegroundSource {
    /** What a session registers once with (on Android the Application). */
    val foregroundKey: Any get() = this

    fun registerForeground(tracker: VKForegroundTracker)
}
