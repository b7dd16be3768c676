// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "referral-broker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "referrald", targets: ["referrald"]),
        .executable(name: "referralctl", targets: ["referralctl"]),
        .executable(name: "referral-bench", targets: ["referral-bench"]),
        .executable(name: "referral-gateway", targets: ["referral-gateway"]),
        .library(name: "ReferralClient", targets: ["ReferralClient"]),
        .library(name: "ReferralBusiness", targets: ["ReferralBusiness"]),
        .library(name: "ReferralClientTestKit", targets: ["ReferralClientTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The HTTP listener (/health, /ready, /metrics): only BrokerHTTP links these. No default traits: the
        // broker reads its own configuration file (swift-configuration not needed).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The PostgreSQL store backend (issue 12): only BrokerStorePostgres links it.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Named for BrokerStorePostgres' own one-thread event loop group (already in the graph through hummingbird).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // libzmq from Debian's libzmq3-dev; imported only by the ZeroMQ wrapper.
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: strict),
        // Pure wire codec: frames <-> typed commands. No I/O.
        .target(name: "ReferralProtocol", dependencies: ["CSHA256"], swiftSettings: strict),
        // SHA-256 block compression with the x86 SHA extensions, used by ReferralProtocol when the CPU has them.
        .target(name: "CSHA256"),
        // Pure delivery state machines with an injected clock. No I/O. Speaks the wire's vocabulary (priority,
        // receipt outcome) from ReferralProtocol, which is pure too.
        .target(name: "BrokerCore", dependencies: ["ReferralProtocol", "StoreModel"], swiftSettings: strict),
        // Who is who: division table, agency directory, role addresses, supervisors, policy.
        .target(
            name: "AgencyDirectory",
            dependencies: ["ReferralProtocol"],
            resources: [.copy("Divisions")],
            swiftSettings: strict
        ),
        // Pure case state machine, escalation policies, working calendar and timers. No I/O.
        .target(name: "CaseCore", dependencies: ["ReferralProtocol"], swiftSettings: strict),
        // GRDB statements bound and stepped through the SQLite C API (the per-message statements of both stores).
        .target(
            name: "SQLiteRaw",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The records the broker engine and every store backend share (messages, deliveries, receipts, trail,
        // audit, cases, deadlines), the units of store work and the store protocol. Pure values, no I/O.
        .target(name: "StoreModel", swiftSettings: strict),
        // SQLite store of the broker: one writer connection, ordered migrations.
        .target(
            name: "BrokerStore",
            dependencies: [
                "StoreModel", "ReferralProtocol", "SQLiteRaw", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        // The broker's store on PostgreSQL (issue 12): the same units, reads and meaning as BrokerStore, through
        // postgres-nio, used from the store thread by blocking on its futures (never on the cooperative pool).
        .target(
            name: "BrokerStorePostgres",
            dependencies: [
                "StoreModel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The broker's decisions as one pure machine: events in (commands, store completions, ticks, reloads),
        // actions out. No sockets, no store I/O, no clock; the store's plain records from StoreModel.
        .target(
            name: "BrokerMachine",
            dependencies: ["ReferralProtocol", "BrokerCore", "StoreModel", "AgencyDirectory", "CaseCore"],
            swiftSettings: strict
        ),
        // The read-only web dashboard: pages rendered from ADMIN-1 results, for whichever HTTP server carries them.
        .target(
            name: "BrokerDashboard", dependencies: ["ReferralProtocol", "AgencyDirectory"], swiftSettings: strict),
        // The log lines of referrald and referral-gateway (`--log-format json|text`): small, so that the gateway does
        // not link the broker to log like it.
        .target(
            name: "StructuredLogging",
            dependencies: ["ReferralProtocol", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The daemon as a library: configuration, the poll loop (the machine's shell), store thread, services.
        .target(
            name: "Broker",
            dependencies: [
                "ZeroMQ", "ReferralProtocol", "BrokerCore", "BrokerMachine", "BrokerStore", "AgencyDirectory",
                "CaseCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // The store thread's commit histograms; the factory is injected (Prometheus in referrald).
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The daemon's HTTP listener (hummingbird on its own NIO event loop): /health, /ready, /metrics, the
        // dashboard's pages (BrokerDashboard renders them). It asks
        // the poll thread through `BrokerQueries`, never the machine or the store; the rest of the daemon does
        // not compile against hummingbird.
        .target(
            name: "BrokerHTTP",
            dependencies: [
                "Broker", "ReferralProtocol", "StoreModel", "BrokerDashboard", "AgencyDirectory",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "referrald",
            dependencies: [
                "Broker", "BrokerHTTP", "ReferralProtocol", "StructuredLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The library for a node's application code: the typed bodies of protocols/business/, their coding and
        // checks. Pure (no ZeroMQ, no SQLite); ReferralClient depends on it for the sender's body check.
        .target(name: "ReferralBusiness", dependencies: ["ReferralProtocol"], swiftSettings: strict),
        // The library a node's system links to: local outbox/inbox, reconnects, receipts.
        .target(
            name: "ReferralClient",
            dependencies: [
                "ZeroMQ", "ReferralProtocol", "ReferralBusiness", "SQLiteRaw",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // For integrators' tests: an in-process fake broker speaking 1/RBP to a real ReferralNode.
        .target(
            name: "ReferralClientTestKit", dependencies: ["ReferralClient", "ReferralProtocol", "ZeroMQ"],
            swiftSettings: strict),
        .executableTarget(
            name: "referralctl",
            dependencies: [
                "ReferralClient", "ZeroMQ", "ReferralProtocol", "StoreModel", "BrokerStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "referral-bench",
            dependencies: [
                // BrokerStore and CaseCore: the deadlines scenario writes the broker's store before starting it.
                "ReferralClient", "ReferralProtocol", "ZeroMQ", "BrokerStore", "CaseCore",
                // AgencyDirectory: the dashboard scenario spreads its cases over Fujian's counties.
                "AgencyDirectory",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The node gateway (issue 11): one or more ReferralNodes behind an HTTP/JSON API (GATEWAY-1). The pure parts
        // (request decoding, answers, problem details, inbox leases) and the hummingbird server; the executable only
        // parses its arguments and runs it.
        .target(
            name: "ReferralGateway",
            dependencies: [
                "ReferralClient", "ReferralBusiness", "ReferralProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // /metrics: a registry of the gateway's own (not swift-metrics' global factory).
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "referral-gateway",
            dependencies: [
                "ReferralGateway", "ReferralProtocol", "StructuredLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReferralGatewayTests",
            dependencies: [
                "ReferralGateway", "ReferralClient", "ReferralProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"], swiftSettings: strict),
        .testTarget(
            name: "ReferralProtocolTests",
            dependencies: ["ReferralProtocol"],
            swiftSettings: strict
        ),
        .testTarget(name: "BrokerCoreTests", dependencies: ["BrokerCore", "ReferralProtocol"], swiftSettings: strict),
        .testTarget(name: "BrokerStoreTests", dependencies: ["BrokerStore", "SQLiteRaw"], swiftSettings: strict),
        // The store protocol's conformance suite: every backend must pass it (today: SQLite).
        .testTarget(
            name: "BrokerStoreConformanceTests",
            dependencies: [
                "StoreModel", "BrokerStore", "BrokerStorePostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "BrokerTests", dependencies: ["Broker", "BrokerMachine", "StructuredLogging"], swiftSettings: strict),
        .testTarget(
            name: "BrokerHTTPTests",
            dependencies: ["BrokerHTTP", "Broker", "BrokerMachine", "ReferralProtocol", "ZeroMQ"],
            swiftSettings: strict),
        .testTarget(
            name: "BrokerMachineTests",
            dependencies: [
                "BrokerMachine", "BrokerCore", "StoreModel", "AgencyDirectory", "CaseCore", "ReferralProtocol",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "BrokerDashboardTests", dependencies: ["BrokerDashboard", "ReferralProtocol", "AgencyDirectory"],
            swiftSettings: strict),
        .testTarget(name: "AgencyDirectoryTests", dependencies: ["AgencyDirectory"], swiftSettings: strict),
        .testTarget(name: "CaseCoreTests", dependencies: ["CaseCore", "ReferralProtocol"], swiftSettings: strict),
        .testTarget(
            name: "ReferralBusinessTests", dependencies: ["ReferralBusiness", "ReferralProtocol"],
            swiftSettings: strict),
        .testTarget(
            name: "ReferralClientTests",
            dependencies: [
                "ReferralClient", "ReferralClientTestKit", "ReferralBusiness", "ReferralProtocol", "ZeroMQ",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["ReferralClient", "ReferralBusiness", "ReferralProtocol", "ZeroMQ"],
            swiftSettings: strict
        ),
    ]
)
