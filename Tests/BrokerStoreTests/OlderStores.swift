import Foundation
import GRDB

@testable import BrokerStore

/// A store file `<dir>/broker.sqlite` as an older broker left it: migrated only up to `migration`, holding the rows
/// `sql` writes. Returns its path (the migration tests then open it with today's `BrokerStore`).
func olderStore(in dir: String, upTo migration: String, rows sql: String) throws -> String {
    let path = dir + "/broker.sqlite"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let old = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(old, upTo: migration)
    try old.write { db in try db.execute(sql: sql) }
    try old.close()
    return path
}
