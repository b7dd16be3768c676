import Foundation
import Logging
import ServiceLifecycle
import Testing
import ZeroMQ

@testable import Broker
@testable import BrokerHTTP

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The listener in this process, over real HTTP on loopback: /ready follows the engine's readiness, from
/// starting to ready to stopping (the order the daemon's start and SIGTERM drive it in), /health stays 200,
/// /metrics answers without a running broker; and the token check.
@Suite struct ListenerTests {
    func get(_ address: String, _ path: String, token: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: "http://\(address)\(path)")!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func withListener(
        token: String? = nil, _ body: (String, Readiness) async throws -> Void
    ) async throws {
        let folder = NSTemporaryDirectory() + "http-listener-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var settings = HTTPSettings()
        settings.listen = "127.0.0.1:0"
        if let token {
            settings.tokenFile = folder + "/token"
            _ = FileManager.default.createFile(
                atPath: settings.tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        }
        let readiness = Readiness()
        let server = try BrokerHTTPServer(
            settings: settings, queries: BrokerQueries(notifier: try EventNotifier()), readiness: readiness,
            metrics: BrokerMetrics(storePath: folder + "/broker.sqlite", dataDirectory: folder),
            logger: Logger(label: "test"))
        let service = try server.makeService()
        let running = Task { try await service.run() }
        defer { running.cancel() }
        let address = try #require(await server.boundAddress.wait())
        try await body(address, readiness)
        running.cancel()
        _ = await running.result
    }

    @Test func readyFollowsTheEngineFromStartingToReadyToStopping() async throws {
        try await withListener { (address: String, readiness: Readiness) async throws in
            #expect(try await get(address, "/health") == (200, "ok\n"))
            #expect(try await get(address, "/ready") == (503, "starting\n"))
            let starting = try await get(address, "/metrics")
            #expect(starting.0 == 200 && starting.1.contains("referral_ready 0"))
            #expect(starting.1.contains("referral_build_info{version="))
            readiness.markReady()
            #expect(try await get(address, "/ready") == (200, "ready\n"))
            #expect(try await get(address, "/metrics").1.contains("referral_ready 1"))
            readiness.markStopping()
            #expect(try await get(address, "/ready") == (503, "stopping\n"))
            #expect(try await get(address, "/health") == (200, "ok\n"))
            readiness.markReady()
            #expect(try await get(address, "/ready").0 == 503, "a stopping broker never becomes ready again")
        }
    }

    @Test func theTokenGuardsEveryPathButHealth() async throws {
        let token = "made-up-token-0123456789abcdef"
        try await withListener(token: token) { (address: String, readiness: Readiness) async throws in
            readiness.markReady()
            #expect(try await get(address, "/health").0 == 200)
            #expect(try await get(address, "/ready").0 == 401)
            #expect(try await get(address, "/metrics").0 == 401)
            #expect(try await get(address, "/ready", token: token + "x").0 == 401)
            #expect(try await get(address, "/ready", token: String(token.dropLast())).0 == 401)
            #expect(try await get(address, "/ready", token: token).0 == 200)
            #expect(try await get(address, "/metrics", token: token).0 == 200)
            #expect(try await get(address, "/nothing-here", token: token).0 == 404)
        }
    }

    @Test func theBearerComparisonNeedsTheWholeTokenExactly() {
        let token = Array("abcdefghijklmnop".utf8)
        #expect(BearerTokenMiddleware<BasicRequestContextAlias>.matches("Bearer abcdefghijklmnop", token: token))
        for header in ["Bearer abcdefghijklmno", "Bearer abcdefghijklmnopq", "bearer abcdefghijklmnop", "abcdefghijklmnop", "Bearer "] {
            #expect(!BearerTokenMiddleware<BasicRequestContextAlias>.matches(header, token: token), "\(header)")
        }
    }
}

import Hummingbird

typealias BasicRequestContextAlias = BasicRequestContext
