package android.security.keystore;

import java.security.spec.AlgorithmParameterSpec;

/** android.security.keystore.KeyGenParameterSpec (API 23). */
public final class KeyGenParameterSpec implements AlgorithmParameterSpec {
    private KeyGenParameterSpec() {}

    /** android.security.keystore.KeyGenParameterSpec.Builder (API 23). */
    public static final class Builder {
        /** API 23. */
        public Builder(String keystoreAlias, int purposes) { throw new RuntimeException("Stub!"); }

        /** API 23. */
        public Builder setBlockModes(String... blockModes) { throw new RuntimeException("Stub!"); }

        /** API 23. */
        public Builder setEncryptionPaddings(String... paddings) { throw new RuntimeException("Stub!"); }

        /** API 23. */
        public Builder setKeySize(int keySize) { throw new RuntimeException("Stub!"); }

        /** API 23. */
        public KeyGenParameterSpec build() { throw new RuntimeException("Stub!"); }
    }
}
