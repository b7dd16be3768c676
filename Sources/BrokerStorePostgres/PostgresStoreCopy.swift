import Foundation
import Logging
import NIOCore
import PostgresNIO
import StoreModel

/// `referrald store copy`: a broker store moved from SQLite into an empty PostgreSQL database, in ONE transaction
/// (all or nothing). Inside it, in order: the lease row is locked (no instance can become active meanwhile) and must
/// not be held; every table must be empty; the source's identity is written (the same store epoch, so nodes see the
/// same store, and the floors of seqs and receipt numbers); the pages of every table are inserted, a multi-row
/// `INSERT … SELECT * FROM UNNEST(…)` each; the events' identity is moved past the copied ids; then the copy is
/// checked against its source (the same origin: epoch, floors, rows per table, audit tip) and its audit chain is
/// verified from record 1. Any failure rolls everything back.
public enum PostgresStoreCopy {
    public struct Summary: Sendable {
        /// Rows copied per table, in `StoreCopyPlan.tables` order.
        public var rows: [(table: String, count: Int64)]
        public var origin: StoreCopyOrigin
        /// The audit chain as verified on PostgreSQL before the commit.
        public var audit: AuditVerification
        public var seconds: Double
    }

    /// Session settings of the copy: one long transaction of many statements, so longer limits than the broker's
    /// (which guard the lease). A statement still ends within `statementTimeoutMilliseconds`.
    public static func copyOptions(_ options: PostgresStoreOptions) -> PostgresStoreOptions {
        var options = options
        options.statementTimeoutMilliseconds = max(options.statementTimeoutMilliseconds, 600_000)
        options.idleInTransactionTimeoutMilliseconds = max(options.idleInTransactionTimeoutMilliseconds, 300_000)
        options.applicationName += " store copy"
        return options
    }

    /// Connects to the primary, creates the schema if the database is empty (the normal migrator, committed on its
    /// own), then runs `source` inside the copy's transaction: it must call the writer's `begin` once and `append`
    /// for every page, and return the source's origin.
    public static func copy(
        into options: PostgresStoreOptions, logger: Logger = Logger(label: "referrald.store-copy"),
        from source: (PostgresStoreCopyWriter) throws -> StoreCopyOrigin
    ) throws -> Summary {
        let started = ContinuousClock.now
        let session = try PostgresSession.connectPrimary(copyOptions(options), logger: logger)
        defer { try? session.close() }
        do {
            try PostgresMigrator.migrate(session)
            return try session.transaction {
                try lockLease(session)
                try refuseNonEmpty(session)
                let writer = PostgresStoreCopyWriter(session: session)
                let origin = try source(writer)
                guard writer.began else {
                    throw PostgresStoreCopyRefusal(problem: "the source handed no origin: nothing was copied")
                }
                try advanceEventIds(session)
                let copied = try readOrigin(session)
                let differences = origin.differences(from: copied)
                guard differences.isEmpty else {
                    throw PostgresStoreCopyRefusal(
                        problem: "the copy does not match its source (" + differences.joined(separator: "; ")
                            + "): rolled back, nothing was written")
                }
                let audit = try verifyAudit(session, tipId: origin.auditTipId, tipHash: origin.auditTipHash)
                if case .broken(let id, let problem) = audit {
                    throw PostgresStoreCopyRefusal(
                        problem: "the audit chain does not verify (record \(id): \(problem)): rolled back, nothing "
                            + "was written. "
                            + "Run `referralctl audit verify` on the SQLite broker to see the damage")
                }
                return Summary(
                    rows: StoreCopyPlan.tables.map { ($0.name, copied.rowCounts[$0.name] ?? 0) }, origin: origin,
                    audit: audit, seconds: Self.seconds(since: started))
            }
        } catch let error as PSQLError {
            // The source's own errors (the SQLite store's) and refusals go through as they are.
            throw PostgresStoreError.wrap(error, operation: "store copy")
        }
    }

