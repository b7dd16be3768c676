import BrokerMachine
import BrokerStore
import Logging
import StoreModel

// A node's QUERY reads the rows ADMIN CASE and OVERDUE read; the machine filters them (`NodeView`).
extension StoreWorker {
    func nodeQueryRead(_ read: NodeQueryRead) -> NodeQueryReadResult {
        do {
            switch read {
            case .caseInfo(let caseId):
                return .caseInfo(try Self.readCase(caseId, from: store))
            case .overdue(let now):
                let records = try store.overdue(
                    now: now, regionPrefix: nil, agency: nil, risk: nil, escalatedOnly: false,
                    limit: AdminRead.overdueLimit)
                // The referrer of each case, which sees every overdue item of the cases it refers.
                var referrers: [String: String] = [:]
                for caseId in Set(records.compactMap(\.caseId)) {
                    if let referrer = try store.caseRecord(id: caseId)?.referrer { referrers[caseId] = referrer }
                }
                return .overdue(records, referrers: referrers)
            }
        } catch {
            logger.error("node query read failed", metadata: ["error": "\(error)"])
            return .failed
        }
    }
}
