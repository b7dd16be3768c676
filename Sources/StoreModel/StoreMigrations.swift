/// The broker store's migrations, by name, in order: one list for every backend. SQLite registers one migration per
/// name (BrokerStore's `Schema`); PostgreSQL creates the shape of all of them at once (its baseline) and records
/// these names, and from the next migration on each backend carries its own text for every name. A store holding a
/// name that is not in this list was written by a newer binary and is refused.
public enum StoreMigrations {
    public static let names = [
        "v1-core", "v2-audit", "v3-cases", "v4-followup", "v5-identity", "v6-deadline-notice", "v7-per-node-windows",
        "v8-backlog-by-batch", "v9-repair", "v10-node-overrides", "v11-retention", "v12-metrics-indexes",
        "v13-recent-escalations",
    ]
}
