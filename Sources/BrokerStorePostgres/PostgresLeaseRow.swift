import PostgresNIO

/// The statements on the `broker_lease` row (POSTGRES-PLAN §5.1), each one autocommitted statement. Every time is
/// the database's clock (`CURRENT_TIMESTAMP`): instances' clocks are never compared. Run them on the lease's own
/// session, never on the store's (a renewal must not queue behind a batch).
///
/// Locks: acquire changes `epoch`, a key column (UNIQUE), so it takes the row's FOR UPDATE lock and waits for every
/// write transaction holding the fence's FOR KEY SHARE lock; renew and release change only `expires_at` (FOR NO KEY
/// UPDATE), which does not conflict with FOR KEY SHARE: the active's renewals never wait for its own batches.
public enum PostgresLeaseRow {
    /// What the row says, for status.
    public struct Snapshot: Sendable, Hashable {
        /// The newest lease epoch granted (0: never held).
        public var epoch: Int64
        /// The instance holding (or last holding) it; empty when never held.
        public var holder: String
        /// That instance's 1/RBP endpoint, for status only.
        public var endpoint: String
        /// Milliseconds until the lease expires on the database's clock; 0 when expired or released.
        public var expiresInMilliseconds: Int64
    }

    /// Takes the lease if it has expired: the new lease epoch, or nil when another instance holds it. With the
    /// session's `lock_timeout` (set by `PostgresLease`), a takeover blocked by an open fenced transaction fails
    /// with SQLSTATE 55P03 instead of waiting.
    public static func acquire(
        _ session: PostgresSession, holder: String, endpoint: String, ttlMilliseconds: Int64
    ) throws -> Int64? {
        try session.query(
            """
            UPDATE broker_lease SET epoch = epoch + 1, holder = \(holder), endpoint = \(endpoint),
                acquired_at = CURRENT_TIMESTAMP,
                expires_at = CURRENT_TIMESTAMP + \(ttlMilliseconds) * INTERVAL '1 millisecond'
            WHERE id = 1 AND expires_at < CURRENT_TIMESTAMP
            RETURNING epoch
            """
        ).rows.first.map { try $0.decode(Int64.self) }
    }

    /// Extends the lease held with `epoch`: false when the row carries another epoch (the lease is lost). A lease
    /// that expired but was not taken is renewed: nobody else wrote under another epoch meanwhile.
    public static func renew(_ session: PostgresSession, epoch: Int64, ttlMilliseconds: Int64) throws -> Bool {
        try session.query(
            """
            UPDATE broker_lease SET expires_at = CURRENT_TIMESTAMP + \(ttlMilliseconds) * INTERVAL '1 millisecond'
            WHERE id = 1 AND epoch = \(epoch)
            RETURNING expires_at
            """
        ).rows.first != nil
    }

    /// Gives the lease held with `epoch` back (expired at once), so a standby takes it at its next poll. Does
    /// nothing when the row carries another epoch.
    public static func release(_ session: PostgresSession, epoch: Int64) throws {
        try session.query(
            "UPDATE broker_lease SET expires_at = '-infinity' WHERE id = 1 AND epoch = \(epoch)")
    }

    /// Reads the row. `expires_at - CURRENT_TIMESTAMP` is computed only for a future expiry (subtracting
    /// '-infinity' is an error).
    public static func read(_ session: PostgresSession) throws -> Snapshot? {
        try session.query(
            """
            SELECT epoch, holder, endpoint,
                CASE WHEN expires_at > CURRENT_TIMESTAMP
                    THEN CAST(EXTRACT(EPOCH FROM expires_at - CURRENT_TIMESTAMP) * 1000 AS bigint) ELSE 0 END
            FROM broker_lease WHERE id = 1
            """
        ).rows.first.map { row in
            let (epoch, holder, endpoint, expiresIn) = try row.decode((Int64, String, String, Int64).self)
            return Snapshot(epoch: epoch, holder: holder, endpoint: endpoint, expiresInMilliseconds: expiresIn)
        }
    }
}
