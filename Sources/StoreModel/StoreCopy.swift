/// `referrald store copy` (SQLite → PostgreSQL, issue 12): what is copied, as both backends hold it. Pure: the SQLite
/// store reads its tables into pages of `StoreCopyValue` rows (`BrokerStore.copyOut`), the PostgreSQL store writes
/// them (`PostgresStoreCopy`), and each side describes itself as a `StoreCopyOrigin` so that the copy can be
/// compared with its source before it commits.
public enum StoreCopyColumnKind: String, Sendable, Hashable {
    case integer
    case text
    case blob
}

/// One table of the broker store, with every column both schemas have (the same names, in this order).
public struct StoreCopyTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var name: String
        public var kind: StoreCopyColumnKind
        public init(_ name: String, _ kind: StoreCopyColumnKind) {
            self.name = name
            self.kind = kind
        }
    }

    public var name: String
    public var columns: [Column]
    /// The primary key, the order rows are read in (a page of a big table is a range of it).
    public var key: [String]

    public init(_ name: String, key: [String], _ columns: [Column]) {
        self.name = name
        self.key = key
        self.columns = columns
    }

    public var columnNames: [String] { columns.map(\.name) }
}

/// A column's value as stored: SQLite's storage classes that a STRICT broker table can hold.
public enum StoreCopyValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])

    /// About how many octets the value takes in a statement (to bound a page by size: bodies can be large).
    public var approximateSize: Int {
        switch self {
        case .null: 1
        case .integer: 8
        case .text(let text): text.utf8.count
        case .blob(let bytes): bytes.count
        }
    }
}

/// Rows of one table, in key order: what one INSERT writes.
public struct StoreCopyPage: Sendable, Hashable {
    public var table: StoreCopyTable
    public var rows: [[StoreCopyValue]]

    public init(table: StoreCopyTable, rows: [[StoreCopyValue]]) {
        self.table = table
        self.rows = rows
    }
}

/// What a store is, for the copy's checks: its identity (the store epoch nodes see in WELCOME), the numbers given
/// out that are no longer in the tables (SQLite's `sqlite_sequence`, PostgreSQL's `store_identity` floors), the rows
/// of every copied table, and the audit chain's tip. A copy is right when the target's origin equals the source's.
public struct StoreCopyOrigin: Sendable, Hashable {
    public var epoch: [UInt8]
    /// The highest seq ever given (sqlite_sequence `messages`; 0 when none).
    public var seqFloor: Int64
    /// The highest receipt number ever given or reserved (sqlite_sequence `receipts`; 0 when none).
    public var receiptFloor: Int64
    /// Rows per table name.
    public var rowCounts: [String: Int64]
    /// The newest audit record's id and hash (0 and no hash when the trail is empty).
    public var auditTipId: Int64
    public var auditTipHash: [UInt8]

    public init(
        epoch: [UInt8], seqFloor: Int64, receiptFloor: Int64, rowCounts: [String: Int64], auditTipId: Int64,
        auditTipHash: [UInt8]
    ) {
        self.epoch = epoch
        self.seqFloor = seqFloor
        self.receiptFloor = receiptFloor
        self.rowCounts = rowCounts
        self.auditTipId = auditTipId
        self.auditTipHash = auditTipHash
    }

    /// What differs between `self` (the source) and `copy`, in words (empty: the same). Never a value of a row.
    public func differences(from copy: StoreCopyOrigin) -> [String] {
        var problems: [String] = []
        if copy.epoch != epoch { problems.append("the store epoch differs") }
        if copy.seqFloor != seqFloor { problems.append("seq floor \(copy.seqFloor), not \(seqFloor)") }
        if copy.receiptFloor != receiptFloor {
            problems.append("receipt floor \(copy.receiptFloor), not \(receiptFloor)")
        }
        for table in StoreCopyPlan.tables.map(\.name) where copy.rowCounts[table] != rowCounts[table] {
            problems.append(
                "\(table) holds \(copy.rowCounts[table].map(String.init) ?? "no count") rows, "
                    + "not \(rowCounts[table].map(String.init) ?? "no count")")
        }
        if copy.auditTipId != auditTipId {
            problems.append("the audit chain ends at record \(copy.auditTipId), not at record \(auditTipId)")
        } else if copy.auditTipHash != auditTipHash {
            problems.append("audit record \(auditTipId) has another hash than the source's")
        }
        return problems
    }
}

/// Where the SQLite store's pages go (the PostgreSQL copy): `begin` once with the source's origin, then every page
/// of every table of `StoreCopyPlan.tables`, in that order.
public protocol StoreCopyTarget {
    func begin(_ origin: StoreCopyOrigin) throws
    func append(_ page: StoreCopyPage) throws
}

/// Cuts a table's rows into pages of at most `maxRows` rows and about `maxBytes` octets (at least one row each).
public struct StoreCopyPager: Sendable {
    public let table: StoreCopyTable
    public let maxRows: Int
    public let maxBytes: Int
    private var rows: [[StoreCopyValue]] = []
    private var bytes = 0

