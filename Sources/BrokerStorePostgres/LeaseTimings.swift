/// The broker lease's timing settings (`store.lease` in referrald.json, POSTGRES-PLAN §5.3), in milliseconds.
///
/// The lease row's expiry is set by the database (`CURRENT_TIMESTAMP + ttl`); these numbers only decide when this
/// instance polls, renews and gives up. Safety never rests on them: it rests on the lease epoch checked by the
/// fence in every write transaction (`PostgresFence`).
public struct LeaseTimings: Sendable, Hashable {
    /// How long a granted or renewed lease lasts on the database's clock.
    public var ttlMilliseconds: Int64
    /// How often the active instance renews.
    public var renewMilliseconds: Int64
    /// How often a standby tries to take the lease (and how soon a failed renewal is retried).
    public var standbyPollMilliseconds: Int64

    public init(ttlMilliseconds: Int64 = 3000, renewMilliseconds: Int64 = 1000, standbyPollMilliseconds: Int64 = 500) {
        self.ttlMilliseconds = ttlMilliseconds
        self.renewMilliseconds = renewMilliseconds
        self.standbyPollMilliseconds = standbyPollMilliseconds
    }

    /// How long the active instance may go without a successful renewal before it stops being active: ttl − renew.
    /// It stops then, while the lease it last renewed is still valid for at least one renew interval, so it is never
    /// active on a lease that may have expired under it.
    public var silenceLimitMilliseconds: Int64 { ttlMilliseconds - renewMilliseconds }

    /// Why these settings cannot work, or nil. The silence limit must be longer than one renew interval, otherwise
    /// the active instance would give up before its first renewal is even due: ttl > 2 × renew.
    public var problem: String? {
        if renewMilliseconds <= 0 { return "lease renew_ms must be positive" }
        if standbyPollMilliseconds <= 0 { return "lease standby_poll_ms must be positive" }
        if ttlMilliseconds <= 2 * renewMilliseconds {
            return "lease ttl_ms (\(ttlMilliseconds)) must be more than twice renew_ms (\(renewMilliseconds))"
        }
        return nil
    }
}
