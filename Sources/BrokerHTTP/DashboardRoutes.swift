import AgencyDirectory
import Broker
import BrokerDashboard
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ReferralProtocol

/// The dashboard's reads as ADMIN-1 requests to the poll thread (`BrokerQueries`), exactly as `referralctl`'s
/// arrive on the admin socket: STATUS, STATS, OVERDUE, CASE, DEAD-LETTERS.
struct QueriesDashboardSource: DashboardSource {
    let queries: BrokerQueries

    /// The broker answered with another result than the request's (never, from this broker).
    struct UnexpectedReply: Error {}

    private func ask(_ request: AdminRequest) async throws -> AdminResult {
        switch try await queries.ask(request) {
        case .ok(let result): return result
        case .error(let error): throw error
        }
    }

    func status() async throws -> AdminStatus {
        guard case .status(let status) = try await ask(.status) else { throw UnexpectedReply() }
        return status
    }

    func aggregates() async throws -> DashboardAggregates {
        guard case .stats(let stats) = try await ask(.stats) else { throw UnexpectedReply() }
        return DashboardAggregates(
            deadlines: stats.deadlines.map {
                .init(county: $0.county, risk: $0.risk, open: $0.open, overdue: $0.overdue)
            },
            lastSeen: Dictionary(stats.lastSeen.map { ($0.node, $0.at) }, uniquingKeysWith: max))
    }

    func overdue(_ filter: AdminRequest.OverdueFilter) async throws -> [AdminOverdueItem] {
        guard case .overdue(let items) = try await ask(.overdue(filter)) else { throw UnexpectedReply() }
        return items
    }

    func deadLetters(_ query: AdminRepair.Query) async throws -> AdminRepair.List {
        guard case .deadLetters(let list) = try await ask(.deadLetters(query)) else { throw UnexpectedReply() }
        return list
    }

    func caseInfo(_ caseId: String) async throws -> AdminCase {
        guard case .caseInfo(let info) = try await ask(.caseInfo(caseId: caseId)) else { throw UnexpectedReply() }
        return info
    }
}

extension BrokerHTTPServer {
    /// The read-only dashboard (BrokerDashboard) under `/dashboard`, `/` redirecting there; behind the token like
    /// every route but /health.
    func dashboardRoutes(_ router: Router<BasicRequestContext>) {
        let divisions: DivisionTable
        do {
            divisions = try DivisionTable.fujian()
        } catch {
            logger.error("dashboard off: the bundled division table does not load", metadata: ["error": "\(error)"])
            return
        }
        let dashboard = Dashboard(divisions: divisions, now: { Int64(Date().timeIntervalSince1970 * 1000) })
        let source = QueriesDashboardSource(queries: queries)
        let handler: @Sendable (Request, BasicRequestContext) async -> Response = { request, _ in
            let reply = await dashboard.respond(path: request.uri.path, query: request.uri.query, source: source)
            var headers = HTTPFields()
            headers[.contentType] = reply.contentType
            for header in reply.headers {
                if let name = HTTPField.Name(header.name) { headers[name] = header.value }
            }
            return Response(
                status: HTTPResponse.Status(code: reply.status), headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: reply.body)))
        }
        for path in ["/", "/dashboard", "/dashboard/overdue", "/dashboard/repair", "/dashboard/case/:id"] {
            router.get(RouterPath(path), use: handler)
        }
    }
}
