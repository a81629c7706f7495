package android.content;

/** android.content.SharedPreferences (API 1). */
public interface SharedPreferences {
    /** API 1. */
    String getString(String key, String defValue);

    /** API 1. */
    Editor edit();

    /** android.content.SharedPreferences.Editor (API 1). */
    interface Editor {
        /** API 1. */
        Editor putString(String key, String value);

        /** API 1. */
        Editor remove(String key);

        /** API 1. */
        boolean commit();

        /** API 9. */
        void apply();
    }
}
