/// What a request needs from its bearer token when the gateway has applications. Pure.
public enum RouteRequirement: Sendable, Hashable {
    /// No token: liveness and the API's description.
    case open
    /// Any valid token: the gateway's own state (`/ready`, `/metrics`), about no one node.
    case anyApplication
    /// A token whose application may act for `node` with one of `anyOf`.
    case scope(anyOf: [GatewayScope], node: String)
    /// No scope grants this route: refused to every application.
    case denied
}

/// Which scope a route needs, from its method and path alone, so that a route added later falls under a rule
/// without being listed: a GET under `/v1/nodes/{node}/` is a read-only view (`read`) unless it is the inbox
/// (`receive`); any other method needs a rule here, else it is `denied`, as is any other unknown path.
public enum ScopeRules {
    public static func requirement(method: String, path: String) -> RouteRequirement {
        // Split as the router does (empty components dropped, nothing decoded), so that `{node}` here is the
        // `{node}` the handler gets.
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let reads = method == "GET" || method == "HEAD"
        switch components.count {
        case 1 where components[0] == "health" || components[0] == "openapi.json": return .open
        case 1 where components[0] == "ready" || components[0] == "metrics": return .anyApplication
        default: break
        }
        guard components.count >= 3, components[0] == "v1", components[1] == "nodes" else { return .denied }
        let node = String(components[2])
        let rest = components.dropFirst(3).map(String.init)
        switch (method, rest.first) {
        case ("POST", "messages"?) where rest.count == 1: return .scope(anyOf: [.send], node: node)
        case ("POST", "inbox"?) where rest.count == 3 && rest[2] == "complete":
            return .scope(anyOf: [.receive], node: node)
        case (_, "inbox"?) where reads: return .scope(anyOf: [.receive], node: node)
        // A sender follows what became of the messages it sent.
        case (_, "messages"?) where reads: return .scope(anyOf: [.read, .send], node: node)
        case _ where reads: return .scope(anyOf: [.read], node: node)
        default: return .denied
        }
    }
}
