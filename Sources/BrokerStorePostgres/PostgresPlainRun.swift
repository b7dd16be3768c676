import StoreModel

/// A run of consecutive "plain" units of a batch, written together with a few multi-row statements when the run
/// ends (`PostgresBatch.flush`) instead of one statement per row: accepts without a case move or closes, settles,
/// receipt confirmations, trail events and audit records, the units of ordinary traffic (POSTGRES-PLAN §4).
///
/// Writing a run table by table gives what writing its units one by one would, because no unit of a run reads
/// what another wrote: a settle or a confirmation that would (its delivery's message or its receipt is in this
/// run, or an earlier unit of the run settles the same delivery or confirms the same receipt) ends the run
/// (`admits`), and every other unit (case moves, deadlines, fires, repairs, node actions) ends it too and runs
/// alone after it. Seqs are given here, in unit order, as running the units one by one gives them.
struct PostgresPlainRun {
    enum Item {
        case accept(AcceptUnit, seq: Int64)
        case settle(Settlement)
        case confirm(receiptId: Int64, at: Int64)
        case trail(TrailEventRecord)
        case audit(AuditEvent)
    }

    /// (unit index in the batch, item), in unit order.
    private(set) var items: [(index: Int, item: Item)] = []
    /// The first seq given in this run (nil: no accept yet): a delivery of a message at or after it is this run's.
    private var firstSeq: Int64?
    private var settling: Set<DeliveryKey> = []
    private var receipts: Set<Int64> = []

    struct DeliveryKey: Hashable {
        let seq: Int64
        let recipient: String
    }

    var isEmpty: Bool { items.isEmpty }

    /// Whether `unit` is plain: it can wait in a run (`admits` says whether in this one).
    static func isPlain(_ unit: StoreUnit) -> Bool {
        switch unit {
        case .accept(let accept): accept.caseMove == nil && accept.closes.isEmpty
        case .settle, .confirmReceipt, .trail, .audit: true
        default: false
        }
    }

    /// Whether the plain `unit` can join this run without reading what the run writes.
    func admits(_ unit: StoreUnit) -> Bool {
        switch unit {
        case .settle(let settlement):
            if let firstSeq, settlement.seq >= firstSeq { return false }
            return !settling.contains(DeliveryKey(seq: settlement.seq, recipient: settlement.recipient))
        case .confirmReceipt(let id, _):
            return !receipts.contains(id)
        default:
            return true
        }
    }

    /// Adds the plain `unit` (at `index` in the batch); an accept takes the next seq from `highestSeq`.
    mutating func add(_ unit: StoreUnit, index: Int, highestSeq: inout Int64) {
        switch unit {
        case .accept(let accept):
            highestSeq += 1
            if firstSeq == nil { firstSeq = highestSeq }
            items.append((index, .accept(accept, seq: highestSeq)))
        case .settle(let settlement):
            settling.insert(DeliveryKey(seq: settlement.seq, recipient: settlement.recipient))
            receipts.insert(settlement.receiptId)
            items.append((index, .settle(settlement)))
        case .confirmReceipt(let id, let at):
            receipts.insert(id)
            items.append((index, .confirm(receiptId: id, at: at)))
        case .trail(let event):
            items.append((index, .trail(event)))
        case .audit(let event):
            items.append((index, .audit(event)))
        default:
            preconditionFailure("only plain units join a run")
        }
    }
}
