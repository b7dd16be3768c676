import Foundation
import GRDB
import SQLiteRaw
import Testing

/// `RawStatement` stores exactly what GRDB's `execute(arguments:)` stores for the same values.
@Suite struct RawStatementTests {
    private struct Values {
        var integer: Int64?
        var text: String?
        var blob: [UInt8]
        var flag: Bool
    }

    private let cases: [Values] = [
        Values(integer: 42, text: "héllo, wörld", blob: [1, 2, 3], flag: true),
        Values(integer: nil, text: nil, blob: [], flag: false),
        Values(integer: Int64.min, text: "", blob: [0], flag: true),
        Values(integer: Int64.max, text: "a\u{0}b", blob: Array(repeating: 0xFF, count: 2_000), flag: false),
    ]

    @Test func bindsLikeGRDB() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER NOT NULL, i INTEGER, s TEXT, b BLOB, f INTEGER)")
            let sql = "INSERT INTO t (n, i, s, b, f) VALUES (?, ?, ?, ?, ?)"
            for (k, v) in cases.enumerated() {
                try db.execute(sql: sql, arguments: [2 * k, v.integer, v.text, Data(v.blob), v.flag])
                var raw = RawStatement(try db.cachedStatement(sql: sql))
                try raw.bind(2 * k + 1)
                try raw.bind(v.integer)
                try raw.bind(v.text)
                try raw.bindBlob(v.blob)
                try raw.bind(v.flag)
                try raw.run()
                #expect(db.changesCount == 1)
            }
            let rows = try Row.fetchAll(
                db, sql: "SELECT n, typeof(i), quote(i), typeof(s), quote(s), typeof(b), quote(b), quote(f) FROM t ORDER BY n")
            #expect(rows.count == 2 * cases.count)
            for k in cases.indices {
                let viaGRDB = rows[2 * k]
                let viaRaw = rows[2 * k + 1]
                for column in 1..<8 {
                    #expect(viaGRDB[column] as DatabaseValue == viaRaw[column] as DatabaseValue, "case \(k), column \(column)")
                }
            }
        }
    }

    @Test func fetchRowReadsTheFirstRowOrNil() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, b BLOB)")
            try db.execute(sql: "INSERT INTO t VALUES (1, 'one', x'0102'), (2, NULL, NULL)")
            let sql = "SELECT k, s, b FROM t WHERE k = ?"
            for key in [1, 2, 3] {
                var query = RawStatement(try db.cachedStatement(sql: sql))
                try query.bind(key)
                let row = try query.fetchRow { handle in
                    (RawStatement.int64(handle, 0), RawStatement.text(handle, 1), RawStatement.blob(handle, 2))
                }
                switch key {
                case 1:
                    #expect(row?.0 == 1 && row?.1 == "one" && row?.2 == [1, 2])
                case 2:
                    #expect(row?.0 == 2 && row?.1 == nil && row?.2 == nil)
                default:
                    #expect(row == nil)
                }
            }
        }
    }

    @Test func fetchRowsReadsEveryRowInOrderAndNullsAsSuch() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY, n INTEGER)")
            try db.execute(sql: "INSERT INTO t VALUES (1, 10), (2, NULL), (3, 0)")
            var query = RawStatement(try db.cachedStatement(sql: "SELECT k, n FROM t WHERE k >= ? ORDER BY k"))
            try query.bind(2)
            let rows = try query.fetchRows { handle in
                (RawStatement.int64(handle, 0), RawStatement.isNull(handle, 1) ? nil : RawStatement.int64(handle, 1))
            }
            #expect(rows.map(\.0) == [2, 3] && rows.map(\.1) == [nil, 0])
            var none = RawStatement(try db.cachedStatement(sql: "SELECT k, n FROM t WHERE k >= ? ORDER BY k"))
            try none.bind(4)
            #expect(try none.fetchRows { RawStatement.int64($0, 0) }.isEmpty)
        }
    }

    @Test func aFailingStepThrowsAndTheStatementCanBeReused() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (k INTEGER PRIMARY KEY)")
            let sql = "INSERT INTO t (k) VALUES (?)"
            var first = RawStatement(try db.cachedStatement(sql: sql))
            try first.bind(1)
            try first.run()
            var again = RawStatement(try db.cachedStatement(sql: sql))
            try again.bind(1)
            #expect(throws: DatabaseError.self) { try again.run() }
            var other = RawStatement(try db.cachedStatement(sql: sql))
            try other.bind(2)
            try other.run()
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == 2)
        }
    }
}
