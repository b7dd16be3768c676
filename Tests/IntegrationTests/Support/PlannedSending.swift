import ReferralClient
import Synchronization

/// The crash and failover tests' traffic: every sender sends its plan in chunks, all senders at once, with a short
/// pause after each chunk so that the fault falls while they are sending. `issued` counts the messages handed to the
/// senders (the tests wait for a share of them before the fault).
enum PlannedSending {
    static func send(
        _ plans: [[OutgoingMessage]], from senders: [ReferralNode], chunk: Int, pause: Duration, issued: Counter
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (node, plan) in zip(senders, plans) {
                group.addTask {
                    for start in stride(from: 0, to: plan.count, by: chunk) {
                        let messages = Array(plan[start..<min(start + chunk, plan.count)])
                        try await node.send(batch: messages)
                        issued.add(messages.count)
                        try await Task.sleep(for: pause)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func add(_ amount: Int) { count.withLock { $0 += amount } }
}
