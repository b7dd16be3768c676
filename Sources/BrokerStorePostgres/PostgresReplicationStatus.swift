import PostgresNIO

/// The database's replication state as the broker's session sees it, for `referralctl status` and metrics
/// (POSTGRES-PLAN §8). `pg_stat_replication` shows its details (`state`, `sync_state`, lags) only to superusers
/// and members of `pg_read_all_stats` (`deploy/` grants `pg_monitor`): without them those fields are nil, and a
/// read refused for privileges gives nil too, never an error.
public struct PostgresReplicationStatus: Sendable, Hashable {
    /// One row of `pg_stat_replication`: a standby streaming from this server.
    public struct Standby: Sendable, Hashable {
        public var name: String?
        /// `streaming`, `catchup`, … ; nil without pg_monitor.
        public var state: String?
        /// `sync`, `async`, `potential`, `quorum`; nil without pg_monitor.
        public var syncState: String?
        /// How far the standby's replay is behind; nil without pg_monitor or when idle (no WAL to replay).
        public var replayLagMilliseconds: Int64?

        public init(name: String?, state: String?, syncState: String?, replayLagMilliseconds: Int64?) {
            self.name = name
            self.state = state
            self.syncState = syncState
            self.replayLagMilliseconds = replayLagMilliseconds
        }
    }

    /// The server read (`host:port`).
    public var host: String
    /// `pg_is_in_recovery()`: true on a standby.
    public var inRecovery: Bool?
    /// This session's `synchronous_commit` (`on` or `remote_apply` for the broker's sessions).
    public var synchronousCommit: String?
    /// The server's `synchronous_standby_names` (empty: no synchronous standby, commits do not wait for one).
    public var synchronousStandbyNames: String?
    /// The standbys streaming from this server, by name; nil when the view could not be read.
    public var standbys: [Standby]?

    /// Reads it on `session` (one round trip per field). Connection errors are thrown; a refused privilege is nil.
    public static func read(_ session: PostgresSession) throws -> PostgresReplicationStatus {
        PostgresReplicationStatus(
            host: session.host,
            inRecovery: try unlessRefused { try session.isInRecovery() },
            synchronousCommit: try unlessRefused { try show("synchronous_commit", session) },
            synchronousStandbyNames: try unlessRefused { try show("synchronous_standby_names", session) },
            standbys: try unlessRefused {
                try session.query(
                    """
                    SELECT application_name, state, sync_state,
                        CAST(EXTRACT(EPOCH FROM replay_lag) * 1000 AS bigint)
                    FROM pg_stat_replication ORDER BY application_name
                    """
                ).rows.map { row in
                    let (name, state, syncState, lag) = try row.decode((String?, String?, String?, Int64?).self)
                    return Standby(name: name, state: state, syncState: syncState, replayLagMilliseconds: lag)
                }
            })
    }

    /// `SHOW name` (a fixed setting name, never a caller's text).
    private static func show(_ name: StaticString, _ session: PostgresSession) throws -> String? {
        try session.query(PostgresQuery(unsafeSQL: "SHOW \(name)")).rows.first.map { try $0.decode(String.self) }
    }

    /// Nil when the server refused for privileges (SQLSTATE 42501); every other error is thrown.
    private static func unlessRefused<T>(_ read: () throws -> T?) throws -> T? {
        do {
            return try read()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42501" {
            return nil
        }
    }
}
