package android.content;

/** android.content.Context (API 1). */
public abstract class Context {
    /** Not API here: hides the implicit public constructor (src/android never makes a Context). */
    Context() {}

    /** API 1. */
    public static final int MODE_PRIVATE = 0;

    /** API 1. */
    public abstract Context getApplicationContext();

    /** API 1. */
    public abstract SharedPreferences getSharedPreferences(String name, int mode);
}
