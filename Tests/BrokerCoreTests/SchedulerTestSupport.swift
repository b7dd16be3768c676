import BrokerCore
import ReferralProtocol

/// A scheduler plus a hand-driven clock, with helpers that read its effects.
struct Harness {
    var scheduler: DeliveryScheduler
    var now: Millis = 1_000_000

    init(configure: (inout SchedulerConfig) -> Void = { _ in }) {
        var config = SchedulerConfig()
        config.ackTimeoutMs = 10_000
        config.initialBackoffMs = 1_000
        config.maxBackoffMs = 8_000
        config.maxAttempts = 4
        config.heartbeatMs = 3_600_000  // liveness has its own test
        config.liveness = 3
        configure(&config)
        scheduler = DeliveryScheduler(config: config)
    }

    mutating func advance(_ ms: Millis) {
        now += ms
        scheduler.tick(now: now)
    }

    mutating func accept(
        _ seq: Int64, to recipient: String, case caseId: String? = nil, _ priority: Priority = .routine
    ) {
        scheduler.enqueue(
            [
                DeliveryInfo(
                    seq: seq, sender: "sender", messageId: "m-\(seq)", recipient: recipient, caseId: caseId,
                    priority: priority)
            ], now: now)
    }

    @discardableResult
    mutating func connect(_ node: String, window: Int = 8) -> DeliveryScheduler.SessionOpened {
        scheduler.openSession(node: node, window: window, now: now)
    }

    /// Pumps and returns everything that happened.
    mutating func step() -> [Effect] {
        scheduler.pump(now: now)
        return scheduler.takeEffects()
    }

    /// Pumps and returns the (node, seq, attempt) of each DELIVER, in order.
    mutating func delivered() -> [Delivered] {
        step().compactMap {
            if case .deliver(let node, let seq, let attempt) = $0 {
                return Delivered(node: node, seq: seq, attempt: attempt)
            }
            return nil
        }
    }
}

struct Delivered: Hashable, CustomStringConvertible {
    var node: String
    var seq: Int64
    var attempt: Int
    var description: String { "\(node)#\(seq)@\(attempt)" }
}

extension Array where Element == Effect {
    var persisted: [PersistOp] {
        compactMap { if case .persist(let op) = $0 { return op } else { return nil } }
    }
    var settlements: [SettledDelivery] {
        compactMap { if case .persist(.settled(let settled)) = $0 { return settled } else { return nil } }
    }
    var receiptsSent: [ReceiptInfo] {
        compactMap { if case .sendReceipt(_, let receipt) = $0 { return receipt } else { return nil } }
    }
    var seqsDelivered: [Int64] {
        compactMap { if case .deliver(_, let seq, _) = $0 { return seq } else { return nil } }
    }
}
