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
        .executable(name: "tower-bench", targets: ["tower-bench"]),
        .library(name: "TowerRanking", targets: ["TowerRanking"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.12.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
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
        // The one contract of an interaction event (docs/events.md): type, strict decoder and encoder.
        .target(name: "TowerEvents", dependencies: ["TowerConfig", "TowerJSON"]),
        // Load-time OpenBLAS kernel selection (a constructor in every binary that links TowerMath; docs/blas.md).
        .target(name: "CTowerBLASKernel", dependencies: ["COpenBLAS"]),
        .target(name: "TowerMath", dependencies: ["COpenBLAS", "CTowerBLASKernel"]),
        .target(name: "TowerRerank"),
        // The user tower's forward pass and the model files: all that towerd runs.
        .target(name: "TowerModel", dependencies: ["TowerMath", "TowerRerank"]),
        // The event log, the offline metrics and the baselines (`tower evaluate`; training validates with them).
        .target(name: "TowerEvaluation", dependencies: ["TowerEvents", "TowerModel", "TowerMath", "TowerRerank"]),
        // The user tower's backward pass, its trainer and the re-ranker's (`tower train`).
        .target(name: "TowerTraining", dependencies: ["TowerEvaluation", "TowerModel", "TowerMath", "TowerRerank"]),
        // MiniLM and the product text it encodes (`tower catalog embed`).
        .target(name: "TowerTextEncoder", dependencies: ["TowerModel", "TowerMath"]),
        .target(name: "LibPQ", dependencies: ["CLibPQ"]),
        .target(name: "TowerStore", dependencies: ["LibPQ", "TowerConfig", "TowerEvents", "TowerJSON", "TowerMath", "TowerRerank", "CZlib"]),
        .target(name: "TowerQueue", dependencies: ["CCurlShim", "TowerConfig", "TowerJSON"]),
        // Use cases: what the executables do, as library functions. towerd links the daemon side (apply a batch, refresh users);
        // the offline ones (embed the catalogue, training and evaluation data, serving tables) only tower and tower-bench.
        .target(name: "TowerUseCases", dependencies: ["LibPQ", "TowerStore", "TowerModel", "TowerMath", "TowerConfig"]),
        .target(name: "TowerOfflineUseCases", dependencies: [
            "LibPQ", "TowerStore", "TowerModel", "TowerTextEncoder", "TowerEvaluation", "TowerTraining", "TowerRerank", "TowerMath", "TowerConfig",
        ]),
        // The process runtime of towerd and tower serve: lifecycle, metrics registry and endpoint, JSON logs, sd_notify.
        .target(name: "TowerRuntime", dependencies: [
            "TowerConfig", "TowerJSON",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "TowerWorker", dependencies: [
            "TowerQueue", "TowerStore", "TowerModel", "TowerUseCases", "TowerConfig", "TowerEvents", "TowerJSON", "TowerRuntime",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]),
        // The catalog snapshot's int4/int8 scans, in C with AVX-512 VNNI and AVX2 versions chosen from the CPU at run time.
        .target(name: "CTowerVectorScan"),
        .target(name: "TowerRanking", dependencies: ["LibPQ", "TowerRerank", "CTowerVectorScan"]),
        // The HTTP API (`tower serve`): routes over TowerRanking, on Hummingbird.
        .target(name: "TowerServe", dependencies: [
            "TowerRanking", "TowerRerank", "TowerRuntime", "TowerModel", "TowerConfig", "TowerJSON",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "towerd", dependencies: [
            "TowerWorker", "TowerRuntime", "TowerModel", "TowerConfig", "TowerMath",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // What `tower` and `tower-bench` share: the global options, error reporting, progress bars.
        .target(name: "TowerCLI", dependencies: [
            "LibPQ", "TowerConfig", "TowerRerank", "TowerTextEncoder", "TowerRuntime", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "tower", dependencies: [
            "TowerCLI", "TowerUseCases", "TowerOfflineUseCases", "TowerWorker", "TowerRuntime", "TowerRanking", "TowerRerank", "TowerServe",
            "TowerStore", "TowerModel", "TowerEvaluation", "TowerTraining", "TowerTextEncoder", "TowerQueue", "TowerConfig", "TowerEvents", "TowerMath",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The benchmarks, apart from the user's commands.
        .executableTarget(name: "tower-bench", dependencies: [
            "TowerCLI", "TowerUseCases", "TowerOfflineUseCases", "TowerWorker", "TowerRuntime", "TowerRanking", "TowerRerank", "TowerServe",
            "TowerStore", "TowerModel", "TowerEvaluation", "TowerTraining", "TowerTextEncoder", "TowerQueue", "TowerConfig", "TowerEvents", "TowerMath",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Tests: one target per module; integration tests use the servers of deploy/local.sh.
        .target(name: "TowerTestSupport", dependencies: ["LibPQ", "TowerConfig", "TowerEvaluation", "TowerModel", "TowerMath"],
                path: "Tests/TowerTestSupport"),
        .testTarget(name: "LibPQTests", dependencies: ["LibPQ", "TowerTestSupport"]),
        .testTarget(name: "TowerConfigTests", dependencies: ["TowerConfig"]),
        .testTarget(name: "TowerJSONTests", dependencies: ["TowerJSON"]),
        .testTarget(name: "TowerEventsTests", dependencies: ["TowerEvents", "TowerConfig", "TowerTestSupport"]),
        .testTarget(name: "TowerMathTests", dependencies: ["TowerMath"]),
        .testTarget(name: "TowerRerankTests", dependencies: ["TowerRerank"]),
        .testTarget(name: "TowerModelTests", dependencies: ["TowerModel", "TowerMath", "TowerTestSupport"]),
        .testTarget(name: "TowerEvaluationTests", dependencies: ["TowerEvaluation", "TowerEvents", "TowerModel", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerTrainingTests", dependencies: ["TowerTraining", "TowerEvaluation", "TowerEvents", "TowerModel", "TowerMath", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerTextEncoderTests", dependencies: ["TowerTextEncoder", "TowerModel", "TowerMath", "TowerConfig", "TowerTestSupport"]),
        .testTarget(name: "TowerStoreTests", dependencies: ["TowerStore", "TowerEvents", "TowerRerank", "TowerTestSupport"]),
        .testTarget(name: "TowerQueueTests", dependencies: ["TowerQueue", "TowerModel", "TowerTestSupport"]),
        .testTarget(name: "TowerWorkerTests", dependencies: ["TowerWorker", "TowerEvents", "TowerRuntime", "TowerTestSupport"]),
        .testTarget(name: "TowerRuntimeTests", dependencies: [
            "TowerRuntime", "TowerConfig", "TowerTestSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .testTarget(name: "TowerUseCasesTests", dependencies: [
            "TowerUseCases", "TowerOfflineUseCases", "LibPQ", "TowerStore", "TowerModel", "TowerTextEncoder", "TowerEvaluation", "TowerConfig",
            "TowerTestSupport",
        ]),
        .testTarget(name: "TowerRankingTests", dependencies: ["TowerRanking", "TowerRerank", "TowerStore", "TowerConfig", "TowerMath", "TowerTestSupport",
                                                        "CTowerVectorScan"]),
        .testTarget(name: "TowerServeTests", dependencies: [
            "TowerServe", "TowerRanking", "TowerRuntime", "TowerStore", "TowerWorker", "TowerMath", "TowerTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["contract.py"]),  // run by ContractTests from the source tree, not a resource
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

// A plain `import` is internal, so a module's public API cannot expose what it imports without saying so
// (`public import`): TowerRanking's API, for one, cannot leak LibPQ's types.
for target in package.targets where ["TowerRanking"].contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("InternalImportsByDefault")]
}