    /// Locks the lease row for the whole copy (an instance's takeover waits, then finds the copied store) and
    /// refuses while an instance holds the lease: it could be writing into this database.
    static func lockLease(_ session: PostgresSession) throws {
        let rows = try session.query(
            "SELECT holder, expires_at > CURRENT_TIMESTAMP FROM broker_lease WHERE id = 1 FOR UPDATE"
        ).rows
        guard let row = rows.first else { return }
        let (holder, held) = try row.decode((String, Bool).self)
        if held {
            throw PostgresStoreCopyRefusal(
                problem: "referrald instance \"\(holder)\" holds the lease on this database (it is running on it): "
                    + "stop every instance that uses this database, then copy")
        }
    }

    /// Every copied table must be empty and the floors zero: the copy never merges two stores.
    static func refuseNonEmpty(_ session: PostgresSession) throws {
        var held: [String] = []
        for table in StoreCopyPlan.tables {
            let count =
                try session.query(
                    PostgresQuery(unsafeSQL: "SELECT count(*) FROM (SELECT 1 FROM \(table.name) LIMIT 1000) AS t")
                ).rows.first?.decode(Int64.self) ?? 0
            if count > 0 { held.append("\(table.name): \(count == 1000 ? "1000 or more" : String(count)) rows") }
        }
        if let floors = try session.query("SELECT seq_floor, receipt_floor FROM store_identity").rows.first {
            let (seq, receipt) = try floors.decode((Int64, Int64).self)
            if seq > 0 || receipt > 0 { held.append("store_identity: seqs given up to \(max(seq, receipt))") }
        }
        guard held.isEmpty else {
            throw PostgresStoreCopyRefusal(
                problem: "the PostgreSQL database already holds a broker store (" + held.joined(separator: ", ")
                    + "): copy only into a new, empty database; nothing was written")
        }
    }

    /// `events.id` is an identity column the broker never sets: its sequence must start after the copied ids.
    static func advanceEventIds(_ session: PostgresSession) throws {
        try session.query(
            """
            SELECT setval(pg_get_serial_sequence('events', 'id'), m) FROM (SELECT max(id) AS m FROM events) AS t
            WHERE m IS NOT NULL
            """)
    }

