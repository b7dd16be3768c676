/// STATUS `store` (ADMIN-1): which store the broker runs on and, with PostgreSQL, which instance is active, the
/// lease it holds and the database's replication state (docs/FAILOVER.md). What could not be read is nil.
public struct AdminStoreStatus: Sendable, Hashable {
    /// The lease row as last read from the database.
    public struct Lease: Sendable, Hashable {
        public var epoch: Int64?
        public var holder: String?
        public var holderEndpoint: String?
        /// Milliseconds until the lease expires on the database's clock (0: expired or released).
        public var expiresInMs: Int64?

        public init(epoch: Int64?, holder: String?, holderEndpoint: String?, expiresInMs: Int64?) {
            self.epoch = epoch
            self.holder = holder
            self.holderEndpoint = holderEndpoint
            self.expiresInMs = expiresInMs
        }
    }

    /// One standby streaming from the database server (`pg_stat_replication`).
    public struct Standby: Sendable, Hashable {
        public var name: String?
        public var state: String?
        public var syncState: String?
        public var replayLagMs: Int64?

        public init(name: String?, state: String?, syncState: String?, replayLagMs: Int64?) {
            self.name = name
            self.state = state
            self.syncState = syncState
            self.replayLagMs = replayLagMs
        }
    }

    /// The database server's replication state; fields are nil without the privileges to read them.
    public struct Database: Sendable, Hashable {
        public var host: String
        public var inRecovery: Bool?
        public var synchronousCommit: String?
        public var synchronousStandbyNames: String?
        public var standbys: [Standby]?

        public init(
            host: String, inRecovery: Bool?, synchronousCommit: String?, synchronousStandbyNames: String?,
            standbys: [Standby]?
        ) {
            self.host = host
            self.inRecovery = inRecovery
            self.synchronousCommit = synchronousCommit
            self.synchronousStandbyNames = synchronousStandbyNames
            self.standbys = standbys
        }
    }

    /// `sqlite` or `postgresql`.
    public var backend: String
    /// This instance's name (PostgreSQL).
    public var instance: String?
    /// `active` (a standby answers NOT_ACTIVE instead of STATUS).
    public var role: String?
    public var lease: Lease?
    public var database: Database?

    public init(
        backend: String, instance: String? = nil, role: String? = nil, lease: Lease? = nil, database: Database? = nil
    ) {
        self.backend = backend
        self.instance = instance
        self.role = role
        self.lease = lease
        self.database = database
    }
}

extension AdminCodec {
    static func storeStatusJSON(_ store: AdminStoreStatus) -> JSONValue {
        let lease = store.lease.map { lease in
            object([
                "epoch": lease.epoch, "holder": lease.holder, "holder_endpoint": lease.holderEndpoint,
                "expires_in_ms": lease.expiresInMs,
            ])
        }
        let database = store.database.map { database in
            object([
                "host": database.host, "in_recovery": database.inRecovery,
                "synchronous_commit": database.synchronousCommit,
                "synchronous_standby_names": database.synchronousStandbyNames,
                "standbys": database.standbys.map { standbys in
                    standbys.map { standby in
                        object([
                            "name": standby.name, "state": standby.state, "sync_state": standby.syncState,
                            "replay_lag_ms": standby.replayLagMs,
                        ])
                    }
                },
            ])
        }
        return object([
            "backend": store.backend, "instance": store.instance, "role": store.role, "lease": lease,
            "database": database,
        ])
    }

    static func storeStatus(_ object: AdminObjectReader) throws(Malformed) -> AdminStoreStatus {
        let lease = try object.optionalObject("lease").map { (lease) throws(Malformed) in
            AdminStoreStatus.Lease(
                epoch: try lease.optionalInteger("epoch"), holder: try lease.optionalString("holder"),
                holderEndpoint: try lease.optionalString("holder_endpoint"),
                expiresInMs: try lease.optionalInteger("expires_in_ms"))
        }
        let database = try object.optionalObject("database").map { (database) throws(Malformed) in
            AdminStoreStatus.Database(
                host: try database.string("host"), inRecovery: try database.optionalBool("in_recovery"),
                synchronousCommit: try database.optionalString("synchronous_commit"),
                synchronousStandbyNames: try database.optionalString("synchronous_standby_names"),
                standbys: try database.optionalObjects("standbys") { (standby) throws(Malformed) in
                    AdminStoreStatus.Standby(
                        name: try standby.optionalString("name"), state: try standby.optionalString("state"),
                        syncState: try standby.optionalString("sync_state"),
                        replayLagMs: try standby.optionalInteger("replay_lag_ms"))
                })
        }
        return AdminStoreStatus(
            backend: try object.string("backend"), instance: try object.optionalString("instance"),
            role: try object.optionalString("role"), lease: lease, database: database)
    }
}
