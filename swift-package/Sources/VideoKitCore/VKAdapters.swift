import Foundation
import VideoKitFFI

// Adapters between the app-facing protocols and the generated UniFFI foreign traits.
// They hold no logic beyond translation and the hop to the app's callback queue.

final class StoreAdapter: VkSessionStore, @unchecked Sendable {
    private let store: VKSessionStore
    init(_ store: VKSessionStore) { self.store = store }

    /// The largest record the core reads; an oversized one crosses the FFI cut to one byte
    /// more, which the core then refuses and clears.
    static let maxRecord = Int(maxStoredRecordBytes())

    func load(key: String) throws -> Data? {
        let data: Data?
        do { data = try store.load(key: key) } catch { throw Self.failure("load", error) }
        guard let data, data.count > Self.maxRecord else { return data }
        return Data(data.prefix(Self.maxRecord + 1))
    }
    func save(key: String, record: Data) throws {
        do { try store.save(key: key, record: record) } catch { throw Self.failure("save", error) }
    }
    func clear(key: String) throws {
        do { try store.clear(key: key) } catch { throw Self.failure("clear", error) }
    }

    /// A ``VKError`` keeps its detail; any other error only its type (its text could hold a secret).
    private static func failure(_ op: String, _ error: Error) -> VkError {
        if let e = error as? VKError { return VKError(kind: .storage, detail: "\(op): \(e.detail)", code: e.code).ffi }
        return VKError(kind: .storage, detail: "\(op): the session store threw \(type(of: error))").ffi
    }
}

final class ProviderAdapter: VkTokenProvider, @unchecked Sendable {
    private let provider: VKTokenProvider
    init(_ provider: VKTokenProvider) { self.provider = provider }

    func fetchToken(identity: String?) async throws -> VkProvidedToken {
        do {
            let t = try await provider.fetchToken(identity: identity)
            return VkProvidedToken(token: t.token, expiresAt: t.expiresAt)
        } catch let e as VKError {
            throw e.ffi
        } catch {
            // Any other error is transient (retried); its text is not passed on (it may hold secrets).
            throw VKError(kind: .network, detail: "the token provider threw \(type(of: error))").ffi
        }
    }
}

final class LoggerAdapter: VkLogger, @unchecked Sendable {
    private let logger: VKLogger
    init(_ logger: VKLogger) { self.logger = logger }

    func log(record: VkLogRecord) throws {
        logger.log(level: VKLogLevel(record.level), target: record.target, message: record.message)
    }
}

/// Returned by ``VKSession/addListener(_:)`` and ``VKSession/addTokenListener(_:)``; `remove()` stops the deliveries.
public final class VKListenerToken: @unchecked Sendable {
    private let onRemove: () -> Void
    private var done = false
    private let lock = NSLock()

    /// A token that runs `onRemove` once, on the first ``remove()``: for test doubles of
    /// ``VKSessionProtocol``.
    public init(onRemove: @escaping () -> Void) { self.onRemove = onRemove }

    /// Stop receiving state changes. Safe to call more than once.
    public func remove() {
        lock.lock()
        let first = !done
        done = true
        lock.unlock()
        if first { onRemove() }
    }
}
