// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "runpod-launcher",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RunPodAPI", targets: ["RunPodAPI"]),
        .library(name: "PodLauncher", targets: ["PodLauncher"]),
        .library(name: "RunPodEmulator", targets: ["RunPodEmulator"]),
        .executable(name: "runpod-launcher", targets: ["runpod-launcher"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.10.0"),
        .package(url: "https://github.com/GraphQLSwift/GraphQL", from: "4.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The wire: RunPod REST v2, credentials, problem+json errors, retry policy.
        .target(
            name: "RunPodAPI",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        // The decisions: placement, readiness, termination, the scoped lifecycle.
        .target(
            name: "PodLauncher",
            dependencies: [
                "RunPodAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),  // launch profiles
            ]
        ),
        // A faithful local RunPod (REST v2 + legacy GraphQL over one world). Shares no code with RunPodAPI.
        .target(
            name: "RunPodEmulator",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The service: launches in a database (one query implementation over SQLite, and PostgreSQL next), the
        // level-triggered reconciler that drives PodLauncher's steps, events, metrics and the HTTP API.
        .target(
            name: "PodService",
            dependencies: [
                "PodLauncher",
                "RunPodAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),  // sslmode=prefer|require for PostgreSQL
                .product(name: "TOMLKit", package: "TOMLKit"),  // [pools.NAME] in profiles.toml
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        // The commands, in a library so tests run them in-process.
        .target(
            name: "LauncherCLI",
            dependencies: [
                "PodLauncher",
                "PodService",
                "RunPodAPI",
                "RunPodEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(name: "runpod-launcher", dependencies: ["LauncherCLI"]),
        // Helpers shared by the test targets: a skipping clock, emulator and launcher factories, polling helpers.
        .target(
            name: "TestSupport", dependencies: ["PodLauncher", "RunPodAPI", "RunPodEmulator", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"),
        .testTarget(name: "RunPodAPITests", dependencies: ["RunPodAPI", "RunPodEmulator", "TestSupport"]),
        .testTarget(name: "PodLauncherTests", dependencies: ["PodLauncher", "RunPodAPI", "RunPodEmulator", "TestSupport"]),
        .testTarget(
            name: "RunPodEmulatorTests",
            dependencies: [
                "RunPodEmulator",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "PodServiceTests",
            dependencies: [
                "PodService", "PodLauncher", "RunPodAPI", "RunPodEmulator", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
            ]
        ),
        .testTarget(name: "LauncherCLITests", dependencies: ["LauncherCLI", "PodLauncher", "RunPodAPI", "RunPodEmulator", "TestSupport"]),
    ]
)