    public init(table: StoreCopyTable, maxRows: Int, maxBytes: Int) {
        self.table = table
        self.maxRows = max(1, maxRows)
        self.maxBytes = max(1, maxBytes)
    }

    /// Adds a row; returns a full page to write, if this row filled one.
    public mutating func add(_ row: [StoreCopyValue]) -> StoreCopyPage? {
        rows.append(row)
        bytes += row.reduce(0) { $0 + $1.approximateSize }
        guard rows.count >= maxRows || bytes >= maxBytes else { return nil }
        return take()
    }

    /// The last, partial page (nil when nothing is left).
    public mutating func finish() -> StoreCopyPage? {
        rows.isEmpty ? nil : take()
    }

    private mutating func take() -> StoreCopyPage {
        defer {
            rows = []
            bytes = 0
        }
        return StoreCopyPage(table: table, rows: rows)
    }
}

/// Every table a broker store holds, every column (SQLite after all of `StoreMigrations.names`, PostgreSQL's
/// baseline: the same names and meanings). Not copied: what each backend keeps for itself (SQLite's
/// `grdb_migrations` and `sqlite_sequence`, PostgreSQL's `schema_migrations`, `broker_lease`, and `store_identity`,
/// whose epoch and floors are carried by `StoreCopyOrigin`).
public enum StoreCopyPlan {
    public static let tables: [StoreCopyTable] = [
        StoreCopyTable(
            "messages", key: ["seq"],
            [
                .init("seq", .integer), .init("sender", .text), .init("message_id", .text), .init("digest", .blob),
                .init("kind", .text), .init("case_id", .text), .init("priority", .integer),
                .init("recipients", .text), .init("accepted_at", .integer), .init("body", .blob),
                .init("body_purged_at", .integer), .init("body_size", .integer),
            ]),
        StoreCopyTable(
            "deliveries", key: ["seq", "recipient"],
            [
                .init("seq", .integer), .init("recipient", .text), .init("state", .integer),
                .init("attempts", .integer), .init("first_attempt_at", .integer), .init("done_at", .integer),
                .init("reason", .text), .init("receipt_id", .integer), .init("discarded_at", .integer),
            ]),
        StoreCopyTable(
            "receipts", key: ["id"],
            [
                .init("id", .integer), .init("sender", .text), .init("seq", .integer), .init("recipient", .text),
                .init("outcome", .integer), .init("at", .integer), .init("reason", .text),
                .init("confirmed_at", .integer),
            ]),
        StoreCopyTable(
            "events", key: ["id"],
            [
                .init("id", .integer), .init("at", .integer), .init("seq", .integer), .init("recipient", .text),
                .init("event", .text), .init("attempt", .integer), .init("detail", .text),
            ]),
        StoreCopyTable(
            "held_cases", key: ["case_id", "recipient"],
            [
                .init("case_id", .text), .init("recipient", .text), .init("seq", .integer), .init("since", .integer),
                .init("reason", .text),
            ]),
        StoreCopyTable(
            "cases", key: ["case_id"],
            [
                .init("case_id", .text), .init("status", .text), .init("referrer", .text), .init("service", .text),
                .init("attempt", .integer), .init("opened_at", .integer), .init("updated_at", .integer),
                .init("risk", .text),
            ]),
        StoreCopyTable(
            "deadlines", key: ["id"],
            [
                .init("id", .integer), .init("case_id", .text), .init("item", .text), .init("due_at", .integer),
                .init("level", .integer), .init("policy", .text), .init("state", .integer),
                .init("created_at", .integer), .init("closed_at", .integer), .init("region", .text),
                .init("agency", .text), .init("risk", .text), .init("closers", .text), .init("notice_kind", .text),
                .init("armed_by", .integer), .init("notice_sender", .text), .init("notice_message_id", .text),
                .init("original_due", .integer),
            ]),
        StoreCopyTable(
            "node_backlog", key: ["node"],
            [.init("node", .text), .init("open_deliveries", .integer), .init("unconfirmed_receipts", .integer)]),
        StoreCopyTable(
            "node_overrides", key: ["node"],
            [
                .init("node", .text), .init("suspended_reason", .text), .init("suspended_by", .text),
                .init("suspended_at", .integer), .init("public_key", .text), .init("directory_key", .text),
                .init("previous_key", .text), .init("previous_until", .integer), .init("rotated_by", .text),
                .init("rotated_at", .integer),
            ]),
        StoreCopyTable(
            "audit", key: ["id"],
            [
                .init("id", .integer), .init("at", .integer), .init("event", .text), .init("node", .text),
                .init("peer", .text), .init("key_fingerprint", .text), .init("message_id", .text),
                .init("seq", .integer), .init("recipient", .text), .init("kind", .text), .init("code", .text),
                .init("detail", .text), .init("hash", .blob),
            ]),
    ]
}
