// Android-only: the thin shim from Application.ActivityLifecycleCallbacks to the
// platform-neutral VKForegroundTracker (src/main, VKForeground.kt), which the JVM tests drive.
package io.videokit.core

import android.app.Application
import java.lang.reflect.InvocationHandler
import java.lang.reflect.Proxy

/**
 * An Application as a foreground source: forwards `onActivityStarted` / `onActivityStopped` to
 * the tracker; every other callback does nothing. The callbacks object is a `Proxy` of the
 * interface, so that API levels adding callbacks (pre/post variants, default methods) need no
 * change here.
 */
internal class VKActivityLifecycle(private val application: Application) : VKForegroundSource {
    override val foregroundKey: Any get() = application

    override fun registerForeground(tracker: VKForegroundTracker) {
        val type = Application.ActivityLifecycleCallbacks::class.java
        val handler = InvocationHandler { proxy, method, args ->
            when (method.name) {
                "onActivityStarted" -> tracker.activityStarted()
                "onActivityStopped" -> tracker.activityStopped()
                "equals" -> return@InvocationHandler proxy === args?.getOrNull(0)
                "hashCode" -> return@InvocationHandler System.identityHashCode(proxy)
                "toString" -> return@InvocationHandler "VKActivityLifecycle"
            }
            null
        }
        application.registerActivityLifecycleCallbacks(type.cast(Proxy.newProxyInstance(type.classLoader, arrayOf(type), handler)))
    }
}

/**
 * Re-check expiry whenever the app comes back to the foreground (the first activity started
 * after all were stopped): a phone's monotonic clock stops while it sleeps. Call once, e.g. in
 * `Application.onCreate`; configuring the session with `VKSharedPreferencesStore(context)`
 * does it for you. Needs no AndroidX.
 */
fun VKSession.attach(application: Application) = attachForeground(VKActivityLifecycle(application))
