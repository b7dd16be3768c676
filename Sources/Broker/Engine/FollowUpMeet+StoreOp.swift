import BrokerMachine
import BrokerStore

extension FollowUpMeet {
    /// The store op that applies this effect, written with the message only if it is stored.
    func storeOp(at: Int64) -> StoreOp {
        switch self {
        case .visit(let caseId, let party): .meetFollowUpVisitIfStored(caseId: caseId, party: party, at: at)
        case .close(let caseId, let closer): .closeFollowUpIfStored(caseId: caseId, closer: closer, at: at)
        }
    }
}
