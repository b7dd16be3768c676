import BrokerStorePostgres
import Foundation

/// The PostgreSQL store's tests' way to a fresh, empty database: `PostgresTestCluster.withDatabase`, handed over
/// as the store's options. Without `REFERRAL_TEST_PG_URL` the body does not run and the skip note is printed (the
/// suites that need a database for every test use `.enabled(if: PostgresTestCluster.isConfigured)` instead).
enum PostgresTestDatabase {
    /// Runs `body` with the options of a new empty database; drops it afterwards.
    static func with(_ body: (PostgresStoreOptions) throws -> Void) throws {
        guard let cluster = PostgresTestCluster.shared else {
            print(PostgresTestCluster.skipNote.rawValue)
            return
        }
        try cluster.withDatabase { url in
            guard let options = PostgresStoreOptions(url: url) else {
                throw PostgresTestClusterError("not a URL the store reads: \(url)")
            }
            try body(options)
        }
    }
}
