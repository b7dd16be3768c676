/// What `PostgresLease.status()` reports, for ADMIN-1 STATUS and `referralctl status` (POSTGRES-PLAN §8): this
/// instance's role as its lease thread sees it, the lease row as the database sees it, and the database's
/// replication state. Row and database fields are nil when the database could not be read (`problem` says why).
public struct PostgresLeaseStatus: Sendable, Hashable {
    public enum Role: String, Sendable, Hashable {
        case active
        case standby
    }

    public var role: Role
    /// This instance's name (what it writes as `holder` when it takes the lease).
    public var instance: String
    /// The lease epoch this instance holds; nil on a standby.
    public var heldEpoch: Int64?
    /// The newest lease epoch in the row (0: never held).
    public var leaseEpoch: Int64?
    /// The instance holding (or last holding) the lease; nil when the row was not read or never held.
    public var holder: String?
    public var holderEndpoint: String?
    /// Milliseconds until the lease expires on the database's clock (0: expired or released).
    public var expiresInMilliseconds: Int64?
    public var database: PostgresReplicationStatus?
    /// Why the row or the database fields are missing (the database did not answer, the lease is not running).
    public var problem: String?

    public init(
        role: Role, instance: String, heldEpoch: Int64? = nil, leaseEpoch: Int64? = nil, holder: String? = nil,
        holderEndpoint: String? = nil, expiresInMilliseconds: Int64? = nil,
        database: PostgresReplicationStatus? = nil, problem: String? = nil
    ) {
        self.role = role
        self.instance = instance
        self.heldEpoch = heldEpoch
        self.leaseEpoch = leaseEpoch
        self.holder = holder
        self.holderEndpoint = holderEndpoint
        self.expiresInMilliseconds = expiresInMilliseconds
        self.database = database
        self.problem = problem
    }
}
