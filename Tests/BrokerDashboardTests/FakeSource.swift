import AgencyDirectory
import BrokerDashboard
import ReferralProtocol
import Synchronization

/// Made-up broker answers for the renderers; records the OVERDUE filters and DEAD-LETTERS queries it was asked.
final class FakeSource: DashboardSource {
    let statusValue: AdminStatus
    let aggregatesValue: DashboardAggregates
    let overdueItems: [AdminOverdueItem]
    let cases: [String: AdminCase]
    let deadLetterList: AdminRepair.List
    let failure: (any Error)?
    let asked = Mutex<[AdminRequest.OverdueFilter]>([])
    let askedDeadLetters = Mutex<[AdminRepair.Query]>([])

    init(
        status: AdminStatus = FakeSource.emptyStatus,
        aggregates: DashboardAggregates = .init(deadlines: [], lastSeen: [:]),
        overdue: [AdminOverdueItem] = [], cases: [String: AdminCase] = [:],
        deadLetters: AdminRepair.List = .init(deadLetters: [], nextCursor: nil), failure: (any Error)? = nil
    ) {
        self.statusValue = status
        self.aggregatesValue = aggregates
        self.overdueItems = overdue
        self.cases = cases
        self.deadLetterList = deadLetters
        self.failure = failure
    }

    func status() async throws -> AdminStatus {
        if let failure { throw failure }
        return statusValue
    }

    func aggregates() async throws -> DashboardAggregates {
        if let failure { throw failure }
        return aggregatesValue
    }

    func overdue(_ filter: AdminRequest.OverdueFilter) async throws -> [AdminOverdueItem] {
        if let failure { throw failure }
        asked.withLock { $0.append(filter) }
        return overdueItems
    }

    func deadLetters(_ query: AdminRepair.Query) async throws -> AdminRepair.List {
        if let failure { throw failure }
        askedDeadLetters.withLock { $0.append(query) }
        return deadLetterList
    }

    func caseInfo(_ caseId: String) async throws -> AdminCase {
        if let failure { throw failure }
        guard let found = cases[caseId] else { throw AdminError(.notFound, "no case \(caseId)") }
        return found
    }

    static let broker = AdminStatus.Broker(
        version: "0.1.0", startedAt: 1_767_225_600_000, uptimeMs: 5000, endpoint: "tcp://127.0.0.1:5570",
        security: "curve", storeTransactions: 1, storeRowsWritten: 1)
    static let emptyStatus = AdminStatus(broker: broker, nodes: [], heldCases: [], deadLetters: 0)
}

/// 2026-01-01 00:00:00 UTC plus an hour: the pages' clock.
let testNow: Int64 = 1_767_225_600_000 + 3_600_000
let crisisCase = "3f2a9c1e-8b4d-4e6f-9a0b-1c2d3e4f5a6b"

func dashboard() throws -> Dashboard {
    Dashboard(divisions: try DivisionTable.fujian(), now: { testNow })
}
