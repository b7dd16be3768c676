import BrokerStore
import ReferralProtocol

/// `referrald accept-rollback`: opens the store although it holds less than its high-water mark says was
/// acknowledged, records the loss and rewrites the mark (`BrokerStore.acceptRollback`). Returns what was lost,
/// nil when nothing was. The broker must be stopped (the store's lock says so otherwise).
public func acceptStoreRollback(_ configuration: BrokerConfiguration) throws -> String? {
    guard configuration.store.backend == .sqlite else {
        throw ConfigurationError(
            field: "store.backend",
            reason: "accept-rollback repairs an SQLite store (a high-water mark beside broker.sqlite); this "
                + "configuration names \(configuration.store.backendName)")
    }
    let store = try BrokerStore.acceptRollback(path: configuration.storePath)
    defer { try? store.close() }
    return store.acceptedRollback
}
