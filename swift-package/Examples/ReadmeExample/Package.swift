// swift-tools-version:6.0
// The README's Swift example as an app package of its own: it depends on the SDK by path, the
// way your app does during development. scripts/test-swift.sh builds and runs it against
// `videokit serve` (Linux: after `bash scripts/prepare-swift.sh`; run it with
// `bash scripts/swift.sh run ReadmeExample http://127.0.0.1:PORT` from this folder).
import PackageDescription

let package = Package(
    name: "ReadmeExample",
    platforms: [.macOS(.v11)],
    dependencies: [
        .package(name: "VideoKit", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "ReadmeExample",
            dependencies: [.product(name: "VideoKitCore", package: "VideoKit")]
        )
    ]
)
