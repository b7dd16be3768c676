import ReferralProtocol

extension StoreSettings {
    /// Reads the `store` object of referrald.json with the strict reader: unknown keys, wrong types and values
    /// that are not one of the choices are errors naming `store.…`. A member the chosen backend does not use is
    /// refused too (a `lease` under SQLite would silently mean nothing).
    static func parse(_ reader: inout JSONObjectReader) throws(ConfigurationError) -> StoreSettings {
        let backend = try reader.optionalString("backend") ?? "sqlite"
        let postgresql = try reader.optionalReader("postgresql")
        let lease = try reader.optionalReader("lease")
        let settings: StoreSettings
        switch backend {
        case "sqlite":
            for (key, present) in [("postgresql", postgresql != nil), ("lease", lease != nil)] where present {
                throw reader.error(key, "is only used with store.backend postgresql (the backend is sqlite)")
            }
            settings = StoreSettings(backend: .sqlite)
        case "postgresql":
            guard var database = postgresql else {
                throw reader.error("postgresql", "is required with store.backend postgresql (hosts, database, ...)")
            }
            var leaseSettings = LeaseSettings()
            if var lease { leaseSettings = try LeaseSettings.parse(&lease) }
            settings = StoreSettings(backend: .postgresql(try PostgreSQLSettings.parse(&database), leaseSettings))
        default:
            throw reader.error("backend", "must be sqlite or postgresql, got '\(backend)'")
        }
        try reader.refuseUnknownKeys()
        return settings
    }

    /// `store` as `referrald print-config` writes it: every member of the chosen backend, defaults included.
    var effectiveJSON: JSONValue {
        switch backend {
        case .sqlite:
            return .object([("backend", .string("sqlite"))])
        case .postgresql(let database, let lease):
            return .object([
                ("backend", .string("postgresql")),
                (
                    "postgresql",
                    .object([
                        ("hosts", .array(database.hosts.map { .string($0.description) })),
                        ("database", .string(database.database)),
                        ("user", .string(database.user)),
                        ("password_file", .string(database.passwordFile)),
                        ("tls", .string(database.tls.rawValue)),
                        ("ca_file", .string(database.caFile)),
                        ("synchronous_commit", .string(database.synchronousCommit.rawValue)),
                        ("connect_timeout_ms", .integer(Int64(database.connectTimeoutMs))),
                    ])
                ),
                (
                    "lease",
                    .object([
                        ("ttl_ms", .integer(Int64(lease.ttlMs))),
                        ("renew_ms", .integer(Int64(lease.renewMs))),
                        ("standby_poll_ms", .integer(Int64(lease.standbyPollMs))),
                    ])
                ),
            ])
        }
    }

    /// The settings' file paths made absolute against `base` (see `BrokerConfiguration.resolvePaths`).
    mutating func resolvePaths(_ absolute: (String) -> String) {
        guard case .postgresql(var database, let lease) = backend else { return }
        if !database.passwordFile.isEmpty { database.passwordFile = absolute(database.passwordFile) }
        if !database.caFile.isEmpty { database.caFile = absolute(database.caFile) }
        backend = .postgresql(database, lease)
    }
}

extension PostgreSQLSettings {
    static func parse(_ reader: inout JSONObjectReader) throws(ConfigurationError) -> PostgreSQLSettings {
        // Before anything else, and without ever quoting the value: the point is that it must not be in this file.
        if reader.value("password") != nil {
            throw reader.error(
                "password",
                "is not read from the configuration file (it is printed, copied and kept in version control): put "
                    + "the password in a file of mode 0600 named by store.postgresql.password_file, or in the "
                    + "environment variable \(Self.passwordVariable)")
        }
        guard let entries = try reader.optionalStrings("hosts") else {
            throw reader.error("hosts", "is required: the database servers, e.g. [\"db1:5432\", \"db2:5432\"]")
        }
        var hosts: [PostgreSQLHost] = []
        for (index, entry) in entries.enumerated() {
            guard let host = PostgreSQLHost(parsing: entry) else {
                throw reader.error(
                    "hosts[\(index)]",
                    "must be host:port (e.g. db1:5432, 10.0.0.5:5432, [fd00::5]:5432), got '\(entry)'")
            }
            hosts.append(host)
        }
        var settings = PostgreSQLSettings(hosts: hosts)
        settings.database = try reader.optionalString("database") ?? settings.database
        settings.user = try reader.optionalString("user") ?? settings.user
        settings.passwordFile = try reader.optionalString("password_file") ?? settings.passwordFile
        settings.caFile = try reader.optionalString("ca_file") ?? settings.caFile
        if let text = try reader.optionalString("tls") {
            guard let tls = TLS(rawValue: text) else {
                throw reader.error("tls", "must be disable, require or verify-full, got '\(text)'")
            }
            settings.tls = tls
        }
        if let text = try reader.optionalString("synchronous_commit") {
            guard let level = SynchronousCommit(rawValue: text) else {
                throw reader.error(
                    "synchronous_commit",
                    "must be on or remote_apply, got '\(text)': at a weaker level a message the broker acknowledged "
                        + "could be lost with the primary database machine")
            }
            settings.synchronousCommit = level
        }
        settings.connectTimeoutMs = try reader.optionalInteger("connect_timeout_ms") ?? settings.connectTimeoutMs
        try reader.refuseUnknownKeys()
        return settings
    }
}

extension LeaseSettings {
    static func parse(_ reader: inout JSONObjectReader) throws(ConfigurationError) -> LeaseSettings {
        var settings = LeaseSettings()
        let members: [(key: String, path: WritableKeyPath<LeaseSettings, Int>)] = [
            ("ttl_ms", \.ttlMs), ("renew_ms", \.renewMs), ("standby_poll_ms", \.standbyPollMs),
        ]
        for (key, path) in members {
            if let value = try reader.optionalInteger(key) { settings[keyPath: path] = value }
        }
        try reader.refuseUnknownKeys()
        return settings
    }
}
