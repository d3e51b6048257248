// swift-tools-version:6.0
import PackageDescription

// Data flow: queue (TowerQueue) → worker (TowerWorker) → store (TowerStore/LibPQ) → model (TowerModel/TowerMath).
// The ranking library (TowerRanking) depends on LibPQ alone, so a shop's server links nothing else.
let package = Package(
    name: "Tower",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tower", targets: ["tower"]),
        .executable(name: "towerd", targets: ["towerd"]),
        .library(name: "TowerRanking", targets: ["TowerRanking"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.12.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    ],
    targets: [
        // System libraries (module map + shim header, found through pkg-config).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Typed, non-variadic wrappers over curl_easy_setopt/getinfo (Swift cannot call C variadics).
        .target(name: "CCurlShim", dependencies: ["CCurl"]),

        .target(name: "TowerConfig", dependencies: [.product(name: "Logging", package: "swift-log")]),
        .target(name: "TowerJSON"),
        // Load-time OpenBLAS kernel selection (a constructor in every binary that links TowerMath; docs/blas.md).
        .target(name: "CTowerBLASKernel", dependencies: ["COpenBLAS"]),
        .target(name: "TowerMath", dependencies: ["COpenBLAS", "CTowerBLASKernel"]),
        .target(name: "TowerRerank"),
        // The user tower's forward pass and the model files: all that towerd runs.
        .target(name: "TowerModel", dependencies: ["TowerMath", "TowerRerank"]),
        // The event log, the offline metrics and the baselines (`tower evaluate`; training validates with them).
        .target(name: "TowerEvaluation", dependencies: ["TowerModel", "TowerMath", "TowerRerank"]),
        // The user tower's backward pass, its trainer and the re-ranker's (`tower train`).
        .target(name: "TowerTraining", dependencies: ["TowerEvaluation", "TowerModel", "TowerMath", "TowerRerank"]),
        // MiniLM and the product text it encodes (`tower catalog embed`).
        .target(name: "TowerTextEncoder", dependencies: ["TowerModel", "TowerMath"]),
        .target(name: "LibPQ", dependencies: ["CLibPQ"]),
        .target(name: "TowerStore", dependencies: ["LibPQ", "TowerConfig", "TowerJSON", "TowerMath", "TowerRerank", "CZlib"]),
        .target(name: "TowerQueue", dependencies: ["CCurlShim", "TowerConfig", "TowerJSON"]),
        .target(name: "TowerWorker", dependencies: [
            "TowerQueue", "TowerStore", "TowerModel", "TowerConfig", "TowerJSON",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "TowerRanking", dependencies: ["LibPQ", "TowerRerank"]),
        // The HTTP API (`tower serve`): routes over TowerRanking, on Hummingbird.
        .target(name: "TowerServe", dependencies: [
            "TowerRanking", "TowerRerank", "TowerWorker", "TowerModel", "TowerConfig", "TowerJSON",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "towerd", dependencies: [
            "TowerWorker", "TowerModel", "TowerConfig", "TowerMath",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "tower", dependencies: [
            "TowerWorker", "TowerRanking", "TowerRerank", "TowerServe", "TowerStore", "TowerModel", "TowerEvaluation",
            "TowerTraining", "TowerTextEncoder", "TowerQueue", "TowerConfig", "TowerMath",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests: one target per module; integration tests use the servers of deploy/local.sh.
        .target(name: "TowerTestSupport", dependencies: ["LibPQ", "TowerConfig", "TowerEvaluation", "TowerModel", "TowerMath"],
                path: "Tests/TowerTestSupport"),
        .testTarget(name: "LibPQTests", dependencies: ["LibPQ", "TowerTestSupport"]),
        .testTarget(name: "TowerConfigTests", dependencies: ["TowerConfig"]),
        .testTarget(name: "TowerJSONTests", dependencies: ["TowerJSON"]),
        .testTarget(name: "TowerMathTests", dependencies: ["TowerMath"]),
        .testTarget(name: "TowerRerankTests", dependencies: ["TowerRerank"]),
        .testTarget(name: "TowerModelTests", dependencies: ["TowerModel", "TowerMath", "TowerTestSupport"]),
        .testTarget(name: "TowerEvaluationTests", dependencies: ["TowerEvaluation", "TowerModel", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerTrainingTests", dependencies: ["TowerTraining", "TowerEvaluation", "TowerModel", "TowerMath", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerTextEncoderTests", dependencies: ["TowerTextEncoder", "TowerModel", "TowerMath", "TowerConfig", "TowerTestSupport"]),
        .testTarget(name: "TowerStoreTests", dependencies: ["TowerStore", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerQueueTests", dependencies: ["TowerQueue", "TowerModel", "TowerTestSupport"]),
        .testTarget(name: "TowerWorkerTests", dependencies: ["TowerWorker", "TowerTestSupport"]),
        .testTarget(name: "TowerRankingTests", dependencies: ["TowerRanking", "TowerRerank", "TowerStore", "TowerConfig", "TowerTestSupport"]),
        .testTarget(name: "TowerServeTests", dependencies: [
            "TowerServe", "TowerRanking", "TowerStore", "TowerWorker", "TowerMath", "TowerTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

// Compiler-checked code in every Swift target: explicit `any` for existentials, and a file sees only the members
// of modules it imports itself.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
}
