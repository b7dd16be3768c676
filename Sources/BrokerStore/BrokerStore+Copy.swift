import Foundation
import GRDB
import StoreModel

// `referrald store copy`: the SQLite store read out, table by table, for the PostgreSQL store to write.

extension BrokerStore {
    /// Reads every table of `StoreCopyPlan.tables` in key order, in one read transaction (one consistent state),
    /// and hands `target` first this store's origin, then the rows a page at a time (at most `pageRows` rows and
    /// about `pageBytes` octets: bodies can be large). Returns the origin. The store must be open (its lock held:
    /// no broker writes meanwhile).
    public func copyOut(
        to target: some StoreCopyTarget, pageRows: Int = 1_000, pageBytes: Int = 8 << 20
    ) throws -> StoreCopyOrigin {
        try read("copyOut") { db in
            let origin = try Self.copyOrigin(db)
            try target.begin(origin)
            for table in StoreCopyPlan.tables {
                var pager = StoreCopyPager(table: table, maxRows: pageRows, maxBytes: pageBytes)
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT \(table.columnNames.joined(separator: ", ")) FROM \(table.name)
                        ORDER BY \(table.key.joined(separator: ", "))
                        """)
                while let row = try rows.next() {
                    let values = try zip(row.databaseValues, table.columns).map { value, column in
                        try copyValue(value, table: table.name, column: column.name)
                    }
                    if let page = pager.add(values) { try target.append(page) }
                }
                if let page = pager.finish() { try target.append(page) }
            }
            return origin
        }
    }

    /// This store's origin: its epoch, AUTOINCREMENT's counters, the rows of every copied table, the audit tip.
    public func copyOrigin() throws -> StoreCopyOrigin {
        try read("copyOrigin") { db in try Self.copyOrigin(db) }
    }

    static func copyOrigin(_ db: Database) throws -> StoreCopyOrigin {
        let epoch = [UInt8](try Data.fetchOne(db, sql: "SELECT epoch FROM store_identity") ?? Data())
        var floors: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence") {
            floors[row[0]] = row[1]
        }
        var counts: [String: Int64] = [:]
        for table in StoreCopyPlan.tables {
            counts[table.name] = try Int64.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0
        }
        let tip = try AuditChain.load(db)
        return StoreCopyOrigin(
            epoch: epoch, seqFloor: floors["messages"] ?? 0, receiptFloor: floors["receipts"] ?? 0,
            rowCounts: counts, auditTipId: tip.lastId, auditTipHash: tip.lastId == 0 ? [] : tip.lastHash)
    }

    /// A stored value as copied. STRICT tables hold only integers, texts, blobs and NULL; a REAL would be an edit
    /// made outside the broker, refused by name (never by value).
    func copyValue(_ value: DatabaseValue, table: String, column: String) throws -> StoreCopyValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob([UInt8](data))
        case .double:
            throw BrokerStoreError(
                path: path, operation: "copyOut", cause: "\(table).\(column) holds a REAL, which no broker writes")
        }
    }
}
