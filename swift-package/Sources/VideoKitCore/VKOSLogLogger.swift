import Foundation
import VideoKitFFI

#if canImport(os)
    import os

    /// The default ``VKLogger``: unified logging (os_log), subsystem `io.videokit`, category = the
    /// SDK's log target ("videokit", "videokit::http", …). The SDK never logs a secret.
    public final class VKOSLogLogger: VKLogger, @unchecked Sendable {  // `logs` is guarded by `lock`
        private let subsystem: String
        private var logs: [String: OSLog] = [:]
        private let lock = NSLock()

        /// - Parameter subsystem: the unified-logging subsystem (`io.videokit` by default).
        public init(subsystem: String = "io.videokit") {
            self.subsystem = subsystem
        }

        /// Write one record: `error` → `.error`, `warn` → `.default`, `info` → `.info`,
        /// `debug`/`trace` → `.debug`. Messages are `%{public}` (the SDK never logs a secret).
        public func log(level: VKLogLevel, target: String, message: String) {
            lock.lock()
            let log = logs[target] ?? OSLog(subsystem: subsystem, category: target)
            logs[target] = log
            lock.unlock()
            let type: OSLogType
            switch level {
            case .error: type = .error
            case .warn: type = .default
            case .info: type = .info
            case .debug, .trace: type = .debug
            }
            os_log("%{public}@", log: log, type: type, message)
        }
    }
#else
    /// Fallback where os_log does not exist: standard error.
    public final class VKOSLogLogger: VKLogger {
        /// - Parameter subsystem: ignored here.
        public init(subsystem: String = "io.videokit") {}
        /// Write one record to standard error.
        public func log(level: VKLogLevel, target: String, message: String) {
            FileHandle.standardError.write("[\(target)] \(message)\n".data(using: .utf8) ?? Data())
        }
    }
#endif
