import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ReferralClient
import ReferralProtocol
import ServiceLifecycle

/// The gateway's HTTP API (protocols/GATEWAY-1.openapi.json) on hummingbird, on an event loop of its own. The
/// handlers call the nodes' async methods (whose commits run on each store's own queue) and read outbox entries
/// on a queue of each node's own (`GatewayNode.status`); request bodies are never logged.
public struct GatewayServer: Sendable {
    public let configuration: GatewayConfiguration
    public let nodes: [String: GatewayNode]
    /// The applications, rate limit and body limit, swapped by a SIGHUP while requests run.
    public let live: LiveSettings
    let logger: Logger
    /// The webhook of each node that has one (its inbox is then not polled: refused with `webhook-configured`).
    let webhooks: [String: WebhookDelivery]
    /// `GET /metrics` and what it counts (`GatewayMetrics`).
    let metrics: GatewayMetrics
    /// Set when the gateway begins to stop: open event streams end (EventStream.swift).
    public let stopping = StopSignal()

    /// The longest `wait` of a send or a long poll, in seconds.
    static let maxWaitSeconds = 30.0
    /// The most inbox messages of one poll.
    static let maxBatch = 100

    public init(
        configuration: GatewayConfiguration, nodes: [GatewayNode], live: LiveSettings? = nil, logger: Logger,
        webhooks: [WebhookDelivery] = [], metrics: GatewayMetrics? = nil
    ) {
        self.metrics = metrics ?? GatewayMetrics(configuration: configuration)
        self.webhooks = Dictionary(uniqueKeysWithValues: webhooks.map { ($0.host.id, $0) })
        self.configuration = configuration
        self.nodes = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, $0) })
        self.live = live ?? LiveSettings(configuration, applications: nil)
        self.logger = logger
    }

    /// Every route of GATEWAY-1; a test compares them with the OpenAPI document's paths and methods.
    public func routes(_ router: Router<BasicRequestContext>) {
        router.get("/health") { _, _ in Self.text(.ok, "ok\n") }
        router.get("/ready") { _, _ in ready() }
        router.get("/metrics") { _, _ in metricsAnswer() }
        router.get("/openapi.json") { _, _ in
            Self.bytes(.ok, OpenAPIDocument.bytes, contentType: "application/vnd.oai.openapi+json;version=3.1")
        }
        router.post("/v1/nodes/{node}/messages") { request, context in
            await answer { try await countingSend(request, context) }
        }
        router.get("/v1/nodes/{node}/messages/{id}") { _, context in
            await answer { try await status(context) }
        }
        router.get("/v1/nodes/{node}/inbox") { request, context in
            await answer { try await inbox(request, context) }
        }
        router.post("/v1/nodes/{node}/inbox/{handle}/complete") { _, context in
            await answer { try await complete(context) }
        }
        router.get("/v1/nodes/{node}/cases/{case}") { _, context in await answer { try await caseView(context) } }
        router.get("/v1/nodes/{node}/overdue") { request, context in
            await answer { try await overdueView(request, context) }
        }
        router.get("/v1/nodes/{node}/events") { request, context in
            await answer { try await events(request, context) }
        }
    }

    // MARK: - Handlers

    func ready() -> Response {
        let states = nodes.keys.sorted().map { id in (id, nodes[id]!.node.isConnected) }
        var members: [(key: String, value: JSONValue)] = [
            ("ready", .bool(states.allSatisfy(\.1))),
            ("nodes", .object(states.map { ($0.0, .string($0.1 ? "connected" : "not-connected")) })),
        ]
        if !webhooks.isEmpty {
            // A failing webhook does not make the gateway unready (its events wait in the node's store), but shows.
            members.append(
                (
                    "webhooks",
                    .object(
                        webhooks.keys.sorted().map { id in
                            let state = webhooks[id]!.state.withLock { $0 }
                            var value: [(key: String, value: JSONValue)] = [
                                ("state", .string(state.health)),
                                ("failures_in_a_row", .integer(Int64(state.failuresInARow))),
                                ("delivered", .integer(state.delivered)),
                            ]
                            if let error = state.lastError { value.append(("last_error", .string(error))) }
                            return (id, .object(value))
                        })
                ))
        }
        let document = JSONValue.object(members)
        return Self.bytes(states.allSatisfy(\.1) ? .ok : .serviceUnavailable, JSONWriter.encode(document))
    }

    func send(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        let wait = try Self.seconds(request, "wait")
        let bytes = try await body(request)
        let message = try SendRequest.decode(bytes).message
        do {
            try await host.node.send(message)
        } catch let error as ReferralClientError {
            throw Self.problem(error, id: message.id)
        }
        if wait > .zero {
            do {
                _ = try await host.node.outcome(of: message.id, timeout: wait)
            } catch ReferralClientError.timedOut {
                // Still only in the outbox: answered 202 below.
            }
        }
        guard let (entry, receipts) = try await host.status(of: message.id) else {
            throw Problem.internalError("the message is not in the outbox after its commit")
        }
        switch Answers.sendAnswer(entry, receipts: receipts) {
        case .success(let (status, document)):
            var response = Self.bytes(.init(code: status), document)
            response.headers[.location] = "/v1/nodes/\(host.id)/messages/\(message.id)"
            return response
        case .failure(let problem): throw problem
        }
    }

    func status(_ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        let id = context.parameters.get("id") ?? ""
        guard let (entry, receipts) = try await host.status(of: id) else { throw Problem.unknownMessage(id) }
        return Self.bytes(.ok, Answers.status(entry, receipts: receipts))
    }

    func inbox(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        guard webhooks[host.id] == nil else { throw Problem.webhookConfigured(host.id) }
        let wait = try Self.seconds(request, "wait")
        var max = 10
        if let text = request.uri.queryParameters["max"] {
            guard let value = Int(text), (1...Self.maxBatch).contains(value) else {
                throw Problem.badParameter("max", "max must be an integer from 1 to \(Self.maxBatch)")
            }
            max = value
        }
        let messages = try await host.take(max: max, wait: wait)
        metrics.handedOut(node: host.id, count: messages.count)
        return Self.bytes(.ok, Answers.inbox(messages))
    }

    func complete(_ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        let handle = context.parameters.get("handle") ?? ""
        guard InboxHandle.parse(handle) != nil else {
            throw Problem.badParameter("handle", "a handle is FROM:ID, as the inbox gave it")
        }
        guard try await host.complete(handle: handle) else { throw Problem.notHandedOut(handle) }
        metrics.completed(node: host.id)
        return Response(status: .noContent)
    }

    // MARK: - Helpers

    func node(_ context: BasicRequestContext) throws(Problem) -> GatewayNode {
        let id = context.parameters.get("node") ?? ""
        guard let node = nodes[id] else { throw .unknownNode(id) }
        return node
    }

    /// The request body, at most `max_body_bytes` (413 beyond, said by Content-Length or found while reading).
    func body(_ request: Request) async throws -> [UInt8] {
        let limit = live.currentMaxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw Problem.tooLarge(limit: limit)
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge(limit: limit)
        }
    }

    /// A `wait` parameter: seconds (a decimal number) from 0 to `maxWaitSeconds`; 0 when absent.
    static func seconds(_ request: Request, _ name: String) throws(Problem) -> Duration {
        guard let text = request.uri.queryParameters[Substring(name)] else { return .zero }
        guard let value = Double(text), value.isFinite, (0...maxWaitSeconds).contains(value) else {
            throw .badParameter(name, "\(name) must be a number of seconds from 0 to \(Int(maxWaitSeconds))")
        }
        return .milliseconds(Int64(value * 1000))
    }

    /// The node library's errors as problems (never with a body's content: the library never puts one in).
    static func problem(_ error: ReferralClientError, id: String) -> Problem {
        switch error {
        case .invalidMessage(let field, let problem):
            .invalid(field: field, "\(field) \(problem)", messageId: id)
        case .conflictingId(let id): .conflictingId(id)
        case .unknownMessage(let id): .unknownMessage(id)
        case .shutDown: .unavailable("the gateway is shutting down")
        case .timedOut: .unavailable("timed out")
        case .store, .storeInUse: .internalError("the node's local store failed: \(error)")
        }
    }

    /// Runs a handler; a `Problem` becomes its problem+json answer, any other error a 500 naming only its type.
    func answer(_ work: () async throws -> Response) async -> Response {
        do {
            return try await work()
        } catch let problem as Problem {
            return Self.problemResponse(problem)
        } catch {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Self.problemResponse(.internalError("the gateway failed (\(type(of: error)))"))
        }
    }

    static func problemResponse(_ problem: Problem) -> Response {
        var response = bytes(.init(code: problem.status), problem.json, contentType: Problem.mediaType)
        if problem.status == 401 { response.headers[.wwwAuthenticate] = "Bearer realm=\"referral-gateway\"" }
        return response
    }

    static func bytes(
        _ status: HTTPResponse.Status, _ bytes: [UInt8], contentType: String = "application/json"
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: - Running

    /// The listener as a service (hummingbird's Application), on one event loop thread of its own. `onBound` is
    /// told the address once it listens (port 0 resolved).
    public func makeApplication(onBound: @escaping @Sendable (String) -> Void) throws -> some Service {
        guard let address = configuration.address() else {
            throw ConfigurationError(field: "listen", reason: "must be host:port, got '\(configuration.listen)'")
        }
        let router = Router()
        router.add(middleware: RequestLogMiddleware(logger: logger, metrics: metrics))
        router.add(middleware: UpgradeCloseMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: GatewayAccessMiddleware(live: live, logger: logger))
        routes(router)
        let server: HTTPServerBuilder
        if configuration.usesTLS {
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(configuration.tlsCertificateFile)
                let key = try NIOSSLPrivateKey(file: configuration.tlsKeyFile, format: .pem)
                let tls = TLSConfiguration.makeServerConfiguration(
                    certificateChain: certificates.map { .certificate($0) }, privateKey: .privateKey(key))
                server = try .tls(.http1(), tlsConfiguration: tls)
            } catch {
                throw ConfigurationError(
                    field: "tls_certificate_file",
                    reason:
                        "\(configuration.tlsCertificateFile) / \(configuration.tlsKeyFile): cannot be used: \(error)")
            }
        } else {
            server = .http1()
        }
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .notice)
        let scheme = configuration.usesTLS ? "https" : "http"
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? address.port
                let host = address.host.contains(":") ? "[\(address.host)]" : address.host
                onBound("\(scheme)://\(host):\(port)")
            },
            eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup(numberOfThreads: 1)), logger: quiet)
    }
}

/// A request asking to switch protocols (the JDK's HttpClient sends `Upgrade: h2c` by default) is answered over
/// HTTP/1.1, but NIO's HTTP/1 decoder then reads nothing more from that connection: the answer says
/// `Connection: close`, so the client opens a new connection for its next request instead of waiting on this one.
struct UpgradeCloseMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.headers[.upgrade] != nil else { return try await next(request, context) }
        var response = try await next(request, context)
        response.headers[.connection] = "close"
        return response
    }
}

/// Hummingbird's own refusals (no such route, a method the route lacks) as problem details too, so that every
/// error of the gateway has one shape.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            let status = error.status
            let slug = status == .notFound ? "not-found" : status == .methodNotAllowed ? "method-not-allowed" : "http"
            return GatewayServer.problemResponse(
                Problem(
                    status: status.code, slug: slug, title: status.reasonPhrase,
                    detail: "\(request.method.rawValue) \(request.uri.path): \(status.reasonPhrase) "
                        + "(the API is described at /openapi.json)"))
        }
    }
}
