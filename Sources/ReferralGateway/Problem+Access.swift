extension Problem {
    /// A valid token whose application may not do this: the scope it needs and the node, never the token.
    static func forbidden(application: String, needs scopes: [GatewayScope], node: String) -> Problem {
        let needed = scopes.map(\.rawValue).joined(separator: " or ")
        return Problem(
            status: 403, slug: "forbidden", title: "This application may not do this",
            detail:
                "application '\(application)' needs the \(needed) scope for node '\(node)' (its entry in the "
                + "gateway's applications file: \"nodes\" and \"scopes\")",
            field: "node")
    }

    /// No scope of the gateway grants this route (one the gateway does not have, or a new one without a rule).
    static func noScope(application: String, method: String, path: String) -> Problem {
        Problem(
            status: 403, slug: "forbidden", title: "This application may not do this",
            detail:
                "no scope grants \(method) \(path) to an application (application '\(application)'; the API is "
                + "described at /openapi.json)")
    }

    static func rateLimited(retryAfterSeconds: Int, limit: RateLimit, application: String?) -> Problem {
        let whose = application.map { "application '\($0)'" } ?? "this gateway"
        return Problem(
            status: 429, slug: "rate-limited", title: "Too many requests",
            detail:
                "\(whose) is over its rate limit (rate_limit: \(Self.format(limit.requestsPerSecond)) per second, "
                + "burst \(limit.burst)): retry in \(retryAfterSeconds) s (Retry-After)")
    }

    static func format(_ rate: Double) -> String {
        rate == rate.rounded() && abs(rate) < 1e15 ? String(Int64(rate)) : String(rate)
    }
}
