/// The fencing check every write transaction of an active broker starts with (POSTGRES-PLAN §5.2): the lease row
/// must still carry this instance's lease epoch and not have expired, and it stays locked FOR KEY SHARE until the
/// transaction ends. A takeover changes the epoch (a key column: it needs the row's FOR UPDATE lock), so either it
/// came first and this check refuses, or it waits until this transaction has committed or rolled back: a paused
/// former leader can never commit after another instance took over.
public enum PostgresFence {
    /// Throws `PostgresStoreError` of kind `.fenced` when this instance no longer holds the lease. Call inside the
    /// transaction, before any write.
    public static func check(_ session: PostgresSession, leaseEpoch: Int64) throws {
        let rows = try session.query(
            """
            SELECT epoch FROM broker_lease
            WHERE id = 1 AND epoch = \(leaseEpoch) AND expires_at > CURRENT_TIMESTAMP
            FOR KEY SHARE
            """
        ).rows
        guard rows.first != nil else {
            throw PostgresStoreError(
                operation: "fence", cause: "lease epoch \(leaseEpoch) is no longer held by this instance",
                kind: .fenced)
        }
    }
}
