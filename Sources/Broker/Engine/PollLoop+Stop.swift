import BrokerCore
import Foundation
import Logging
import ReferralProtocol

extension PollLoop {
    /// SIGTERM: refuse new SENDs (SHUTTING_DOWN, retryable), let the commit in progress and
    /// everything queued finish, answer those SENDs, then say BYE to every node.
    func beginStop(now: Int64) {
        stopping = true
        stopDeadline = now + 10_000
        logger.info("stopping: finishing the commits in progress", metadata: ["pending_accepts": "\(pendingAccepts)"])
    }

    func readyToExit(now: Int64) -> Bool {
        let backlog = worker.backlog
        let drained = pendingAccepts == 0 && storeRequests.isEmpty && backlog.queued == 0 && !backlog.busy
        if drained { return true }
        if now >= stopDeadline {
            logger.warning("stopping before the store drained", metadata: ["pending_accepts": "\(pendingAccepts)"])
            return true
        }
        return false
    }

    /// Last steps on the poll thread: BYE to all, the store's final commit, sockets closed.
    func finish() {
        for (_, connection) in connections { _ = send(.bye, to: connection.routingId) }
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
