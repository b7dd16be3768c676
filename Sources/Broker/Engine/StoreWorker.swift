import BrokerCore
import BrokerMachine
import BrokerStore
import Foundation
import Logging
import ReferralProtocol
import Synchronization
import ZeroMQ

/// The one owner of the broker's writer connection, on a thread of its own.
///
/// Group commit: it sleeps until work arrives, takes *everything* queued (all SENDs, ACKs and
/// receipt confirmations that arrived while the previous commit was syncing), applies it in
/// one transaction (one fsync), then hands the completions to the poll thread and wakes it.
/// ACCEPTED is only ever sent from those completions.
final class StoreWorker: Sendable {
    private struct Queue {
        var requests: [StoreRequest] = []
        var stopping = false
        var busy = false
    }

    let store: any BrokerStoring
    let logger: Logger
    let metrics: StoreMetrics
    private let queue = Mutex(Queue())
    private let condition = NSCondition()
    private let completions = Mutex<[StoreCompletion]>([])
    private let notifier: EventNotifier
    private let finished = Mutex<Bool>(false)
    /// Used only by the store thread (a Mutex, as `markWasBehind`, to keep the class Sendable).
    private let idleRelease = Mutex(IdleMemoryRelease())

    /// The store's epoch (lowercase hex), announced in every WELCOME (1/RBP §7.2).
    let storeEpoch: String?

    init(store: any BrokerStoring, notifier: EventNotifier, logger: Logger, metrics: StoreMetrics = .init(factory: nil))
    {
        self.store = store
        self.metrics = metrics
        self.storeEpoch = store.epoch.count == 16 ? SHA256.hex(store.epoch) : nil
        self.notifier = notifier
        self.logger = logger
    }

    /// A copy taken by the store thread after each batch: the poll thread must not read the
    /// store's own counters while a commit updates them.
    private let statisticsSnapshot = Mutex(StoreStatistics(transactions: 0, rowsWritten: 0))

    var statistics: StoreStatistics { statisticsSnapshot.withLock { $0 } }

    func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "referrald-store"
        thread.start()
    }

    /// Queues `requests` and leaves the array empty for the caller's next turn. When the queue is empty (the store
    /// thread has taken the last submission) the arrays are swapped: the requests are not copied.
    func submit(_ requests: inout [StoreRequest]) {
        guard !requests.isEmpty else { return }
        condition.lock()
        queue.withLock { state in
            if state.requests.isEmpty {
                swap(&state.requests, &requests)
            } else {
                state.requests.append(contentsOf: requests)
            }
        }
        condition.signal()
        condition.unlock()
        requests.removeAll(keepingCapacity: true)
    }

    /// Everything the store has finished since the last call.
    func takeCompletions() -> [StoreCompletion] {
        completions.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }

    /// Number of requests not yet committed (queued or in the commit now running).
    var backlog: (queued: Int, busy: Bool) {
        queue.withLock { ($0.requests.count, $0.busy) }
    }

    /// Asks the thread to finish what is queued and exit.
    func stop() {
        condition.lock()
        queue.withLock { $0.stopping = true }
        condition.signal()
        condition.unlock()
    }

    var isFinished: Bool { finished.withLock { $0 } }

    private func run() {
        while true {
            condition.lock()
            var batch: [StoreRequest] = []
            var stopping = false
            while true {
                (batch, stopping) = queue.withLock { state in
                    let taken = state.requests
                    state.requests.removeAll(keepingCapacity: true)
                    state.busy = !taken.isEmpty
                    return (taken, state.stopping)
                }
                if !batch.isEmpty || stopping { break }
                waitForWork()
            }
            condition.unlock()
            if !batch.isEmpty {
                let plan = StoreBatchPlan(batch)
                var results = process(plan)
                // A purge step waits until the batch's ACCEPTEDs are out; the next batch waits for one step only.
                for step in plan.purges {
                    hand(results)
                    results = [purge(step)]
                }
                queue.withLock { $0.busy = false }
                hand(results)
            } else if stopping {
                break
            }
        }
        do { try store.close() } catch { logger.error("closing the store failed", metadata: ["error": "\(error)"]) }
        finished.withLock { $0 = true }
        notifier.notify()
    }

    /// Waits (holding `condition`) for a submission; once idle after work, gives memory back (`IdleMemoryRelease`).
    private func waitForWork() {
        guard let due = idleRelease.withLock({ $0.dueAt }) else { return condition.wait() }
        let now = Self.monotonicMillis()
        if now < due, condition.wait(until: Date(timeIntervalSinceNow: Double(due - now) / 1000)) { return }
        let release = idleRelease.withLock { $0.takeDue(now: Self.monotonicMillis()) }
        guard release, queue.withLock({ $0.requests.isEmpty }) else { return }
        store.releaseMemory()
        IdleMemoryRelease.trimMalloc()
    }

    private static func monotonicMillis() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    /// Whether the high-water mark was behind after the previous batch (logged when that changes).
    private let markWasBehind = Mutex(false)

    private func noteMark() {
        let behind = store.isMarkBehind
        guard
            markWasBehind.withLock({ was in
                defer { was = behind }
                return was != behind
            })
        else { return }
        if behind {
            logger.error(
                """
                cannot write the store's high-water mark (broker.highwater): a lost -wal file would go unnoticed \
                until it is written again; check the disk
                """)
        } else {
            logger.notice("the store's high-water mark is written again")
        }
    }

    /// Hands completions to the poll thread and wakes it.
    private func hand(_ results: [StoreCompletion]) {
        idleRelease.withLock { $0.worked(now: Self.monotonicMillis()) }
        noteMark()
        let counters = store.statistics
        statisticsSnapshot.withLock { $0 = counters }
        completions.withLock { $0.append(contentsOf: results) }
        notifier.notify()
    }

    /// One step of a purge run, in its own transaction; nil result when it failed (nothing of it was written).
    private func purge(_ step: PurgeStep) -> StoreCompletion {
        do {
            return .purged(try store.purgeBodies(step))
        } catch {
            logger.error("purging message bodies failed", metadata: ["error": "\(error)"])
            return .purged(nil)
        }
    }

    /// One batch: its writes as units in one transaction, then its reads.
    private func process(_ plan: StoreBatchPlan) -> [StoreCompletion] {
        var out: [StoreCompletion] = []
        if !plan.units.isEmpty {
            do {
                let began = DispatchTime.now().uptimeNanoseconds
                let results = try store.run(plan.units)
                metrics.recordCommit(
                    nanoseconds: Int64(DispatchTime.now().uptimeNanoseconds - began), units: plan.units.count)
                out = plan.completions(for: results)
            } catch {
                logger.error("group commit failed", metadata: ["error": "\(error)", "units": "\(plan.units.count)"])
                out = plan.failedCompletions()
                retry(plan.retried)
            }
        }
        for request in plan.reads {
            if let completion = read(request) { out.append(completion) }
        }
        return out
    }

    /// Settlements of a failed commit are kept and tried again, as they are already decided.
    private func retry(_ requests: [StoreRequest]) {
        guard !requests.isEmpty else { return }
        if queue.withLock({ $0.stopping }) {
            // Retrying forever would keep a stopping broker from exiting (a full disk stays full). Settlements not
            // written are redone after restart: unacknowledged deliveries are sent again and the nodes' inboxes
            // drop the duplicates.
            logger.error(
                "stopping with settlements not written; they are redone after restart",
                metadata: ["count": "\(requests.count)"])
        } else {
            queue.withLock { $0.requests.insert(contentsOf: requests, at: 0) }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
