import ReferralProtocol
import StoreModel

// Retention (issue 10): what the machine does when a purge step comes back. The timer and PURGE start runs
// (`PurgeSchedule`); the store thread carries out each step; here the next step goes out, or the run ends: audited
// with its counts (by the store with the last step; here when it ended on a failure or a stop), answered to the
// operators who asked, remembered for STATUS.
extension BrokerMachine {
    mutating func purgeStepDone(_ result: PurgeStepResult?, now: Int64) {
        // A purged body must never be delivered from memory (a re-driven dead letter is refused instead).
        for seq in result?.purgedSeqs ?? [] { cache.remove(seq) }
        switch purges.stepDone(result, now: now, stopping: stopping) {
        case nil:
            return
        case .step(let step)?:
            actions.append(.store(.purge(step)))
        case .finished(let run, let next)?:
            if let event = run.auditEvent() { audit(event) }
            if run.counts.total > 0 || run.failed {
                log(
                    run.failed ? .error : .info, run.failed ? "purge run ended: the store failed" : "purge run ended",
                    [
                        "closed_case": "\(run.counts.closedCase)", "caseless": "\(run.counts.caseless)",
                        "dead_letters": "\(run.counts.deadLetters)", "duration_ms": "\(run.endedAt - run.startedAt)",
                    ])
            }
            for peer in run.peers {
                if run.failed {
                    reply(.error(AdminError(.storeFailed, "the purge could not be written")), to: peer)
                } else {
                    reply(.ok(.purge(run.admin)), to: peer)
                }
            }
            if let next { actions.append(.store(.purge(next))) }
        }
    }
}
