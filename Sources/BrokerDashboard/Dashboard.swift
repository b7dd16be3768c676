import AgencyDirectory
import ReferralProtocol

/// The read-only web dashboard (issue 10): server-rendered pages of what the broker knows, for people who would
/// rather look than read. Framework-agnostic: the HTTP layer hands it a path and a query string and a
/// `DashboardSource` that asks the broker, and sends back the `DashboardResponse`. Pages show ids, kinds,
/// agencies, divisions and times only, never a message body (none of the reads returns one).
public struct Dashboard: Sendable {
    /// Where the pages live on the HTTP listener; `/` redirects here.
    public static let base = "/dashboard"

    let divisions: Divisions
    let clock: @Sendable () -> Int64

    /// `divisions` names the counties of the chart (Fujian's, from the bundled table); `now` is the broker's
    /// clock in ms since the Unix epoch.
    public init(divisions: DivisionTable, now: @escaping @Sendable () -> Int64) {
        self.divisions = Divisions(table: divisions)
        self.clock = now
    }

    /// Whether the dashboard answers `path` (so the HTTP layer can route only these to it).
    public static func handles(_ path: String) -> Bool {
        path == "/" || path == base || path.hasPrefix(base + "/")
    }

    public func respond(path: String, query: String?, source: some DashboardSource) async -> DashboardResponse {
        let parameters = Query(query)
        let now = clock()
        do {
            switch path {
            case "/":
                return .redirect(to: Self.base)
            case Self.base, Self.base + "/":
                return .page(200, try await overview(source, now: now))
            case Self.base + "/overdue":
                return .page(200, try await overduePage(source, parameters, now: now))
            case Self.base + "/repair":
                return .page(200, try await repairPage(source, now: now))
            case _ where path.hasPrefix(Self.base + "/case/"):
                let caseId = Query.decode(String(path.dropFirst(Self.base.count + "/case/".count)))
                return .page(200, try await casePage(source, caseId: caseId, now: now))
            default:
                return .page(404, problem("Not found", "There is no dashboard page here.", now: now))
            }
        } catch let error as AdminError {
            switch error.code {
            case .notFound: return .page(404, problem("Not found", error.reason, now: now))
            case .badRequest: return .page(400, problem("Bad request", error.reason, now: now))
            default: return .page(503, problem("The broker did not answer", error.code.rawValue, now: now))
            }
        } catch {
            return .page(503, problem("The broker did not answer", "try again in a moment", now: now))
        }
    }

    func problem(_ title: String, _ reason: String, now: Int64) -> String {
        HTML.page(title: title, generatedAt: Format.utc(now), "<p>\(HTML.escape(reason))</p>")
    }
}
