// swift-tools-version:6.0
// VideoKit for iOS, macOS and Linux.
//
// Three targets:
//   videokit_ffiFFI  the Rust core's C interface: on Apple platforms the XCFramework (binary
//                    target); on Linux a C module (Linux/videokit_ffiFFI: the generated header
//                    and module.modulemap) linked to the cargo-built libvideokit_ffi.so.
//   VideoKitFFI      the generated UniFFI bindings (Sources/VideoKitFFI/VideoKitFFI.swift),
//                    Swift 5 language mode: Swift 6.0.3 crashes compiling UniFFI 0.32's
//                    generated code in Swift 6 mode (SIL pass TransferNonSendable).
//   VideoKitCore     the handwritten layer apps use (VKSession & co.), Swift 6 language mode
//                    with complete strict concurrency.
// Nothing generated is committed on main: `bash scripts/prepare-swift.sh` writes it on Linux
// (and macOS for local development); `scripts/build-xcframework.sh` on a Mac for releases.
import Foundation
import PackageDescription

let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

// MARK: Apple: which XCFramework

/// Development: `true` always uses the local `videokit_ffiFFI.xcframework` next to this file
/// (built by `scripts/build-xcframework.sh`). It is also used when that folder exists, or when
/// `VIDEOKIT_LOCAL_XCFRAMEWORK` is set (to `1`, or to another path inside this package).
let useLocalFramework = false
let localFrameworkPath = "videokit_ffiFFI.xcframework"

/// Release: the zipped XCFramework and its SwiftPM checksum. `scripts/build-xcframework.sh`
/// rewrites the checksum line (and, with `--release-url URL`, the URL line).
let releaseURL = "https://github.com/videokit/videokit/releases/download/0.1.0/videokit_ffiFFI.xcframework.zip"
let releaseChecksum = "0000000000000000000000000000000000000000000000000000000000000000"

let envPath = ProcessInfo.processInfo.environment["VIDEOKIT_LOCAL_XCFRAMEWORK"] ?? ""
let localPath = (envPath.isEmpty || envPath == "1") ? localFrameworkPath : envPath
let useLocal =
    useLocalFramework || !envPath.isEmpty
    || FileManager.default.fileExists(atPath: packageDir + "/" + localFrameworkPath)

// MARK: Linux: the C module and the cargo-built library

/// Written by `scripts/prepare-swift.sh`: the header + module map, and the library it links.
let linuxModulePath = "Linux/videokit_ffiFFI"
let linuxLibDir = packageDir + "/Linux/lib"

#if os(Linux)
    let ffiTarget: Target = .systemLibrary(name: "videokit_ffiFFI", path: linuxModulePath)
    // The module map says `link "videokit_ffi"`; this says where, for the build and at run time.
    let ffiLinkerSettings: [LinkerSetting] = [
        .unsafeFlags(["-L\(linuxLibDir)", "-Xlinker", "-rpath", "-Xlinker", linuxLibDir])
    ]
#else
    let ffiTarget: Target =
        useLocal
        ? .binaryTarget(name: "videokit_ffiFFI", path: localPath)
        : .binaryTarget(name: "videokit_ffiFFI", url: releaseURL, checksum: releaseChecksum)
    let ffiLinkerSettings: [LinkerSetting] = []
#endif

// MARK: Package

let package = Package(
    name: "VideoKit",
    platforms: [.iOS(.v13), .macOS(.v11)],
    products: [
        .library(name: "VideoKitCore", targets: ["VideoKitCore"])
    ],
    targets: [
        ffiTarget,
        .target(
            name: "VideoKitFFI",
            dependencies: ["videokit_ffiFFI"],
            path: "Sources/VideoKitFFI",
            swiftSettings: [.swiftLanguageMode(.v5)],
            linkerSettings: ffiLinkerSettings
        ),
        .target(
            name: "VideoKitCore",
            dependencies: ["VideoKitFFI"],
            path: "Sources/VideoKitCore",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // `scripts/bench-swift.sh`: the cost per call from Swift (not part of the product).
        .executableTarget(
            name: "VideoKitBench",
            dependencies: ["VideoKitCore", "VideoKitFFI"],
            path: "Benchmarks/VideoKitBench",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // `scripts/bench-coldstart-swift.sh`: cold start in a fresh process (not part of the product).
        .executableTarget(
            name: "VideoKitColdStart",
            dependencies: ["VideoKitCore"],
            path: "Benchmarks/VideoKitColdStart",
            swiftSettings: [.swiftLanguageMode(.v5)]  // top-level script code
        ),
        .testTarget(
            name: "VideoKitCoreTests",
            dependencies: ["VideoKitCore"],
            path: "Tests/VideoKitCoreTests",
            // The tests block threads on semaphores the way XCTest tests do; Swift 5 mode.
            swiftSettings: [.swiftLanguageMode(.v5)]
        ),
    ]
)
