import Foundation
import VideoKitFFI
import XCTest

@testable import VideoKitCore

// The URLSession client on its own, against a one-file HTTP server on 127.0.0.1 (no devserver):
// a redirect is an answer, never followed; the body cap holds for declared and chunked bodies.
// These pin that the URLSession delegate methods are the ones the platform calls: a method whose
// signature drifts from the protocol's is silently never called (URLSession then follows the
// redirect and reads any body).
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Answers every connection with the next canned response; counts requests and their paths.
final class CannedHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private let responses: [String]
    private let lock = NSLock()
    private var paths: [String] = []
    private var heads: [String] = []

    init(_ responses: [String]) throws {
        self.responses = responses
        #if canImport(Glibc)
            let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let sock = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard sock >= 0 else { throw TestFailure("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, size) } }
        guard bound == 0, listen(sock, 16) == 0 else {
            close(sock)
            throw TestFailure("bind/listen failed")
        }
        var out = sockaddr_in()
        var len = size
        _ = withUnsafeMutablePointer(to: &out) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = UInt16(bigEndian: out.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    var requestHeads: [String] {
        lock.lock()
        defer { lock.unlock() }
        return heads
    }
    var requestPaths: [String] {
        lock.lock()
        defer { lock.unlock() }
        return paths
    }
    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        var i = 0
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            var head = [UInt8]()
            var buf = [UInt8](repeating: 0, count: 4096)
            while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
                let n = read(c, &buf, buf.count)
                if n <= 0 { break }
                head.append(contentsOf: buf[0..<n])
            }
            let line = String(decoding: head, as: UTF8.self).split(separator: "\r\n").first ?? ""
            let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            lock.lock()
            paths.append(path)
            heads.append(String(decoding: head, as: UTF8.self))
            lock.unlock()
            let reply = Array(responses[min(i, responses.count - 1)].utf8)
            i += 1
            _ = reply.withUnsafeBytes { write(c, $0.baseAddress, reply.count) }
            close(c)
        }
    }
}

final class PlatformHTTPClientTests: XCTestCase {
    private func get(_ server: CannedHTTPServer, maxBody: UInt64 = 1024) throws -> Result<VkHttpResponse, Error> {
        let req = VkHttpRequest(
            method: "GET", url: server.url + "/a", headers: [], body: nil,
            connectTimeoutMs: 2000, timeoutMs: 5000, maxBodyBytes: maxBody)
        return try runBlocking { () async -> Result<VkHttpResponse, Error> in
            do { return .success(try await PlatformHTTPClient.shared.send(request: req)) } catch { return .failure(error) }
        }
    }

    func testARedirectIsAnAnswerAndNotFollowed() throws {
        let server = try CannedHTTPServer([
            "HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        ])
        defer { server.stop() }
        let r = try get(server).get()
        XCTAssertEqual(r.status, 302)
        XCTAssertEqual(server.requestPaths, ["/a"], "the redirect must not be followed")
    }

    func testADeclaredBodyOverTheCapIsRefused() throws {
        let server = try CannedHTTPServer([
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n" + String(repeating: "x", count: 100)
        ])
        defer { server.stop() }
        guard case .failure(let e) = try get(server, maxBody: 10) else { return XCTFail("a 100-byte body passed a 10-byte cap") }
        guard case VkHttpError.BodyTooLarge(let detail) = e else { return XCTFail("expected BodyTooLarge, got \(e)") }
        // Refused from the declared length where the platform reports it before the body
        // (Apple), else as the bytes arrive (swift-corelibs-foundation).
        XCTAssertTrue(["100 bytes", "over 10 bytes"].contains(detail), detail)
    }

    func testAChunkedBodyOverTheCapIsRefused() throws {
        let chunk = String(repeating: "y", count: 64)
        let server = try CannedHTTPServer([
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n40\r\n\(chunk)\r\n0\r\n\r\n"
        ])
        defer { server.stop() }
        guard case .failure(let e) = try get(server, maxBody: 10) else { return XCTFail("a 64-byte chunked body passed a 10-byte cap") }
        guard case VkHttpError.BodyTooLarge = e else { return XCTFail("expected BodyTooLarge, got \(e)") }
    }

    func testABodyWithinTheCapArrivesWhole() throws {
        let server = try CannedHTTPServer(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Test: yes\r\nConnection: close\r\n\r\nhello"])
        defer { server.stop() }
        let r = try get(server).get()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.body, Data("hello".utf8))
        XCTAssertEqual(r.headers.first { $0.name == "x-test" }?.value, "yes")
        // No compression asked for: a compressed body would be unpacked before the cap counts it.
        let head = server.requestHeads.first?.lowercased() ?? ""
        XCTAssertTrue(head.contains("accept-encoding: identity\r\n"), head)
    }
}
