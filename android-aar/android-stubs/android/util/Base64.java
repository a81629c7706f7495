package android.util;

/** android.util.Base64 (API 8). */
public class Base64 {
    private Base64() {}

    /** API 8. */
    public static final int NO_WRAP = 2;

    /** API 8. */
    public static byte[] decode(String str, int flags) { throw new RuntimeException("Stub!"); }

    /** API 8. */
    public static String encodeToString(byte[] input, int flags) { throw new RuntimeException("Stub!"); }
}
