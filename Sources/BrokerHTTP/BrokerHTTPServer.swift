import Broker
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ReferralProtocol
import ServiceLifecycle
import Synchronization

/// The daemon's HTTP listener (issue 10, METRICS-CONTRACT.md): hummingbird on an event loop of its own (never the
/// poll or store thread, never blocking Swift's cooperative pool). Its handlers read `Readiness` and ask the poll
/// thread through `BrokerQueries`: they never touch the machine or the store. Mount more routes (a dashboard) in
/// `routes(_:)`; every route but /health is behind the token when one is configured.
public struct BrokerHTTPServer: Sendable, CustomStringConvertible {
    /// Never the token.
    public var description: String { "BrokerHTTPServer(listen: \(settings.listen))" }

    public let settings: HTTPSettings
    let queries: BrokerQueries
    let readiness: Readiness
    let metrics: BrokerMetrics
    /// The store's backend and this instance's lease for /metrics (the engine's `storeRole`).
    let storeRole: (@Sendable () -> StoreRoleFacts)?
    let token: [UInt8]?
    let logger: Logger
    /// Told the bound address once the listener runs (before the store opens).
    public let boundAddress: BoundAddress

    /// Reads the token and checks the TLS files; throws `ConfigurationError` naming the field.
    public init(
        settings: HTTPSettings, queries: BrokerQueries, readiness: Readiness, metrics: BrokerMetrics, logger: Logger,
        storeRole: (@Sendable () -> StoreRoleFacts)? = nil
    ) throws {
        self.storeRole = storeRole
        self.settings = settings
        self.queries = queries
        self.readiness = readiness
        self.metrics = metrics
        self.logger = logger
        self.token = try settings.readToken()
        try settings.checkTLSFiles()
        self.boundAddress = BoundAddress()
    }

    /// The routes; the dashboard's pages are mounted by `dashboardRoutes` (DashboardRoutes.swift), asking
    /// `queries.ask(...)` like /metrics does.
    func routes(_ router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in Self.text(.ok, "ok\n") }
        router.get("/ready") { [readiness] _, _ in
            let phase = readiness.current
            return phase == .ready ? Self.text(.ok, "ready\n") : Self.text(.serviceUnavailable, "\(phase.rawValue)\n")
        }
        router.get("/metrics") { [metrics, queries, readiness, storeRole] _, _ in
            let bytes = await metrics.scrape(queries: queries, ready: readiness.isReady, storeRole: storeRole?())
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        dashboardRoutes(router)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The listener as a service of the daemon's ServiceGroup, on one event loop thread of its own.
    public func makeService() throws -> any Service {
        guard case .success(let address) = settings.address() else {
            throw ConfigurationError(field: "http.listen", reason: "must be host:port, got '\(settings.listen)'")
        }
        let router = Router()
        if let token { router.add(middleware: BearerTokenMiddleware(token: token, open: ["/health"])) }
        routes(router)
        let server: HTTPServerBuilder
        if settings.usesTLS {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(settings.tlsCertificateFile)
                let key = try NIOSSLPrivateKey(file: settings.tlsKeyFile, format: .pem)
                let tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
                server = try .tls(.http1(), tlsConfiguration: tls)
            } catch {
                throw ConfigurationError(
                    setting: "http.tls_certificate_file",
                    reason: "\(settings.tlsCertificateFile) / \(settings.tlsKeyFile): cannot be used for TLS: \(error)")
            }
        } else {
            server = .http1()
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        let scheme = settings.usesTLS ? "https" : "http"
        let (bound, logger) = (self.boundAddress, self.logger)
        let app = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                let listening = "\(address.host.contains(":") ? "[\(address.host)]" : address.host):\(port)"
                bound.set(listening)
                logger.info(
                    "http listening",
                    metadata: ["address": "\(listening)", "scheme": "\(scheme)", "token": "\(token != nil)"])
            },
            eventLoopGroupProvider: .shared(group), logger: quiet)
        return ListenerService(app: app, group: group, bound: bound)
    }
}

/// The listener's address once bound (port 0 resolved), for the ready file and the start's order.
public final class BoundAddress: Sendable {
    private struct State {
        var finished = false
        var address: String?
        var waiters: [CheckedContinuation<String?, Never>] = []
    }

    private let state = Mutex(State())

    /// The listener is bound at `address`, or could not be (nil). Only the first call counts.
    func set(_ address: String?) {
        let waiters = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            guard !state.finished else { return [] }
            state.finished = true
            state.address = address
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: address) }
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Waits until the listener is bound (or failed: nil).
    public func wait() async -> String? {
        await withCheckedContinuation { continuation in
            let now: String?? = state.withLock { state in
                if state.finished { return .some(state.address) }
                state.waiters.append(continuation)
                return .none
            }
            if case .some(let address) = now { continuation.resume(returning: address) }
        }
    }
}

/// Runs the hummingbird application, then shuts its event loop down. A listener that cannot bind ends the
/// daemon with an error naming `http.listen`.
struct ListenerService: Service, CustomStringConvertible {
    var description: String { "http-listener" }

    let app: Application<RouterResponder<BasicRequestContext>>
    let group: MultiThreadedEventLoopGroup
    let bound: BoundAddress

    func run() async throws {
        defer { bound.set(nil) }
        do {
            try await app.run()
        } catch {
            try? await group.shutdownGracefully()
            // Not bound yet: the address is what is wrong (in use, not this machine's).
            if !bound.isFinished { throw ConfigurationError(field: "http.listen", reason: "cannot listen: \(error)") }
            throw error
        }
        try? await group.shutdownGracefully()
    }
}