    /// The copy as it stands in the transaction, described as its source describes itself.
    static func readOrigin(_ session: PostgresSession) throws -> StoreCopyOrigin {
        guard let identity = try session.query("SELECT epoch, seq_floor, receipt_floor FROM store_identity").rows.first
        else {
            throw PostgresStoreError(operation: "store copy", cause: "store_identity has no row", kind: .incompatible)
        }
        let (epoch, seqFloor, receiptFloor) = try identity.decode((ByteBuffer, Int64, Int64).self)
        var counts: [String: Int64] = [:]
        for table in StoreCopyPlan.tables {
            counts[table.name] =
                try session.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)")).rows.first?
                .decode(Int64.self) ?? 0
        }
        var tipId: Int64 = 0
        var tipHash: [UInt8] = []
        if let tip = try session.query("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").rows.first {
            let (id, hash) = try tip.decode((Int64, ByteBuffer).self)
            tipId = id
            tipHash = Array(buffer: hash)
        }
        return StoreCopyOrigin(
            epoch: Array(buffer: epoch), seqFloor: seqFloor, receiptFloor: receiptFloor, rowCounts: counts,
            auditTipId: tipId, auditTipHash: tipHash)
    }

    /// The whole chain from record 1, a page at a time, with the verifier both stores use, anchored at the source's
    /// tip.
    static func verifyAudit(_ session: PostgresSession, tipId: Int64, tipHash: [UInt8]) throws -> AuditVerification {
        var verifier = AuditChainVerifier(
            anchorId: tipId, anchorHash: tipId == 0 ? [UInt8](repeating: 0, count: 32) : tipHash)
        var afterId = Int64.min
        let page = Int64(PostgresBrokerStore.auditVerifyPage)
        while true {
            let rows = try session.query(
                """
                SELECT \(unescaped: PostgresAuditRows.columns) FROM audit WHERE id > \(afterId) ORDER BY id LIMIT \(page)
                """
            ).rows
            for row in rows {
                let (id, stored) = try PostgresAuditRows.decode(row)
                if let verdict = verifier.check(stored, rowId: id) { return verdict }
                afterId = id
            }
            if rows.count < page { return verifier.finish() }
        }
    }

    /// `INSERT INTO t (c1, …) SELECT * FROM UNNEST($1::type[], …)`: one statement per page, one array bind per
    /// column.
    public static func insertStatement(for table: StoreCopyTable) -> String {
        let arrays = table.columns.enumerated().map { index, column in "$\(index + 1)::\(arrayType(column.kind))" }
        return "INSERT INTO \(table.name) (\(table.columnNames.joined(separator: ", "))) SELECT * FROM UNNEST("
            + arrays.joined(separator: ", ") + ")"
    }

    static func arrayType(_ kind: StoreCopyColumnKind) -> String {
        switch kind {
        case .integer: "bigint[]"
        case .text: "text[]"
        case .blob: "bytea[]"
        }
    }

    /// One array per column of the page's rows. A value of another kind than its column's is refused, naming the
    /// table, the column and the row's position in the page (never the value).
    static func binds(for page: StoreCopyPage) throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: page.table.columns.count)
        for (index, column) in page.table.columns.enumerated() {
            func mismatch(_ row: Int) -> PostgresStoreCopyRefusal {
                PostgresStoreCopyRefusal(
                    problem: "\(page.table.name).\(column.name) holds a value that is not \(column.kind.rawValue) "
                        + "(row \(row + 1) of a page): the SQLite store was edited outside the broker")
            }
            switch column.kind {
            case .integer:
                binds.append(
                    PostgresNullableArray<Int64>(
                        try page.rows.enumerated().map { row, values -> Int64? in
                            switch values[index] {
                            case .null: return nil
                            case .integer(let number): return number
                            default: throw mismatch(row)
                            }
                        }))
            case .text:
                binds.append(
                    PostgresNullableArray<String>(
                        try page.rows.enumerated().map { row, values -> String? in
                            switch values[index] {
                            case .null: return nil
                            case .text(let text): return text
                            default: throw mismatch(row)
                            }
                        }))
            case .blob:
                binds.append(
                    PostgresNullableArray<ByteBuffer>(
                        try page.rows.enumerated().map { row, values -> ByteBuffer? in
                            switch values[index] {
                            case .null: return nil
                            case .blob(let bytes): return ByteBuffer(bytes: bytes)
                            default: throw mismatch(row)
                            }
                        }))
            }
        }
        return binds
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// Writes the pages of `PostgresStoreCopy.copy`'s source inside its transaction.
public final class PostgresStoreCopyWriter: StoreCopyTarget {
    let session: PostgresSession
    private(set) var began = false

    init(session: PostgresSession) { self.session = session }

    /// The source's identity: the same store epoch (nodes see the same store) and the floors under which no seq or
    /// receipt number is given again.
    public func begin(_ origin: StoreCopyOrigin) throws {
        guard !began else { return }
        guard origin.epoch.count == 16 else {
            throw PostgresStoreCopyRefusal(
                problem: "the source's store epoch is \(origin.epoch.count) octets, not 16: not a broker store")
        }
        try session.query(
            """
            UPDATE store_identity SET epoch = \(ByteBuffer(bytes: origin.epoch)), seq_floor = \(origin.seqFloor),
            receipt_floor = \(origin.receiptFloor)
            """)
        began = true
    }

    public func append(_ page: StoreCopyPage) throws {
        guard began else {
            throw PostgresStoreCopyRefusal(problem: "a page came before the source's origin: nothing was copied")
        }
        guard !page.rows.isEmpty else { return }
        let binds = try PostgresStoreCopy.binds(for: page)
        do {
            try session.query(
                PostgresQuery(unsafeSQL: PostgresStoreCopy.insertStatement(for: page.table), binds: binds))
        } catch {
            // Which table the server refused (a text PostgreSQL cannot hold, a violated key), never the values.
            var wrapped = PostgresStoreError.wrap(error, operation: "store copy")
            wrapped.operation = "store copy (\(page.table.name), a page of \(page.rows.count) rows)"
            throw wrapped
        }
    }
}

/// Why a copy was refused or rolled back, in words an operator can act on (never a value of a row).
public struct PostgresStoreCopyRefusal: Error, CustomStringConvertible, Sendable {
    public var problem: String
    public init(problem: String) { self.problem = problem }
    public var description: String { "store copy refused: \(problem)" }
}
