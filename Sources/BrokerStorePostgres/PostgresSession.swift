import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection used from ONE plain thread (the store thread, the lease thread), which blocks on
/// postgres-nio's futures: never call it from the cooperative pool or from an event loop. It owns a one-thread
/// event loop group of its own, so a slow database never stalls another part of the daemon.
///
/// Opening tries the hosts in order and keeps the first that is not in recovery (the primary), then sets the
/// session: `synchronous_commit` (checked back with SHOW), `statement_timeout`,
/// `idle_in_transaction_session_timeout`, `application_name`.
public final class PostgresSession: @unchecked Sendable {
    /// The host this session is connected to (`host:port`), for logs and status.
    public let host: String
    let connection: PostgresConnection
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private var closed = false
    /// How long a statement may go unanswered before the connection is taken for dead and closed (so the wait ends
    /// with an error): the server cancels a statement at `statement_timeout`, so a silence well past it means the
    /// network or the server is gone (postgres-nio does not fail a query whose send failed on a closed channel).
    /// COMMIT is not bounded: waiting for the synchronous standby is the durability promise.
    var statementBoundMilliseconds: Int64 = 7_000

    private init(host: String, connection: PostgresConnection, group: MultiThreadedEventLoopGroup, logger: Logger) {
        self.host = host
        self.connection = connection
        self.group = group
        self.logger = logger
    }

    /// Connects to the primary among `options.hosts`. Throws `PostgresStoreError` naming each host tried and why
    /// it was not used (unreachable, in recovery, refused credentials): never the password.
    public static func connectPrimary(
        _ options: PostgresStoreOptions, logger: Logger = Logger(label: "referrald.postgresql")
    ) throws -> PostgresSession {
        var refusals: [String] = []
        for host in options.hosts {
            do {
                let session = try connect(host: host, options: options, logger: logger)
                do {
                    if try session.isInRecovery() {
                        refusals.append("\(host): in recovery (a standby)")
                        try? session.close()
                        continue
                    }
                    try session.configure(options)
                } catch {
                    // Its connection and its event loop's thread go with it.
                    try? session.close()
                    throw error
                }
                session.statementBoundMilliseconds = Int64(options.statementTimeoutMilliseconds) + 2_000
                return session
            } catch let error as PostgresStoreError {
                refusals.append("\(host): \(error.cause)")
            } catch {
                refusals.append("\(host): \(PostgresStoreError.describe(error))")
            }
        }
        throw PostgresStoreError(
            operation: "connect",
            cause: "no primary among \(options.hosts.count) host(s): "
                + refusals.joined(separator: "; "), kind: .unavailable)
    }

    static func connect(host: PostgresStoreOptions.Host, options: PostgresStoreOptions, logger: Logger) throws
        -> PostgresSession
    {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            var configuration = PostgresConnection.Configuration(
                host: host.name, port: host.port, username: options.user, password: options.password,
                database: options.database, tls: try tls(options.tls, host: host))
            configuration.options.connectTimeout = .milliseconds(Int64(options.connectTimeoutMilliseconds))
            configuration.options.additionalStartupParameters = [("application_name", options.applicationName)]
            let connection = try PostgresConnection.connect(
                on: group.next(), configuration: configuration, id: 1, logger: logger
            ).wait()
            return PostgresSession(host: host.description, connection: connection, group: group, logger: logger)
        } catch {
            try? group.syncShutdownGracefully()
            throw PostgresStoreError(
                operation: "connect", cause: PostgresStoreError.describe(error), kind: .unavailable)
        }
    }

    static func tls(_ tls: PostgresStoreOptions.TLS, host: PostgresStoreOptions.Host) throws
        -> PostgresConnection.Configuration.TLS
    {
        switch tls {
        case .disable:
            return .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            return .require(try NIOSSLContext(configuration: configuration))
        case .verifyFull(let caFile):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .file(caFile)
            configuration.certificateVerification = .fullVerification
            return .require(try NIOSSLContext(configuration: configuration))
        }
    }

    private func configure(_ options: PostgresStoreOptions) throws {
        guard ["on", "remote_apply"].contains(options.synchronousCommit) else {
            throw PostgresStoreError(
                operation: "connect", cause: "synchronous_commit must be on or remote_apply", kind: .misconfigured)
        }
        // SET takes no bind parameters: the values are checked above or are integers.
        try execute("SET synchronous_commit = \(options.synchronousCommit)")
        try execute("SET statement_timeout = \(options.statementTimeoutMilliseconds)")
        try execute("SET idle_in_transaction_session_timeout = \(options.idleInTransactionTimeoutMilliseconds)")
        let shown = try query("SHOW synchronous_commit").rows.first.map { try $0.decode(String.self) }
        guard shown == options.synchronousCommit else {
            throw PostgresStoreError(
                operation: "connect", cause: "the server kept synchronous_commit = \(shown ?? "?")",
                kind: .misconfigured)
        }
    }

    /// Whether the server is a standby (`pg_is_in_recovery()`).
    public func isInRecovery() throws -> Bool {
        try query("SELECT pg_is_in_recovery()").rows.first.map { try $0.decode(Bool.self) } ?? true
    }

    /// Runs one statement with its binds and collects every row.
    @discardableResult
    public func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) throws
        -> PostgresQueryResult
    {
        try checkNotClosed()
        return try bounded(connection.query(query, logger: logger, file: file, line: line))
    }

    /// Runs one statement without binds (DDL, SET, BEGIN/COMMIT). One statement only: the extended protocol
    /// refuses several.
    public func execute(_ sql: String) throws {
        try checkNotClosed()
        let answer = connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        _ = try sql == "COMMIT" ? answer.wait() : bounded(answer)
    }

    /// Waits for `answer`, closing the connection if it has not come within `statementBoundMilliseconds`.
    private func bounded<T>(_ answer: EventLoopFuture<T>) throws -> T {
        let connection = self.connection
        let watchdog = connection.eventLoop.scheduleTask(in: .milliseconds(statementBoundMilliseconds)) {
            connection.close().whenComplete { _ in }
        }
        defer { watchdog.cancel() }
        return try answer.wait()
    }

    /// Runs `body` in one transaction: BEGIN, body, COMMIT; ROLLBACK when `body` throws (the error is rethrown).
    /// A failing COMMIT is thrown as is: its outcome is unknown to the caller when the connection broke.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body()
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// postgres-nio (1.33.2, `PostgresConnection.queryStream`) writes a query to its channel without a write
    /// promise: on a connection the server already closed (a session ended for idle_in_transaction_session_timeout,
    /// a killed backend) the write fails silently and the query's future never completes, so `.wait()` would block
    /// the store or lease thread forever (a frozen leader's COMMIT after resuming). Refuse it instead.
    private func checkNotClosed() throws {
        if isClosed {
            throw PostgresStoreError(operation: "query", cause: "the connection is closed", kind: .unavailable)
        }
    }

    public var isClosed: Bool { closed || connection.isClosed }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try? connection.close().wait()
        try group.syncShutdownGracefully()
    }

    deinit {
        if !closed {
            try? connection.close().wait()
            try? group.syncShutdownGracefully()
        }
    }
}
