// Android-only: compiled into the AAR (see build.gradle.kts), not into the desktop JVM jar.
package io.videokit.core

import android.app.Application
import android.content.Context
import android.content.SharedPreferences
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.util.Base64
import java.security.KeyStore
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * A [VKSessionStore] for Android: session records (they contain the session token) are
 * encrypted with AES-256-GCM under a key that lives in the Android Keystore and never leaves
 * it, then kept in a private (`MODE_PRIVATE`) SharedPreferences file, [fileName].
 *
 * No AndroidX dependency (EncryptedSharedPreferences is deprecated). A record that cannot be
 * decrypted (the key was lost with a backup restore to another device, say) reads as absent,
 * so the next `start` simply fetches a new session. Exclude [fileName] from Auto Backup if
 * you want restored apps to start fresh without that round trip.
 *
 * ```kotlin
 * VKSession.current.configure(VKConfiguration(store = VKSharedPreferencesStore(applicationContext)))
 * ```
 *
 * @param context any context; its application context is kept.
 * @param fileName the SharedPreferences file.
 * @param keyAlias the Android Keystore alias of the encryption key.
 */
class VKSharedPreferencesStore @JvmOverloads constructor(
    context: Context,
    private val fileName: String = "io.videokit.session",
    private val keyAlias: String = "io.videokit.session.key",
) : VKSessionStore, VKForegroundSource {
    private val application: Application? = context.applicationContext as? Application

    override val foregroundKey: Any get() = application ?: this

    /** A session configured with this store re-checks expiry on foreground (see [VKSession.attach]). */
    override fun registerForeground(tracker: VKForegroundTracker) {
        application?.let { VKActivityLifecycle(it).registerForeground(tracker) }
    }

    private val prefs: SharedPreferences = context.applicationContext.getSharedPreferences(fileName, Context.MODE_PRIVATE)

    /** The stored record for [key], decrypted; `null` when absent or unreadable. */
    override fun load(key: String): ByteArray? {
        val encoded = prefs.getString(prefKey(key), null) ?: return null
        return try {
            val blob = Base64.decode(encoded, Base64.NO_WRAP)
            if (blob.size <= IV_BYTES) return null
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, secretKey(), GCMParameterSpec(TAG_BITS, blob, 0, IV_BYTES))
            cipher.doFinal(blob, IV_BYTES, blob.size - IV_BYTES)
        } catch (e: Exception) {
            clear(key) // undecryptable (lost key, tampering): forget it, fetch anew
            null
        }
    }

    /** Encrypts [record] and saves it under [key]. */
    override fun save(key: String, record: ByteArray) {
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.ENCRYPT_MODE, secretKey())
        val iv = cipher.iv
        val blob = iv + cipher.doFinal(record)
        if (!prefs.edit().putString(prefKey(key), Base64.encodeToString(blob, Base64.NO_WRAP)).commit()) {
            throw java.io.IOException("could not write the SharedPreferences file '$fileName'")
        }
    }

    /** Removes the record under [key]. */
    override fun clear(key: String) {
        prefs.edit().remove(prefKey(key)).apply()
    }

    private fun prefKey(key: String) = "record." + key

    @Synchronized
    private fun secretKey(): SecretKey {
        val ks = KeyStore.getInstance(ANDROID_KEYSTORE).apply { load(null) }
        (ks.getEntry(keyAlias, null) as? KeyStore.SecretKeyEntry)?.let { return it.secretKey }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, ANDROID_KEYSTORE)
        generator.init(
            KeyGenParameterSpec.Builder(keyAlias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
                .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
                .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
                .setKeySize(256)
                .build(),
        )
        return generator.generateKey()
    }

    private companion object {
        const val ANDROID_KEYSTORE = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val IV_BYTES = 12
        const val TAG_BITS = 128
    }
}
