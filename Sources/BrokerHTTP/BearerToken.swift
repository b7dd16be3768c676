import HTTPTypes
import Hummingbird

/// Every request but /health must carry `Authorization: Bearer <token>` when a token is configured; otherwise 401.
/// The comparison takes the same time whatever the first differing octet (no timing oracle); the token is never
/// logged, not even a refused one.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware, CustomStringConvertible {
    let token: [UInt8]
    /// Paths that answer without the token (/health: a liveness probe needs no secret).
    let open: Set<String>

    /// Never the token, whoever prints this value.
    var description: String { "BearerTokenMiddleware(token: <redacted>)" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if open.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization], Self.matches(header, token: token) else {
            var headers = HTTPFields()
            headers[.wwwAuthenticate] = "Bearer realm=\"referrald\""
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: .unauthorized, headers: headers, body: .init(byteBuffer: .init(string: "unauthorized\n")))
        }
        return try await next(request, context)
    }

    /// Whether `header` is `Bearer <token>`, compared in constant time over the token's length.
    static func matches(_ header: String, token: [UInt8]) -> Bool {
        let prefix = "Bearer "
        guard header.hasPrefix(prefix) else { return false }
        let given = Array(header.utf8.dropFirst(prefix.utf8.count))
        var difference = UInt8(given.count == token.count ? 0 : 1)
        for index in token.indices {
            difference |= token[index] ^ (index < given.count ? given[index] : 0)
        }
        return difference == 0
    }
}
