import Foundation
import VideoKitFFI

#if canImport(Security)
    import Security

    /// A ``VKSessionStore`` in the Keychain: generic-password items of service
    /// `io.videokit.session` (configurable), accessible after first unlock on this device only,
    /// never synced to iCloud or restored onto another device.
    public final class VKKeychainStore: VKSessionStore {
        private let service: String
        private let accessGroup: String?

        /// - Parameters:
        ///   - service: the Keychain service name of the items.
        ///   - accessGroup: a Keychain access group to share sessions with app extensions.
        public init(service: String = "io.videokit.session", accessGroup: String? = nil) {
            self.service = service
            self.accessGroup = accessGroup
        }

        private func query(_ key: String) -> [String: Any] {
            var q: [String: Any] = [
                kSecClass as String: kSecClassGenericPassword,
                kSecAttrService as String: service,
                kSecAttrAccount as String: key,
            ]
            if let g = accessGroup { q[kSecAttrAccessGroup as String] = g }
            return q
        }

        /// The record under `key`, or `nil`; throws ``VKError`` (``VKErrorKind/storage``) on a Keychain error.
        public func load(key: String) throws -> Data? {
            var q = query(key)
            q[kSecReturnData as String] = true
            q[kSecMatchLimit as String] = kSecMatchLimitOne
            var out: CFTypeRef?
            let status = SecItemCopyMatching(q as CFDictionary, &out)
            switch status {
            case errSecSuccess: return out as? Data
            case errSecItemNotFound: return nil
            default: throw VKError(kind: .storage, detail: "Keychain read failed (OSStatus \(status))")
            }
        }

        /// Save (replace) the record under `key`, accessible after first unlock, this device only.
        public func save(key: String, record: Data) throws {
            let attrs: [String: Any] = [
                kSecValueData as String: record,
                kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
            ]
            var status = SecItemUpdate(query(key) as CFDictionary, attrs as CFDictionary)
            if status == errSecItemNotFound {
                var add = query(key)
                add.merge(attrs) { _, new in new }
                status = SecItemAdd(add as CFDictionary, nil)
            }
            guard status == errSecSuccess else { throw VKError(kind: .storage, detail: "Keychain write failed (OSStatus \(status))") }
        }

        /// Delete the record under `key`, if any.
        public func clear(key: String) throws {
            let status = SecItemDelete(query(key) as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw VKError(kind: .storage, detail: "Keychain delete failed (OSStatus \(status))")
            }
        }
    }
#endif
