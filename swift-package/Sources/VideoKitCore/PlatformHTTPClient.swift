import Foundation
import VideoKitFFI

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

// The SDK's HTTP requests go through the platform's own stack: URLSession, with the system
// trust store (and user/MDM-installed CAs), the system proxy and App Transport Security. The
// Rust core keeps every policy (https only, the overall deadline, the body cap, status
// classification, retries); this class only moves bytes. It mirrors the Kotlin
// PlatformHttpClient (android-aar/src/main/kotlin/io/videokit/core/PlatformHttpClient.kt).

/// ``VkHttpClient`` over one ephemeral `URLSession` (no cookies, no cache, no redirects). One
/// instance serves every core: a `URLSession` keeps its delegate alive until invalidated.
final class PlatformHTTPClient: NSObject, VkHttpClient, URLSessionDataDelegate, @unchecked Sendable {
    static let shared = PlatformHTTPClient()

    /// One request in flight: its limit, what has arrived, and who waits for it.
    private final class Exchange {
        let limit: UInt64
        let continuation: CheckedContinuation<VkHttpResponse, Error>
        var response: HTTPURLResponse?
        var body = Data()
        var failure: VkHttpError?
        init(limit: UInt64, continuation: CheckedContinuation<VkHttpResponse, Error>) {
            self.limit = limit
            self.continuation = continuation
        }
    }

    private let lock = NSLock()
    private var exchanges: [Int: Exchange] = [:]

    /// Made on the first request, on an SDK thread, under `lock` (a `lazy var` would not be
    /// safe from concurrent first calls): creating a `URLSession` is not free, and a cold start
    /// must not pay for it on the app's thread.
    private var madeSession: URLSession?

    private var session: URLSession {
        lock.locked {
            if let s = madeSession { return s }
            let s = makeSession()
            madeSession = s
            return s
        }
    }

    private func makeSession() -> URLSession {
        let c = URLSessionConfiguration.ephemeral
        c.requestCachePolicy = .reloadIgnoringLocalCacheData
        c.urlCache = nil
        c.httpCookieStorage = nil
        c.httpShouldSetCookies = false
        c.httpMaximumConnectionsPerHost = 2
        let queue = OperationQueue()
        queue.name = "videokit-http"
        queue.maxConcurrentOperationCount = 1
        return URLSession(configuration: c, delegate: self, delegateQueue: queue)
    }

    func send(request: VkHttpRequest) async throws -> VkHttpResponse {
        guard let url = URL(string: request.url) else {
            throw VkHttpError.Connect(detail: "not a valid URL")
        }
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: TimeInterval(request.timeoutMs) / 1000)
        r.httpMethod = request.method
        r.httpShouldHandleCookies = false
        for h in request.headers { r.addValue(h.value, forHTTPHeaderField: h.name) }
        // No compression: the body cap counts bytes as they arrive, and a compressed reply would
        // be unpacked by the URL loading system before that (1 MB of gzip unpacked to 1 GiB took
        // a Linux process to 2.3 GB).
        r.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        r.httpBody = request.body
        let task = session.dataTask(with: r)
        // Cancelled when the core's deadline passes or the session stops: the task is
        // cancelled and its completion (NSURLErrorCancelled) resumes the continuation.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<VkHttpResponse, Error>) in
                lock.lock()
                exchanges[task.taskIdentifier] = Exchange(limit: request.maxBodyBytes, continuation: cont)
                lock.unlock()
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
    }

    private func exchange(_ task: URLSessionTask) -> Exchange? {
        lock.lock()
        defer { lock.unlock() }
        return exchanges[task.taskIdentifier]
    }

    // MARK: URLSessionDataDelegate (on the session's serial queue)

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        guard let ex = exchange(dataTask) else { return completionHandler(.cancel) }
        ex.response = response as? HTTPURLResponse
        if response.expectedContentLength > 0 && UInt64(response.expectedContentLength) > ex.limit {
            ex.failure = .BodyTooLarge(detail: "\(response.expectedContentLength) bytes")
            return completionHandler(.cancel)
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard let ex = exchange(dataTask) else { return }
        if UInt64(ex.body.count) + UInt64(data.count) > ex.limit {
            ex.failure = .BodyTooLarge(detail: "over \(ex.limit) bytes")
            dataTask.cancel()
            return
        }
        ex.body.append(data)
    }

    /// A 3xx is an answer: credentials never follow a redirect.
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let ex = exchanges.removeValue(forKey: task.taskIdentifier)
        lock.unlock()
        guard let ex = ex else { return }
        if let failure = ex.failure {
            return ex.continuation.resume(throwing: failure)
        }
        if let error = error {
            return ex.continuation.resume(throwing: Self.classify(error))
        }
        guard let http = ex.response else {
            return ex.continuation.resume(throwing: VkHttpError.Network(detail: "not an HTTP response"))
        }
        var headers: [VkHttpHeader] = []
        for (name, value) in http.allHeaderFields {
            let key = (name.base as? String) ?? "\(name)"
            headers.append(VkHttpHeader(name: key.lowercased(), value: (value as? String) ?? "\(value)"))
        }
        ex.continuation.resume(returning: VkHttpResponse(status: UInt16(clamping: http.statusCode), headers: headers, body: ex.body))
    }

    /// The typed error for a failure of the URL loading system. Its text names the cause,
    /// never a header or a body.
    static func classify(_ error: Error) -> VkHttpError {
        guard let e = error as? URLError else {
            return .Network(detail: "\(type(of: error))")
        }
        let detail = "URLError \(e.code.rawValue)"
        switch e.code {
        case .timedOut:
            return .Timeout(detail: detail)
        case .cannotFindHost, .cannotConnectToHost, .dnsLookupFailed, .notConnectedToInternet,
            .internationalRoamingOff, .dataNotAllowed, .secureConnectionFailed,
            .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
            .serverCertificateHasUnknownRoot, .clientCertificateRejected, .clientCertificateRequired,
            .appTransportSecurityRequiresSecureConnection:
            return .Connect(detail: detail)
        default:
            return .Network(detail: detail)
        }
    }
}
