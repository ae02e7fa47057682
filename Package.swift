// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Rank1Explorer",
    products: [
        .executable(name: "rank1", targets: ["rank1"]),
        // The peer of `rank1 bench client`: a synthetic vLLM-shaped streaming server.
        .executable(name: "rank1-synthetic-server", targets: ["SyntheticServer"]),
        .library(name: "Retrieval", targets: ["Retrieval"]),
        .library(name: "Rerank", targets: ["Rerank"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // One HTTP client for http and https: NIO's sockets and event loop, our HTTP/1.1 and keep-alive pool, NIOSSL.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // The rerank service (`rank1 serve --http`).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Small C helpers: CRC32C for index checksums, zlib blocks for the document store, the search's window
        // histogram, SIGWINCH to a pipe, the monotonic clock.
        .target(name: "CSupport", path: "Sources/CSupport", linkerSettings: [.linkedLibrary("z")]),
        // Retrieval core: analysis, streaming index build, mmap'd index, BM25 search, evaluation. No terminal code.
        .target(name: "Retrieval", dependencies: ["CSupport"], path: "Sources/Retrieval"),
        // Our declarations of the llama.cpp API, loaded with dlopen at run time.
        .target(name: "CLlama", path: "Sources/CLlama", linkerSettings: [.linkedLibrary("dl")]),
        // Rank1 reranking: the protocol, the in-process llama.cpp engine, its event stream. No terminal code.
        .target(
            name: "Rerank",
            dependencies: [
                "CLlama", "CSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Sources/Rerank"),
        // ncursesw from Debian (libncurses-dev); only the terminal adapter in rank1 uses it.
        .systemLibrary(
            name: "CNcurses", path: "Sources/CNcurses",
            providers: [.apt(["libncurses-dev"])]),
        // What needs both engines: candidates as passages, an evaluation's judging with its journal.
        .target(name: "Pipeline", dependencies: ["Retrieval", "Rerank"], path: "Sources/Pipeline"),
        // The explorer as a pure state machine rendered to an in-memory screen. No curses here either.
        .target(name: "Explorer", dependencies: ["Retrieval", "Rerank"], path: "Sources/Explorer"),
        // The rerank service: Cohere/Jina rerank and BM25 search over HTTP, on Hummingbird. No terminal code.
        .target(
            name: "Service",
            dependencies: [
                "Retrieval", "Rerank", "Pipeline", "CSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Service"),
        .executableTarget(
            name: "rank1",
            dependencies: [
                "Retrieval", "Rerank", "Pipeline", "Explorer", "Service", "CNcurses", "CSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/rank1"),
        .executableTarget(name: "SyntheticServer", path: "Sources/SyntheticServer"),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Rerank"], path: "Tests/ServiceTests"),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval"], path: "Tests/RetrievalTests"),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Rerank"], path: "Tests/PipelineTests"),
        .testTarget(
            name: "ExplorerTests", dependencies: ["Explorer", "Rerank", "Retrieval"], path: "Tests/ExplorerTests",
            exclude: ["Snapshots"]),
        .testTarget(
            name: "RerankTests", dependencies: ["Rerank", "CLlama", .product(name: "NIOCore", package: "swift-nio")], path: "Tests/RerankTests",
            exclude: ["fault_server.py"]),
    ],
    swiftLanguageModes: [.v6]
)
