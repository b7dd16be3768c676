import BrokerStore
import Foundation

/// A fresh directory under the system temp dir, removed when `body` returns.
func withTempDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("broker-store-tests-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
}

/// A store on a real file in a fresh temp dir (in a subdirectory, to exercise parent creation).
func withStore<T>(_ body: (BrokerStore, String) throws -> T) throws -> T {
    try withTempDirectory { dir in
        let path = dir + "/data/broker.sqlite"
        let store = try BrokerStore(path: path)
        defer { try? store.close() }
        return try body(store, path)
    }
}

func message(
    _ id: String, from sender: String = "nodeA", to recipients: [String] = ["nodeB"], caseId: String? = nil,
    priority: Int = 0, at: Int64 = 1_000, body: [UInt8]? = nil, kind: String = "referral"
) -> NewMessage {
    let body = body ?? Array("body of \(id)".utf8)
    return NewMessage(
        sender: sender, messageId: id, digest: digest(body), kind: kind, caseId: caseId, priority: priority,
        recipients: recipients, acceptedAt: at, body: body)
}

/// Stand-in digest (the store only compares digests, it never computes them).
func digest(_ body: [UInt8]) -> [UInt8] {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in body {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return withUnsafeBytes(of: hash.bigEndian) { Array($0) } + [UInt8(truncatingIfNeeded: body.count)]
}

extension UnitResult {
    var acceptResult: AcceptResult? {
        if case .accepted(let result) = self { return result }
        return nil
    }

    var storedSeq: Int64? {
        if case .accepted(.stored(let seq)) = self { return seq }
        return nil
    }

}

/// The notice of a test deadline armed by message `seq`.
func testNotice(_ seq: Int64? = 1) -> DeadlineNotice {
    DeadlineNotice(kind: "referral.request", armedBy: seq, sender: "nodeA", messageId: "m", originalDue: 5_000)
}

extension BrokerStore {
    /// Runs the units in one batch; for each unit, the receipt it wrote (a settle unit whose delivery was pending),
    /// else nil.
    func runReceipts(_ units: [StoreUnit]) throws -> [ReceiptRecord?] {
        zip(units, try run(units)).map { unit, result in
            guard case .settle(let settlement) = unit, result == .settled else { return nil }
            return settlement.receipt
        }
    }
}
