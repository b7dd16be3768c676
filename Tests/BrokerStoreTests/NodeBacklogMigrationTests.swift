import Foundation
import GRDB
import Testing

@testable import BrokerStore

/// Migration `v7-per-node-windows`: a store written before it gets its per-node counts from its rows.
@Suite struct NodeBacklogMigrationTests {
    @Test func anOlderStoresBacklogIsCountedPerNode() throws {
        try withTempDirectory { dir in
            let path = try olderStore(
                in: dir, upTo: "v6-deadline-notice",
                rows: """
                    INSERT INTO messages (seq, sender, message_id, digest, kind, priority, recipients, accepted_at, body)
                    VALUES (1, 'a', 'm1', x'00', 'k', 0, 'b,c', 1, x'00'), (2, 'a', 'm2', x'00', 'k', 0, 'b', 1, x'00');
                    INSERT INTO deliveries (seq, recipient, state) VALUES (1, 'b', 1), (1, 'c', 0), (2, 'b', 0);
                    INSERT INTO receipts (id, sender, seq, recipient, outcome, at, confirmed_at)
                    VALUES (1, 'a', 1, 'b', 0, 2, NULL), (2, 'x', 1, 'b', 0, 2, 3);
                    """)
            do {
                let old = try DatabaseQueue(path: path)
                try Schema.migrator.migrate(old)
                let counts = try old.read { db in
                    try Row.fetchAll(
                        db, sql: "SELECT node, open_deliveries, unconfirmed_receipts FROM node_backlog ORDER BY node"
                    ).map { row in "\(row[0] as String)=\(row[1] as Int)/\(row[2] as Int)" }
                }
                #expect(counts == ["a=0/1", "b=1/0", "c=1/0"])
                try old.close()
            }
        }
    }
}
