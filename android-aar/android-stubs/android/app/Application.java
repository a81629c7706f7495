package android.app;

/**
 * android.app.Application (API 1). Here not a Context subclass (src/android only casts an
 * application context to it) and never made (src/android never makes one).
 */
public abstract class Application {
    /** Not API here: hides the implicit public constructor. */
    Application() {}

    /** API 14. */
    public void registerActivityLifecycleCallbacks(ActivityLifecycleCallbacks callback) {
        throw new RuntimeException("Stub!");
    }

    /**
     * android.app.Application.ActivityLifecycleCallbacks (API 14). src/android implements it with
     * a java.lang.reflect.Proxy (only onActivityStarted/onActivityStopped matter), so it names
     * none of its methods.
     */
    public interface ActivityLifecycleCallbacks {
    }
}
