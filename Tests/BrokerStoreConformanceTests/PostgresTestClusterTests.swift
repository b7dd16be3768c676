import Foundation
import Testing

/// The test cluster helper itself: a database of its own per test, really created on the server and really
/// dropped, and a cluster that commits as the broker requires (fsync and synchronous_commit on). Skipped, with
/// the note saying why, without `REFERRAL_TEST_PG_URL`.
@Suite(.enabled(if: PostgresTestCluster.isConfigured, PostgresTestCluster.skipNote))
struct PostgresTestClusterTests {
    let cluster = PostgresTestCluster.shared!

    func exists(_ name: String) throws -> Bool {
        try cluster.psql(cluster.url, "SELECT count(*) FROM pg_database WHERE datname = '\(name)'") == "1"
    }

    @Test func eachTestGetsAFreshDatabaseThatIsDroppedAfterwards() throws {
        var seen: [String] = []
        try cluster.withDatabase { url in
            let name = try cluster.psql(url, "SELECT current_database()")
            seen.append(name)
            #expect(name.hasPrefix("t_") && url.hasSuffix("/" + name), "\(name) \(url)")
            #expect(try exists(name))
            // Owned by the role the URL names: the store's tables can be made there.
            #expect(
                try cluster.psql(
                    url,
                    "SELECT pg_get_userbyid(datdba) = current_user FROM pg_database WHERE datname = current_database()")
                    == "t")
            try cluster.psql(url, "CREATE TABLE probe (id bigint PRIMARY KEY, note text NOT NULL)")
            try cluster.psql(url, "INSERT INTO probe VALUES (1, 'made-up note')")
            #expect(try cluster.psql(url, "SELECT note FROM probe") == "made-up note")
        }
        try cluster.withDatabase { url in
            let name = try cluster.psql(url, "SELECT current_database()")
            #expect(!seen.contains(name))
            seen.append(name)
            #expect(try cluster.psql(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'probe'") == "0")
        }
        for name in seen { #expect(try !exists(name), "\(name) was not dropped") }
    }

    /// A test that throws still has its database dropped.
    @Test func aFailingTestsDatabaseIsDroppedToo() throws {
        struct Failed: Error {}
        var name = ""
        #expect(throws: Failed.self) {
            try cluster.withDatabase { url in
                name = try cluster.psql(url, "SELECT current_database()")
                throw Failed()
            }
        }
        #expect(!name.isEmpty)
        #expect(try !exists(name))
    }

    @Test func theClusterCommitsDurably() throws {
        #expect(try cluster.psql(cluster.url, "SHOW synchronous_commit") == "on")
        #expect(try cluster.psql(cluster.url, "SHOW fsync") == "on")
    }
}
