import BrokerStore
import BrokerStorePostgres
import Foundation
import ReferralProtocol

/// How `referrald run` opens its store, decided once at start-up from `store.backend`, after every file the
/// configuration names was read and before anything is created.
struct StoreOpener: Sendable {
    /// Opens the store (again after a refusal that may pass, e.g. another process's lock). With PostgreSQL, every
    /// write of the store is fenced by the lease epoch this instance holds (POSTGRES-PLAN §5.2).
    let open: @Sendable (_ leaseEpoch: Int64?) throws -> any BrokerStoring

    /// The opener for `configuration`'s backend. `password` is already read (`password_file` or
    /// `REFERRALD_PG_PASSWORD`) and `ca_file` checked.
    static func forBackend(
        of configuration: BrokerConfiguration, password: PostgreSQLPassword?
    ) throws(ConfigurationError) -> StoreOpener {
        switch configuration.store.backend {
        case .sqlite:
            let path = configuration.storePath
            return StoreOpener { _ in try BrokerStore(path: path) }
        case .postgresql(let database, _):
            let options = database.storeOptions(password: password, instance: configuration.instance)
            return StoreOpener { leaseEpoch in
                let store = try PostgresBrokerStore(options: options)
                store.leaseEpoch = leaseEpoch
                return store
            }
        }
    }
}

extension PostgreSQLSettings {
    /// The PostgreSQL store's connection options: hosts in order, TLS, `synchronous_commit`, the session's name
    /// `referrald:<instance>` (seen in `pg_stat_activity`).
    func storeOptions(password: PostgreSQLPassword?, instance: String) -> PostgresStoreOptions {
        let tls: PostgresStoreOptions.TLS =
            switch self.tls {
            case .disable: .disable
            case .require: .require
            case .verifyFull: .verifyFull(caFile: caFile)
            }
        return PostgresStoreOptions(
            hosts: hosts.map { PostgresStoreOptions.Host($0.host, port: $0.port) }, database: database, user: user,
            password: password?.text, tls: tls, synchronousCommit: synchronousCommit.rawValue,
            connectTimeoutMilliseconds: connectTimeoutMs, applicationName: "referrald:\(instance)")
    }
}

extension StoreSettings {
    /// The password and the CA file of a PostgreSQL store, read and checked (nil password for SQLite, or when
    /// none is set): what `StoreOpener.forBackend` needs, loaded with the other start-up files.
    func loadFiles(environment: [String: String]) throws(ConfigurationError) -> PostgreSQLPassword? {
        guard case .postgresql(let database, _) = backend else { return nil }
        let password = try database.password(environment: environment)
        try database.checkCAFile()
        return password
    }
}

extension BrokerConfiguration {
    /// Where the store is, for log lines: the SQLite file, or the PostgreSQL hosts and database (never a password).
    var storeDescription: String {
        switch store.backend {
        case .sqlite: storePath
        case .postgresql(let database, _):
            "postgresql://\(database.user)@\(database.hosts.map(\.description).joined(separator: ","))/\(database.database)"
        }
    }
}
