import BrokerStore
import BrokerStorePostgres
import Foundation
import StoreModel

/// The store backends the conformance suite runs against. A new backend adds a case here and how to open it;
/// every test of the suite then runs against it too (the tests see only `BrokerStoring`).
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    /// A fresh database on the test cluster (`REFERRAL_TEST_PG_URL`); without it the test prints the skip note and
    /// passes.
    case postgresql

    var description: String { rawValue }

    /// Runs `body` with a fresh, empty store of this backend, removed afterwards.
    func withStore(_ body: (inout Session) throws -> Void) throws {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory
                .appendingPathComponent("store-conformance-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/broker.sqlite"
            var session = Session(store: try BrokerStore(path: path)) { try BrokerStore(path: path) }
            defer { try? session.store.close() }
            try body(&session)
        case .postgresql:
            try PostgresTestDatabase.with { options in
                var session = Session(store: try PostgresBrokerStore(options: options)) {
                    try PostgresBrokerStore(options: options)
                }
                defer { try? session.store.close() }
                try body(&session)
            }
        }
    }
}

/// An open store of one backend, and how to open it again on the same data (a restart).
struct Session {
    var store: any BrokerStoring
    let open: () throws -> any BrokerStoring

    init(store: any BrokerStoring, open: @escaping () throws -> any BrokerStoring) {
        self.store = store
        self.open = open
    }

    /// Closes the store and opens it again.
    mutating func reopen() throws {
        try store.close()
        store = try open()
    }

    /// Runs one unit alone; its result.
    @discardableResult
    func run(_ unit: StoreUnit) throws -> UnitResult {
        try store.run([unit])[0]
    }

    /// Stores a message; its seq (nil when not stored).
    func store(_ message: NewMessage) throws -> Int64? {
        if case .accepted(.stored(let seq)) = try run(.accept(AcceptUnit(message: message))) { return seq }
        return nil
    }
}

// Made-up data only.

func message(
    _ id: String, from sender: String = "node-a", to recipients: [String] = ["node-b"], caseId: String? = nil,
    priority: Int = 0, at: Int64 = 1_000, body: String? = nil, kind: String = "referral.request"
) -> NewMessage {
    let body = Array((body ?? "body of \(id)").utf8)
    return NewMessage(
        sender: sender, messageId: id, digest: digest(body), kind: kind, caseId: caseId, priority: priority,
        recipients: recipients, acceptedAt: at, body: body)
}

/// Stand-in digest: a store only compares digests.
func digest(_ body: [UInt8]) -> [UInt8] {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in body { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return withUnsafeBytes(of: hash.bigEndian) { Array($0) } + [UInt8(truncatingIfNeeded: body.count)]
}

func notice(_ armedBy: Int64? = 1) -> DeadlineNotice {
    DeadlineNotice(kind: "referral.request", armedBy: armedBy, sender: "node-a", messageId: "m", originalDue: 5_000)
}

func deadline(
    _ item: String, caseId: String? = "c1", due: Int64 = 5_000, level: Int = 0, armedBy: Int64? = 1,
    region: String? = nil, agency: String? = nil, risk: String? = nil, closers: [String]? = nil
) -> NewDeadline {
    NewDeadline(
        caseId: caseId, item: .text(item), dueAt: due, level: level, notice: notice(armedBy), policy: "snapshot",
        createdAt: 1, region: region, agency: agency, risk: risk, closers: closers)
}

/// Settles `seq` for `recipient` as delivered, with receipt number `receipt` for node-a's m1.
func delivered(
    _ seq: Int64, _ recipient: String = "node-b", at: Int64 = 2_000, first: Int64 = 1_500, receipt: Int64 = 1,
    confirmed: Bool = false, caseId: String? = nil
) -> StoreUnit {
    .settle(
        Settlement(
            seq: seq, recipient: recipient, caseId: caseId, at: at, attempts: 1, firstAttemptAt: first,
            outcome: .delivered,
            receiptId: receipt, sender: "node-a", messageId: "m1", receiptConfirmed: confirmed))
}

/// Settles `seq` for `recipient` as dead-lettered, with receipt number `receipt` for node-a's m1.
func deadLettered(
    _ seq: Int64, _ recipient: String = "node-b", hold: Bool = false, at: Int64 = 3_000, receipt: Int64 = 2,
    caseId: String? = nil
) -> StoreUnit {
    .settle(
        Settlement(
            seq: seq, recipient: recipient, caseId: caseId, at: at, attempts: 5, firstAttemptAt: 1_500,
            outcome: .deadLettered(reason: "max attempts", holdCase: hold), receiptId: receipt, sender: "node-a",
            messageId: "m1"))
}

extension StoreUnit {
    /// The receipt a settle unit carries.
    var receipt: ReceiptRecord? {
        if case .settle(let settlement) = self { return settlement.receipt }
        return nil
    }
}

extension UnitResult {
    var deadlineId: Int64? {
        if case .deadlineSet(let id) = self { return id }
        return nil
    }
}
