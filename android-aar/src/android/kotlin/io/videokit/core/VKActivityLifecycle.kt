// Android-only: the thin shim from Application.ActivityLifecycleCallbacks to the
// platform-neutral VKForegroundTracker (src/main, VKForeground.kt), which the JVM tests drive.
package io.videokit.core

import android.app.Activity
import android.app.Application
import android.os.Bundle

/** Forwards activity starts and stops to [tracker]; nothing else. */
internal class VKActivityLifecycle(private val tracker: VKForegroundTracker) : Application.ActivityLifecycleCallbacks {
    override fun onActivityStarted(activity: Activity) = tracker.activityStarted()
    override fun onActivityStopped(activity: Activity) = tracker.activityStopped()
    override fun onActivityCreated(activity: Activity, savedInstanceState: Bundle?) {}
    override fun onActivityResumed(activity: Activity) {}
    override fun onActivityPaused(activity: Activity) {}
    override fun onActivitySaveInstanceState(activity: Activity, outState: Bundle) {}
    override fun onActivityDestroyed(activity: Activity) {}
}

/** An Application as a foreground source (registered once per session). */
internal class VKApplicationForeground(private val application: Application) : VKForegroundSource {
    override val foregroundKey: Any get() = application

    override fun registerForeground(tracker: VKForegroundTracker) =
        application.registerActivityLifecycleCallbacks(VKActivityLifecycle(tracker))
}

/**
 * Re-check expiry whenever the app comes back to the foreground (the first activity started
 * after all were stopped): a phone's monotonic clock stops while it sleeps. Call once, e.g. in
 * `Application.onCreate`; configuring the session with `VKSharedPreferencesStore(context)`
 * does it for you. Needs no AndroidX.
 */
fun VKSession.attach(application: Application) = attachForeground(VKApplicationForeground(application))
