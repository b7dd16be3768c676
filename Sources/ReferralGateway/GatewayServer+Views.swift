import Hummingbird
import ReferralClient
import ReferralProtocol

/// Case and overdue views: asked of the broker over the node's own session (1/RBP QUERY), so they show only
/// what the broker lets that node see. Nothing is cached; a node without a session answers 503.
extension GatewayServer {
    /// How long a view waits for the broker's answer.
    static let viewTimeout = Duration.seconds(10)

    func caseView(_ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        let text = context.parameters.get("case") ?? ""
        guard let caseId = Identifiers.normalizedCaseId(text) else {
            throw Problem.badParameter("case", "a case id is a UUID (8-4-4-4-12 hexadecimal digits)")
        }
        do {
            return Self.bytes(.ok, Answers.caseView(try await host.node.caseView(caseId, timeout: Self.viewTimeout)))
        } catch {
            throw Self.viewProblem(error, node: host.id, caseId: caseId)
        }
    }

    func overdueView(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let host = try node(context)
        var limit = Query.defaultLimit
        if let text = request.uri.queryParameters["limit"] {
            guard let value = Int(text), (1...Query.maxLimit).contains(value) else {
                throw Problem.badParameter("limit", "limit must be an integer from 1 to \(Query.maxLimit)")
            }
            limit = value
        }
        do {
            return Self.bytes(
                .ok, Answers.overdueView(try await host.node.overdue(limit: limit, timeout: Self.viewTimeout)))
        } catch {
            throw Self.viewProblem(error, node: host.id, caseId: nil)
        }
    }

    static func viewProblem(_ error: any Error, node: String, caseId: String?) -> Problem {
        switch error {
        case ReferralQueryError.notFound:
            return Problem(
                status: 404, slug: "unknown-case", title: "No such case for this node",
                detail: "the broker has no case \(caseId ?? "") that node '\(node)' may see", field: "case")
        case ReferralQueryError.notConnected:
            return .unavailable("node '\(node)' has no session with the broker now; ask again once it is connected")
        case ReferralQueryError.unsupported:
            return .unavailable("the broker does not answer case and overdue queries (1/RBP before 1.6)")
        case ReferralQueryError.refused(let code, _):
            var problem = Problem.unavailable("the broker refused the query for now (\(code)); ask again later")
            problem.code = code
            return problem
        case ReferralClientError.timedOut:
            return .unavailable("the broker did not answer within \(viewTimeout)")
        case ReferralClientError.shutDown:
            return .unavailable("the gateway is stopping")
        default:
            return .internalError("the query failed")
        }
    }
}
