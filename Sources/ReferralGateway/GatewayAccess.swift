import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Who may make a request and how often: the applications (nil: none configured, loopback only: every request
/// is let in) and the request rate, with the buckets' state. Pure: the time comes in.
public struct AccessState: Sendable {
    public var applications: GatewayApplications?
    /// The rate of an application without its own, or of the whole gateway when it has no applications.
    public var rateLimit: RateLimit
    var buckets = TokenBuckets()

    public init(applications: GatewayApplications?, rateLimit: RateLimit) {
        self.applications = applications
        self.rateLimit = rateLimit
    }

    /// The bucket of a gateway without applications: one for all its clients (it listens on loopback only).
    static let gatewayBucket = ""

    public enum Decision: Sendable, Hashable {
        /// Let in; the application when the gateway has applications.
        case allow(application: String?)
        /// Refused with this problem; a 429 says when to come back.
        case refuse(Problem, retryAfterSeconds: Int? = nil)
    }

    /// The decision for a request: 401 without a valid token, 429 over the application's rate, 403 when its
    /// application lacks the node or the scope. Open paths pass untouched and unmetered.
    public mutating func decide(method: String, path: String, authorization: String?, nowMs: Int64) -> Decision {
        let requirement = ScopeRules.requirement(method: method, path: path)
        if requirement == .open { return .allow(application: nil) }
        guard let applications else {
            return meter(Self.gatewayBucket, rateLimit, application: nil, nowMs: nowMs) ?? .allow(application: nil)
        }
        guard let token = GatewayApplications.bearerToken(authorization),
            let application = applications.application(forToken: token)
        else { return .refuse(.unauthorized) }
        if let refusal = meter(
            application.name, application.rateLimit ?? rateLimit, application: application.name, nowMs: nowMs)
        {
            return refusal
        }
        switch requirement {
        case .open, .anyApplication: break
        case .scope(let scopes, let node):
            guard application.mayActFor(node), scopes.contains(where: application.scopes.contains) else {
                return .refuse(.forbidden(application: application.name, needs: scopes, node: node))
            }
        case .denied:
            return .refuse(.noScope(application: application.name, method: method, path: path))
        }
        return .allow(application: application.name)
    }

    mutating func meter(_ key: String, _ limit: RateLimit, application: String?, nowMs: Int64) -> Decision? {
        switch buckets.take(key, limit: limit, nowMs: nowMs) {
        case .allowed: nil
        case .limited(let seconds):
            .refuse(
                .rateLimited(retryAfterSeconds: seconds, limit: limit, application: application),
                retryAfterSeconds: seconds)
        }
    }

    /// New applications and rate (a reload): the buckets of applications still there keep their state.
    public mutating func replace(applications: GatewayApplications?, rateLimit: RateLimit) {
        self.applications = applications
        self.rateLimit = rateLimit
        buckets.keep(only: Set(applications?.applications.map(\.name) ?? [Self.gatewayBucket]))
    }
}

/// The settings a SIGHUP may change while the gateway serves, shared by the reload and the request path.
public final class LiveSettings: Sendable {
    let access: Mutex<AccessState>
    let maxBodyBytes: Atomic<Int>
    /// Monotonic milliseconds (injected by tests).
    let clock: @Sendable () -> Int64

    public init(
        applications: GatewayApplications?, rateLimit: RateLimit, maxBodyBytes: Int,
        clock: @escaping @Sendable () -> Int64 = LiveSettings.monotonicMs
    ) {
        access = Mutex(AccessState(applications: applications, rateLimit: rateLimit))
        self.maxBodyBytes = Atomic(maxBodyBytes)
        self.clock = clock
    }

    /// A gateway's live settings as its configuration file says, the applications read by the caller.
    public convenience init(_ configuration: GatewayConfiguration, applications: GatewayApplications?) {
        self.init(
            applications: applications, rateLimit: configuration.rateLimit, maxBodyBytes: configuration.maxBodyBytes)
    }

    public static let monotonicMs: @Sendable () -> Int64 = {
        let start = ContinuousClock.now
        return {
            let elapsed = ContinuousClock.now - start
            return elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        }
    }()

    public func decide(method: String, path: String, authorization: String?) -> AccessState.Decision {
        let now = clock()
        return access.withLock { $0.decide(method: method, path: path, authorization: authorization, nowMs: now) }
    }

    /// The largest request body now (`max_body_bytes`).
    public var currentMaxBodyBytes: Int { maxBodyBytes.load(ordering: .relaxed) }

    public var applicationCount: Int? { access.withLock { $0.applications?.applications.count } }
}

/// Every request through `LiveSettings.decide`: refused ones answered here as problems (401 with
/// `WWW-Authenticate`, 403 with `error="insufficient_scope"`, 429 with `Retry-After`), never reaching a handler.
/// Tokens are never logged.
struct GatewayAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let live: LiveSettings
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let decision = live.decide(
            method: request.method.rawValue, path: request.uri.path, authorization: request.headers[.authorization])
        guard case .refuse(let problem, let retryAfter) = decision else { return try await next(request, context) }
        var response = GatewayServer.problemResponse(problem)
        switch problem.status {
        case 403:
            response.headers[.wwwAuthenticate] = "Bearer realm=\"referral-gateway\", error=\"insufficient_scope\""
            logger.info(
                "request refused",
                metadata: ["status": "403", "method": "\(request.method.rawValue)", "detail": "\(problem.detail)"])
        case 429:
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            logger.debug("request refused", metadata: ["status": "429", "detail": "\(problem.detail)"])
        default: break
        }
        return response
    }
}
