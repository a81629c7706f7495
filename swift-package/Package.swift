// swift-tools-version:5.9
// VideoKit for iOS and macOS: the Rust core as an XCFramework (binary target `videokit_ffiFFI`),
// and the Swift module `VideoKitCore` = the generated UniFFI bindings
// (Sources/VideoKitCore/Generated/, written by scripts/build-xcframework.sh, never committed on
// main) + the handwritten layer (VKSession & co.).
//
// Swift concurrency (async/await, AsyncStream) back-deploys to iOS 13 / macOS 10.15 when built
// with Xcode 13.2 or later; this manifest needs Xcode 15 (tools 5.9) anyway.
import Foundation
import PackageDescription

// MARK: Which XCFramework

/// Development: `true` always uses the local `videokit_ffiFFI.xcframework` next to this file
/// (built by `scripts/build-xcframework.sh`). It is also used when that folder exists, or when
/// `VIDEOKIT_LOCAL_XCFRAMEWORK` is set (to `1`, or to another path inside this package).
let useLocalFramework = false
let localFrameworkPath = "videokit_ffiFFI.xcframework"

/// Release: the zipped XCFramework and its SwiftPM checksum. `scripts/build-xcframework.sh`
/// rewrites the checksum line (and, with `--release-url URL`, the URL line).
let releaseURL = "https://github.com/videokit/videokit/releases/download/0.1.0/videokit_ffiFFI.xcframework.zip"
let releaseChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let envPath = ProcessInfo.processInfo.environment["VIDEOKIT_LOCAL_XCFRAMEWORK"] ?? ""
let localPath = (envPath.isEmpty || envPath == "1") ? localFrameworkPath : envPath
let useLocal = useLocalFramework || !envPath.isEmpty
    || FileManager.default.fileExists(atPath: packageDir + "/" + localFrameworkPath)

let ffiTarget: Target = useLocal
    ? .binaryTarget(name: "videokit_ffiFFI", path: localPath)
    : .binaryTarget(name: "videokit_ffiFFI", url: releaseURL, checksum: releaseChecksum)

// MARK: Package

let package = Package(
    name: "VideoKit",
    platforms: [.iOS(.v13), .macOS(.v11)],
    products: [
        .library(name: "VideoKitCore", targets: ["VideoKitCore"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "VideoKitCore",
            dependencies: ["videokit_ffiFFI"],
            path: "Sources/VideoKitCore"
        ),
        .testTarget(
            name: "VideoKitCoreTests",
            dependencies: ["VideoKitCore"],
            path: "Tests/VideoKitCoreTests"
        ),
    ],
    swiftLanguageVersions: [.v5]
)
