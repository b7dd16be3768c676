import BrokerStore
import Foundation
import ReferralProtocol

/// How `referrald run` opens its store, decided once at start-up from `store.backend`, after every file the
/// configuration names was read and before anything is created (a backend this build cannot run creates nothing).
struct StoreOpener: Sendable {
    /// Opens the store (again after a refusal that may pass, e.g. another process's lock).
    let open: @Sendable () throws -> BrokerStore

    /// The opener for `configuration`'s backend, or the configuration error saying why there is none.
    ///
    /// The one spot the PostgreSQL store is wired in (docs/POSTGRES-PLAN.md §12): `password` is already read
    /// (`password_file` or `REFERRALD_PG_PASSWORD`) and `ca_file` checked; the `.postgresql` case returns the
    /// PostgreSQL store's opener instead of throwing once this build has it, and nothing else changes.
    static func forBackend(
        of configuration: BrokerConfiguration, password: PostgreSQLPassword?
    ) throws(ConfigurationError) -> StoreOpener {
        switch configuration.store.backend {
        case .sqlite:
            let path = configuration.storePath
            return StoreOpener { try BrokerStore(path: path) }
        case .postgresql:
            throw ConfigurationError(
                field: "store.backend",
                reason: "postgresql is not available in this build of referrald yet (docs/POSTGRES-PLAN.md); "
                    + "use sqlite (the default: remove the store member) until a release supports it")
        }
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
