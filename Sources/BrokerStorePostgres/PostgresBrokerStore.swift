import Logging
import PostgresNIO
import StoreModel

/// The broker's durable store on PostgreSQL: the second backend of `BrokerStoring`, with the meaning the
/// conformance suite pins (Tests/BrokerStoreConformanceTests). One connection (`PostgresSession`), used by one
/// thread at a time, the store thread, which blocks on it; `run(_:)` is one transaction per batch, committed with
/// `synchronous_commit = on` (or `remote_apply`), so an ACCEPTED message is on the synchronous standby too.
///
/// Seqs, deadline ids, receipt numbers and audit ids are assigned here (the highest + 1, advanced after a commit),
/// never by the database: the same numbers as SQLite, no round trip to learn them (POSTGRES-PLAN §1.3).
///
/// Thread safety: as `BrokerStore`, one thread at a time, hence `@unchecked Sendable`.
public final class PostgresBrokerStore: @unchecked Sendable {
    let options: PostgresStoreOptions
    /// Replaced when the connection broke (`recoverIfNeeded`): a database failover moves the primary.
    var session: PostgresSession
    let logger: Logger
    /// Set by a failed transaction: its outcome may be unknown (the connection broke while COMMIT was under way),
    /// so the numbering tips are read again before the next statement.
    var needsRecovery = false
    var counters = StoreStatistics()
    /// The highest seq given to a message (max of `store_identity.seq_floor` and `messages.seq`).
    var highestSeq: Int64 = 0
    /// The highest deadline id.
    var highestDeadlineId: Int64 = 0
    /// The highest receipt number written or reserved.
    var highestReceiptId: Int64 = 0
    /// The audit chain's newest id and hash (id 0 and 32 zero octets when the trail is empty).
    var auditTipId: Int64 = 0
    var auditTipHash = [UInt8](repeating: 0, count: 32)
    /// The store epoch (`store_identity.epoch`, announced in WELCOME): not the lease epoch.
    public internal(set) var epoch: [UInt8] = []
    public internal(set) var auditTailProblem: String?
    /// The lease epoch this instance writes under (set by the broker when it wins the lease, POSTGRES-PLAN §5).
    /// When set, every write transaction (`run`, `purgeBodies`) starts with `PostgresFence.check` and a fenced
    /// batch throws `.fenced` with nothing stored. Nil: unfenced (tools, tests, a single instance).
    public var leaseEpoch: Int64?
    var isClosed = false

    public var statistics: StoreStatistics { counters }
    /// The PostgreSQL backend has no mark file of its own: what was acknowledged is on the synchronous standby.
    public var isMarkBehind: Bool { false }
    /// The host of the primary this store writes to.
    public var host: String { session.host }

    /// Connects to the primary among `options.hosts`, creates or checks the schema (refusing a store written by a
    /// newer binary), and loads the numbering tips.
    public init(options: PostgresStoreOptions, logger: Logger = Logger(label: "referrald.store")) throws {
        self.options = options
        self.logger = logger
        session = try PostgresSession.connectPrimary(options, logger: logger)
        do {
            try PostgresMigrator.migrate(session)
            try loadPosition()
        } catch {
            try? session.close()
            throw PostgresStoreError.wrap(error, operation: "open")
        }
    }

    deinit {
        if !isClosed { try? session.close() }
    }

    /// Before an instance waits for the lease: creates the tables of an empty database (the lease row among them)
    /// and refuses one this binary cannot use, on a connection of its own, closed afterwards. Later migrations are
    /// left to the instance that wins the lease (`init`).
    public static func prepareDatabase(options: PostgresStoreOptions, logger: Logger) throws {
        let session = try PostgresSession.connectPrimary(options, logger: logger)
        defer { try? session.close() }
        do {
            try PostgresMigrator.migrate(session, applyingLater: false)
        } catch {
            throw PostgresStoreError.wrap(error, operation: "open")
        }
    }

    /// The applied migrations, in order (the same names as SQLite's).
    public func migrations() throws -> [String] {
        try session.query("SELECT name FROM schema_migrations").rows.map { try $0.decode(String.self) }
            .sorted {
                StoreMigrations.names.firstIndex(of: $0) ?? .max < StoreMigrations.names.firstIndex(of: $1) ?? .max
            }
    }

    /// Reads the store epoch and the numbering tips.
    func loadPosition() throws {
        guard let identity = try session.query("SELECT epoch, seq_floor, receipt_floor FROM store_identity").rows.first
        else {
            throw PostgresStoreError(operation: "open", cause: "store_identity has no row", kind: .incompatible)
        }
        let (epochBuffer, seqFloor, receiptFloor) = try identity.decode((ByteBuffer, Int64, Int64).self)
        epoch = Array(buffer: epochBuffer)
        let seq = try session.query("SELECT coalesce(max(seq), 0) FROM messages").rows.first?.decode(Int64.self) ?? 0
        highestSeq = max(seqFloor, seq)
        let receipt = try session.query("SELECT coalesce(max(id), 0) FROM receipts").rows.first?.decode(Int64.self) ?? 0
        highestReceiptId = max(receiptFloor, receipt)
        highestDeadlineId =
            try session.query("SELECT coalesce(max(id), 0) FROM deadlines").rows.first?.decode(Int64.self) ?? 0
        if let tip = try session.query("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").rows.first {
            let (id, hash) = try tip.decode((Int64, ByteBuffer).self)
            auditTipId = id
            auditTipHash = Array(buffer: hash)
        } else {
            auditTipId = 0
            auditTipHash = [UInt8](repeating: 0, count: 32)
        }
    }

    /// Runs `body` in one write transaction, fenced by `leaseEpoch` when set. Every write goes through here.
    func writeTransaction<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        try checkOpen(operation)
        try recoverIfNeeded(operation)
        do {
            return try session.transaction {
                if let leaseEpoch { try PostgresFence.check(session, leaseEpoch: leaseEpoch) }
                return try body()
            }
        } catch {
            needsRecovery = true
            throw PostgresStoreError.wrap(error, operation: operation)
        }
    }

    /// After a failed transaction or a broken connection: connects again (to whichever host is the primary now,
    /// after a database failover) and reads the numbering tips again. A batch whose COMMIT went out but whose answer
    /// never came may have committed: the tips then include it, and the nodes' resends of its messages are answered
    /// as duplicates (the units are written so that doing one again changes nothing).
    func recoverIfNeeded(_ operation: String) throws {
        guard needsRecovery || session.isClosed else { return }
        do {
            // The connection may be dead without knowing it yet (the server ended it): then the read fails and a
            // new connection is made.
            if !session.isClosed, (try? loadPosition()) != nil {
                needsRecovery = false
                return
            }
            try? session.close()
            session = try PostgresSession.connectPrimary(options, logger: logger)
            logger.notice("reconnected to the database", metadata: ["host": "\(session.host)"])
            try loadPosition()
            needsRecovery = false
        } catch {
            throw PostgresStoreError.wrap(error, operation: operation)
        }
    }

    func checkOpen(_ operation: String) throws {
        if isClosed {
            throw PostgresStoreError(operation: operation, cause: "store is closed", kind: .unavailable)
        }
    }

    public func close() throws {
        guard !isClosed else { return }
        isClosed = true
        try session.close()
    }

    public func releaseMemory() {}
}
