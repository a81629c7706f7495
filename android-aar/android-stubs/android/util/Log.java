package android.util;

/** android.util.Log (API 1). */
public final class Log {
    private Log() {}

    /** API 1. */
    public static final int VERBOSE = 2;
    /** API 1. */
    public static final int DEBUG = 3;
    /** API 1. */
    public static final int INFO = 4;
    /** API 1. */
    public static final int WARN = 5;
    /** API 1. */
    public static final int ERROR = 6;

    /** API 1. Stub: prints "logcat P/tag: msg" to stderr (what Logcat would show). */
    public static int println(int priority, String tag, String msg) {
        String p = "??VDIWEA".substring(Math.max(0, Math.min(priority, 7)), Math.max(0, Math.min(priority, 7)) + 1);
        System.err.println("logcat " + p + "/" + tag + ": " + msg);
        return msg.length();
    }
}
