package android.security.keystore;

/** android.security.keystore.KeyProperties (API 23). */
public abstract class KeyProperties {
    private KeyProperties() {}

    /** API 23. */
    public static final String KEY_ALGORITHM_AES = "AES";
    /** API 23. */
    public static final int PURPOSE_ENCRYPT = 1;
    /** API 23. */
    public static final int PURPOSE_DECRYPT = 2;
    /** API 23. */
    public static final String BLOCK_MODE_GCM = "GCM";
    /** API 23. */
    public static final String ENCRYPTION_PADDING_NONE = "NoPadding";
}
