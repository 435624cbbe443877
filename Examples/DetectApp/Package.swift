// swift-tools-version:5.10
// An app that uses swiftnet the way any package does: by URL and version. SWIFTNET_URL points it at another copy
// (the project's test builds it against a tagged local clone through a file:// URL).
import PackageDescription

let swiftnet = Context.environment["SWIFTNET_URL"] ?? "https://github.com/swiftnet/swiftnet.git"

let package = Package(
    name: "DetectApp",
    dependencies: [
        .package(url: swiftnet, from: "0.10.0"),
    ],
    targets: [
        .executableTarget(name: "DetectApp", dependencies: [.product(name: "Swiftnet", package: "swiftnet")]),
    ]
)
