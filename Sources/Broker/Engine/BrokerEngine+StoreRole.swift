/// What /metrics tells of the store's backend and this instance's lease: from the lease thread's memory only,
/// never a database read, so a scrape answers at once (on a standby too).
public struct StoreRoleFacts: Sendable, Hashable {
    /// `sqlite` or `postgresql`.
    public var backend: String
    /// This instance serves (holds the lease; with SQLite: the engine runs).
    public var active: Bool
    /// The lease epoch it holds (PostgreSQL, while active).
    public var leaseEpoch: Int64?
    /// The lease thread's renewals: committed, refused (the lease was lost), failed (no answer, an error).
    public var renewalsOk: Int
    public var renewalsLost: Int
    public var renewalsFailed: Int

    public init(
        backend: String, active: Bool, leaseEpoch: Int64? = nil, renewalsOk: Int = 0, renewalsLost: Int = 0,
        renewalsFailed: Int = 0
    ) {
        self.backend = backend
        self.active = active
        self.leaseEpoch = leaseEpoch
        self.renewalsOk = renewalsOk
        self.renewalsLost = renewalsLost
        self.renewalsFailed = renewalsFailed
    }
}

extension BrokerEngine {
    public var storeRole: StoreRoleFacts {
        let backend = configuration.store.backendName
        guard let lease = activeLease.withLock({ $0 })?.lease else {
            // SQLite (or PostgreSQL before the lease exists): active while the engine runs.
            return StoreRoleFacts(backend: backend, active: backend == "sqlite" && isStarted && !stopWasRequested)
        }
        let counters = lease.counters
        var facts = StoreRoleFacts(
            backend: backend, active: false, renewalsOk: counters.renewalsOk, renewalsLost: counters.renewalsLost,
            renewalsFailed: counters.renewalsFailed)
        if case .active(let epoch) = lease.role { (facts.active, facts.leaseEpoch) = (true, epoch) }
        return facts
    }
}
