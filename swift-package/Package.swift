// swift-tools-version:5.9
// VideoKit for iOS and macOS: the Rust core as an XCFramework (binary target) plus the
// generated UniFFI bindings and the handwritten Swift layer (VKSession) in `VideoKitCore`.
import PackageDescription
import Foundation

// Development: `scripts/build-xcframework.sh` leaves `videokit_ffiFFI.xcframework` next to this
// file, and it is used whenever it is there (or VIDEOKIT_LOCAL_XCFRAMEWORK is set). Release:
// without it, the URL + checksum below (rewritten by `build-xcframework.sh --release-url URL`).
let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
let useLocalFramework = FileManager.default.fileExists(atPath: packageDir + "/videokit_ffiFFI.xcframework")
    || ProcessInfo.processInfo.environment["VIDEOKIT_LOCAL_XCFRAMEWORK"] != nil
let releaseURL = "https://github.com/videokit/videokit/releases/download/0.1.0/videokit_ffiFFI.xcframework.zip"
let releaseChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

let ffiTarget: Target = useLocalFramework
    ? .binaryTarget(name: "videokit_ffiFFI", path: "videokit_ffiFFI.xcframework")
    : .binaryTarget(name: "videokit_ffiFFI", url: releaseURL, checksum: releaseChecksum)

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
    ]
)
