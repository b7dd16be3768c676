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

    /// A message committed by the store (its delivery is in `stored` too) and handed to the scheduler.
    mutating func accept(
        _ seq: Int64, to recipient: String, case caseId: String? = nil, _ priority: Priority = .routine
    ) {
        let info = DeliveryInfo(
            seq: seq, sender: "sender", messageId: "m-\(seq)", recipient: recipient, caseId: caseId, priority: priority)
        stored.append(info)
        scheduler.enqueue([info], now: now)
    }

    /// A receipt committed by the store (it is in `storedReceipts` too) and handed to the scheduler.
    mutating func receiptStored(_ receipt: ReceiptInfo) {
        storedReceipts.append(receipt)
        scheduler.receiptStored(receipt, now: now)
    }

    @discardableResult
    mutating func connect(_ node: String, window: Int = 8) -> DeliveryScheduler.SessionOpened {
        scheduler.openSession(node: node, window: window, now: now)
    }

    /// The store as the scheduler's page reads see it: open deliveries and unconfirmed receipts (a settlement or a
    /// confirmation removes its row as if committed at once). `step()` answers every page asked for, unless
    /// `answersPages` is false (a test of the races then answers by hand).
    var stored: [DeliveryInfo] = []
    var storedReceipts: [ReceiptInfo] = []
    var answersPages = true

    /// Restores from `stored` and `storedReceipts` as the daemon does: counts only.
    mutating func restoreFromStore(held: [HeldLane] = [], deadLetters: [String: Int] = [:], lastReceiptId: Int64 = 0) {
        let backlog = DeliveryScheduler.StoreBacklog(
            deliveries: Dictionary(stored.map { ($0.recipient, 1) }, uniquingKeysWith: +),
            receipts: Dictionary(storedReceipts.map { ($0.sender, 1) }, uniquingKeysWith: +))
        scheduler.restore(held: held, deadLetters: deadLetters, backlog: backlog, lastReceiptId: lastReceiptId)
    }

    /// Pumps and returns everything that happened, the page reads it asked for answered from `stored`.
    mutating func step() -> [Effect] {
        var all: [Effect] = []
        while true {
            scheduler.pump(now: now)
            let effects = scheduler.takeEffects()
            all += effects
            commit(effects)
            guard answersPages, answerPages(effects) else { return all }
        }
    }

    private mutating func commit(_ effects: [Effect]) {
        for op in effects.persisted {
            switch op {
            case .settled(let settled):
                stored.removeAll { $0.seq == settled.receipt.seq && $0.recipient == settled.receipt.recipient }
            case .receiptConfirmed(let id, _):
                storedReceipts.removeAll { $0.id == id }
            case .event:
                break
            }
        }
    }

    /// Answers the page reads among `effects`; false if there were none.
    mutating func answerPages(_ effects: [Effect]) -> Bool {
        var answered = false
        for effect in effects {
            switch effect {
            case .loadDeliveries(let node, let after, let limit):
                let page = stored.filter { $0.recipient == node && $0.seq > after }.sorted { $0.seq < $1.seq }
                scheduler.deliveriesLoaded(node: node, limit: limit, Array(page.prefix(limit)), now: now)
                answered = true
            case .loadLane(let node, let caseId, let after, let through, let limit):
                let page = stored.filter {
                    $0.recipient == node && $0.caseId == caseId && $0.seq > after && $0.seq <= through
                }.sorted { $0.seq < $1.seq }
                scheduler.laneLoaded(node: node, caseId: caseId, limit: limit, Array(page.prefix(limit)), now: now)
                answered = true
            case .loadReceipts(let node, let after, let limit):
                let page = storedReceipts.filter { $0.sender == node && $0.id > after }.sorted { $0.id < $1.id }
                scheduler.receiptsLoaded(node: node, limit: limit, Array(page.prefix(limit)))
                answered = true
            default:
                break
            }
        }
        return answered
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
