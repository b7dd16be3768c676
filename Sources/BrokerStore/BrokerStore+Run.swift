import Foundation
import GRDB
import SQLiteRaw

extension BrokerStore {
    /// Runs a batch of units as ONE `BEGIN IMMEDIATE` transaction (one commit, one fsync): the broker's group
    /// commit. Returns one result per unit, in unit order. On any error the whole batch is rolled back and a
    /// `BrokerStoreError` is thrown: the caller must treat every unit of the batch as not stored.
    /// An empty batch does nothing (no transaction).
    public func run(_ units: [StoreUnit]) throws -> [UnitResult] {
        guard !units.isEmpty else { return [] }
        var rows = 0
        let start = auditTip
        var tip = start
        var seq = highestSeq
        let results: [UnitResult] = try write("run") { db in
            var results: [UnitResult] = []
            try db.inTransaction(.immediate) {
                results.removeAll(keepingCapacity: true)
                results.reserveCapacity(units.count)
                var batch = Batch(db: db, audit: start)
                for unit in units {
                    results.append(try batch.run(unit))
                }
                try batch.backlog.write(db)
                rows = batch.rows
                tip = batch.audit
                seq = max(seq, batch.highestSeq)
                return .commit
            }
            return results
        }
        counters.transactions += 1
        counters.rowsWritten += rows
        auditTip = tip  // committed: the chain goes on from here
        let moved = tip != start || seq != highestSeq
        highestSeq = seq
        if moved || markBehind { advanceMark() }
        return results
    }

    /// Whether the high-water mark file could not be written after the last commits (the daemon logs it).
    public var isMarkBehind: Bool { markBehind }

    /// Writes the high-water mark after a commit that moved it, before the batch's results (ACCEPTED, ...) can
    /// go out: one small write and one `fdatasync` per such group commit. The batch IS committed, so a failure
    /// does not fail it; the mark stays behind (a later batch writes it) and `run` goes on: a mark that lags
    /// only weakens the roll-back check, it never refuses a store that is whole.
    func advanceMark() {
        do {
            try mark?.write(position)
            markBehind = false
        } catch {
            markBehind = true
        }
    }
}

