// swift-tools-version:6.1
import PackageDescription

// No unsafe flags anywhere: SwiftPM refuses packages with them as versioned dependencies. Release builds are
// whole-module optimised by default, and the kernels' hot loops run over unsafe buffer pointers explicitly.

let package = Package(
    name: "swiftnet",
    products: [
        .executable(name: "swiftnet", targets: ["SwiftnetCLI"]),
        .library(name: "Swiftnet", targets: ["Swiftnet", "SwiftnetFormat", "SwiftnetCore", "SwiftnetLayers", "SwiftnetData", "SwiftnetDetect", "SwiftnetEval", "SwiftnetTrain", "SwiftnetZoo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // The detection service (`swiftnet serve`); the library product does not use them.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // C libraries, as system-library targets.
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CImageCodec", dependencies: ["CJPEG", "CPNG"],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),

        // Format layer: cfg / .data / .names / .weights parsing, no math.
        .target(name: "SwiftnetFormat"),
        // Core: tensors, kernels, GEMM behind one interface, threading.
        .target(name: "SwiftnetCore", dependencies: ["SwiftnetFormat", "COpenBLAS", "CKernels"]),
        // Wide-vector (AVX-512 / AVX2) activation kernels, chosen at run time from the CPU.
        .target(name: "CKernels"),
        // Layers: one file per cfg section, the network graph, weights binding.
        .target(name: "SwiftnetLayers", dependencies: ["SwiftnetFormat", "SwiftnetCore"]),
        // Data: image decode/encode, darknet's resize and letterbox, drawing.
        .target(name: "SwiftnetData", dependencies: ["SwiftnetFormat", "SwiftnetCore", "CImageCodec"]),
        // Evaluation: darknet's `detector map` and pycocotools' COCO AP, from files or live detections.
        .target(name: "SwiftnetEval", dependencies: ["SwiftnetFormat", "SwiftnetCore"]),
        // Detection: boxes, NMS, the detect pipeline and its output formats.
        .target(name: "SwiftnetDetect", dependencies: ["SwiftnetLayers", "SwiftnetData", "SwiftnetEval"]),

        // Training: schedule, optimizer, data loading, the training loop and its checkpoints.
        .target(name: "SwiftnetTrain", dependencies: ["SwiftnetLayers", "SwiftnetData", "SwiftnetDetect", "SwiftnetEval"]),
        // Data-parallel training and evaluation across `mpirun` ranks (Open MPI); the CLI links it, the library
        // product does not, so depending on swiftnet needs no MPI.
        .target(name: "SwiftnetMPI", dependencies: ["SwiftnetCore", "CMPI"]),
        // The umbrella module: Detector and Classifier, Sendable, batching concurrent calls.
        .target(name: "Swiftnet", dependencies: ["SwiftnetFormat", "SwiftnetCore", "SwiftnetLayers", "SwiftnetData", "SwiftnetDetect"]),
        // Model zoo: cfg generators for the published network families, anchor clustering and cfg anchor rewriting.
        .target(name: "SwiftnetZoo", dependencies: ["SwiftnetFormat"]),

        // The HTTP detection service: Hummingbird 2, swift-metrics with a Prometheus backend, multipart uploads.
        .target(name: "SwiftnetServer", dependencies: [
            "Swiftnet", "SwiftnetFormat",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "MultipartKit", package: "multipart-kit"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        .executableTarget(
            name: "SwiftnetCLI",
            dependencies: [
                "SwiftnetServer", "SwiftnetMPI",
                "SwiftnetFormat", "SwiftnetCore", "SwiftnetLayers", "SwiftnetData", "SwiftnetDetect", "SwiftnetEval", "SwiftnetTrain", "SwiftnetZoo", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "FormatTests", dependencies: ["SwiftnetFormat", "TestSupport"]),
        .testTarget(name: "CoreTests", dependencies: ["SwiftnetCore", "SwiftnetFormat", "TestSupport", "COpenBLAS"]),
        .testTarget(name: "LayerTests", dependencies: ["SwiftnetLayers", "SwiftnetFormat", "SwiftnetCore", "SwiftnetTrain", "TestSupport"]),
        .testTarget(name: "DataTests", dependencies: ["SwiftnetData", "TestSupport"]),
        .testTarget(name: "DetectTests", dependencies: ["SwiftnetDetect", "SwiftnetLayers", "SwiftnetData", "TestSupport"]),
        .testTarget(name: "TrainTests", dependencies: ["SwiftnetTrain", "SwiftnetLayers", "SwiftnetFormat", "SwiftnetCore", "SwiftnetData", "SwiftnetEval", "TestSupport"]),
        .testTarget(name: "EvalTests", dependencies: ["SwiftnetEval", "SwiftnetFormat", "SwiftnetCore"], exclude: ["Fixtures"]),
        .testTarget(name: "OracleTests", dependencies: ["SwiftnetDetect", "SwiftnetLayers", "SwiftnetData", "SwiftnetFormat", "TestSupport"]),
        .testTarget(name: "ZooTests", dependencies: ["SwiftnetZoo", "SwiftnetFormat", "SwiftnetLayers", "SwiftnetData", "SwiftnetEval", "TestSupport"]),
        .testTarget(name: "SwiftnetTests", dependencies: ["Swiftnet", "SwiftnetFormat", "SwiftnetLayers", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["SwiftnetCLI", "SwiftnetData", "SwiftnetFormat", "SwiftnetLayers", "SwiftnetTrain", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
