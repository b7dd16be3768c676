import BrokerMachine
import Foundation
import Logging

extension PollLoop {
    /// Last steps on the poll thread: BYE to all, the store's final commit, sockets closed.
    func finish() {
        // An instance that lost its lease tells its nodes to move on (NOT_ACTIVE); a graceful stop says BYE.
        feed(control.stopCause == nil ? .finish : .stepDown, now: clock.nowMillis())
        flushStoreRequests()
        worker.stop()
        // The store thread commits what is queued, closes the store and says so.
        while !worker.isFinished {
            Thread.sleep(forTimeInterval: 0.02)
            notifier.drain()
        }
        router.close()
        admin.close()
        zap?.close()  // context.terminate() blocks until every socket is closed
        context.terminate()
        let statistics = worker.statistics
        logger.info(
            "stopped",
            metadata: ["store_transactions": "\(statistics.transactions)", "rows_written": "\(statistics.rowsWritten)"])
    }
}
