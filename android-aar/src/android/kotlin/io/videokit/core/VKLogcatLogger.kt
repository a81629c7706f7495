// Android-only: compiled into the AAR (see build.gradle.kts), not into the desktop JVM jar.
package io.videokit.core

import android.util.Log

/**
 * A [VKLogger] that writes to Logcat under [tag]. It is the default on Android: a
 * [VKConfiguration] without a logger uses it (the portable layer finds this class by name).
 * Records never contain secrets.
 *
 * @param tag the Logcat tag (at most 23 characters before API 26).
 */
class VKLogcatLogger @JvmOverloads constructor(private val tag: String = "VideoKit") : VKLogger {
    /** Writes one record to Logcat at the matching priority. */
    override fun log(level: VKLogLevel, target: String, message: String) {
        val priority = when (level) {
            VKLogLevel.ERROR -> Log.ERROR
            VKLogLevel.WARN -> Log.WARN
            VKLogLevel.INFO -> Log.INFO
            VKLogLevel.DEBUG -> Log.DEBUG
            VKLogLevel.TRACE -> Log.VERBOSE
        }
        Log.println(priority, tag, if (target == "videokit") message else "[$target] $message")
    }
}
