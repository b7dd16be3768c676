import BrokerStore
import BrokerStorePostgres
import Foundation
import GRDB
import StoreModel
import Testing

/// Every read of the PostgreSQL store against the SQLite store on the same rows (`BothStores.same`): a read that
/// differs in content, order, limit or nil/empty handling fails here. Some results are also pinned outright, so
/// that two equal wrong answers (or two empty ones) do not pass.
@Suite(.serialized) struct PostgresReadTests {
    static let recipients = ["node-a", "node-b", "node-c", "node_b", "Node-Z", "nobody"]

    @Test(arguments: DatabaseLocale.allCases)
    func deliveriesReceiptsAndCountsReadAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .traffic, locale: locale) { both in
            for recipient in Self.recipients {
                for afterSeq in [Int64(0), 3, 8, 12] {
                    for limit in [0, 1, 2, 100, Int.max, -1] {
                        try both.same("openDeliveries \(recipient) \(afterSeq) \(limit)") {
                            try $0.openDeliveries(recipient: recipient, afterSeq: afterSeq, limit: limit)
                        }
                    }
                }
            }
            let open = try both.same("openDeliveries node-b") {
                try $0.openDeliveries(recipient: "node-b", afterSeq: 0, limit: 100)
            }
            #expect(open.map(\.seq) == [1, 4, 7, 8, 9, 10, 11, 12])
            let openCounts = try both.same("openDeliveryCounts") { try $0.openDeliveryCounts() }
            #expect(openCounts == ["node-b": 8, "node-a": 1])
            let receiptCounts = try both.same("unconfirmedReceiptCounts") { try $0.unconfirmedReceiptCounts() }
            #expect(receiptCounts == ["node-a": 3, "node-c": 1])
            let deadCounts = try both.same("deadLetterCounts") { try $0.deadLetterCounts() }
            #expect(deadCounts == ["node-b": 2, "Node-Z": 1, "node_b": 1])
            for sender in ["node-a", "node-b", "node-c", "nobody"] {
                for afterId in [Int64(0), 1, 5, 7] {
                    for limit in [0, 1, 2, -1] {
                        try both.same("unconfirmedReceipts \(sender) \(afterId) \(limit)") {
                            try $0.unconfirmedReceipts(sender: sender, afterId: afterId, limit: limit)
                        }
                    }
                }
            }
            let unconfirmed = try both.same("unconfirmed node-a") {
                try $0.unconfirmedReceipts(sender: "node-a", afterId: 0, limit: 10)
            }
            #expect(unconfirmed.map(\.id) == [1, 5, 7])
            try both.same("loadOpenDeliveries") { try $0.loadOpenDeliveries() }
            try both.same("loadUnconfirmedReceipts") { try $0.loadUnconfirmedReceipts() }
            let held = try both.same("loadHeldCases") { try $0.loadHeldCases() }
            // Binary order, as SQLite: upper case before lower case, '-' before '_'.
            #expect(
                held.map { "\($0.caseId)/\($0.recipient)" } == [
                    "C9/node-b", "b7/node-b", "c1/Node-Z", "c1/node-b", "c1/node_b",
                ])
            let overrides = try both.same("nodeOverrides") { try $0.nodeOverrides() }
            #expect(overrides.map(\.node) == ["Node-Z", "node-a", "node-b"])
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func backlogPagesAndMessagesReadAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .traffic, locale: locale) { both in
            for recipient in Self.recipients {
                for afterSeq in [Int64(0), 1, 9, 12, 99] {
                    for limit in [0, 1, 3, 100] {  // not .max: SQLite asks for limit + 1
                        try both.same("backlogPage \(recipient) \(afterSeq) \(limit)") {
                            try $0.backlogPage(recipient: recipient, afterSeq: afterSeq, limit: limit)
                        }
                    }
                }
            }
            let page = try both.same("backlogPage node-b") {
                try $0.backlogPage(recipient: "node-b", afterSeq: 4, limit: 3)
            }
            #expect(page.deliveries.map(\.seq) == [7, 8, 9] && page.more && page.oldestWaiting == 1_000)
            let beyond = try both.same("backlogPage beyond") {
                try $0.backlogPage(recipient: "node-b", afterSeq: 99, limit: 3)
            }
            #expect(beyond.deliveries.isEmpty && !beyond.more && beyond.oldestWaiting == 1_000)
            let seqSets: [[Int64]] = [[], [1], [1, 1, 2], [4], [99], Array(1...13), [6, 3, 6]]
            for seqs in seqSets {
                try both.same("loadMessages \(seqs)") { try $0.loadMessages(seqs: seqs).sorted { $0.seq < $1.seq } }
            }
            let loaded = try both.postgres.loadMessages(seqs: [6, 4, 3, 6])
            // The purged body (4) is left out; a body with NUL and high octets comes back as stored.
            #expect(loaded.map(\.seq).sorted() == [3, 6])
            #expect(loaded.first { $0.seq == 6 }?.body == [0, 255, 10])
            #expect(loaded.first { $0.seq == 3 }?.recipients == ["node-a", "Node-Z"])
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func deadlinesAndCasesReadAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .deadlines, locale: locale) { both in
            for before in [Int64(0), 100, 101, 151, 5_000, .max] {
                for limit in [0, 1, 2, 3, 100] {
                    try both.same("dueDeadlines \(before) \(limit)") {
                        try $0.dueDeadlines(before: before, limit: limit)
                    }
                }
            }
            let window = try both.same("dueDeadlines all") { try $0.dueDeadlines(before: .max, limit: 4) }
            #expect(window.map(\.id) == [2, 5, 6, 7])
            let next = try both.same("nextDueAt") { try $0.nextDueAt() }
            #expect(next == 100)
            let count = try both.same("openDeadlineCount") { try $0.openDeadlineCount() }
            #expect(count == 12)
            for caseId in ["c1", "c2", "c3", "c4", "C9", "none"] {
                for limit in [0, 1, 2, Int.max] {
                    try both.same("openDeadlines \(caseId) \(limit)") {
                        try $0.openDeadlines(caseId: caseId, limit: limit)
                    }
                }
                try both.same("caseRecord \(caseId)") { try $0.caseRecord(id: caseId) }
            }
            for id in Int64(0)...16 { try both.same("deadline \(id)") { try $0.deadline(id: id) } }
            let six = try both.same("deadline 6") { try $0.deadline(id: 6) }
            #expect(six?.notice == nil && six?.caseId == nil)
            let eight = try both.same("deadline 8") { try $0.deadline(id: 8) }
            #expect(eight?.closers == ["a", "b"])
            let c1 = try both.same("caseRecord c1") { try $0.caseRecord(id: "c1") }
            #expect(c1?.referrer == "node-a")
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func overdueFiltersAndOrdersAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .deadlines, locale: locale) { both in
            let regions: [String?] = [nil, "", "3501", "350102", "35010", "中", "中国01", "%", "9"]
            let agencies: [String?] = [nil, "", "health", "_"]
            let risks: [String?] = [nil, "", "urgent", "unknown"]
            var nonEmpty = 0
            for now in [Int64(0), 150, 1_000] {
                for region in regions {
                    for agency in agencies {
                        for risk in risks {
                            for escalated in [false, true] {
                                for limit in [0, 1, 2, 1_000] {
                                    let result = try both.same(
                                        "overdue \(now) \(region ?? "-") \(agency ?? "-") \(risk ?? "-") \(escalated) \(limit)"
                                    ) {
                                        try $0.overdue(
                                            now: now, regionPrefix: region, agency: agency, risk: risk,
                                            escalatedOnly: escalated, limit: limit)
                                    }
                                    if !result.isEmpty { nonEmpty += 1 }
                                }
                            }
                        }
                    }
                }
            }
            #expect(nonEmpty > 100)
            func ids(_ region: String? = nil, escalated: Bool = false) throws -> [Int64] {
                try both.postgres.overdue(
                    now: 150, regionPrefix: region, agency: nil, risk: nil, escalatedOnly: escalated, limit: 100
                ).map(\.id)
            }
            let all = try ids()
            #expect(all == [2, 5, 6, 7, 11, 1, 4, 14])
            let fuzhou = try ids("3501")
            #expect(fuzhou == [2, 5, 1, 14])
            let nonASCII = try ids("中")
            #expect(nonASCII == [7])
            // The latest escalation first; rows without a creation time last (SQLite's DESC), then id DESC.
            let escalated = try ids(escalated: true)
            #expect(escalated == [14, 11, 4, 1, 7, 6])
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func aggregatesCountAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .deadlines, locale: locale) { both in
            for now in [Int64(0), 100, 150, 1_000, .max] {
                try both.same("aggregates \(now)") { try $0.aggregates(now: now) }
            }
            let stats = try both.same("aggregates 150") { try $0.aggregates(now: 150) }
            #expect(stats.casesOpen == ["requested": 2, "accepted": 1, "on-hold": 1, "in-progress": 1])
            #expect(
                stats.deadlines.contains(
                    StoreAggregates.DeadlineGroup(county: "350102", risk: "urgent", open: 2, overdue: 1)))
            // NULL region, empty region and NULL risk all count as "unknown", in groups of their own.
            #expect(stats.deadlines.filter { $0.county == "unknown" && $0.risk == "unknown" }.count == 2)
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func trailsReadAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .traffic, locale: locale) { both in
            for seq in 1...12 {
                let sender = seq == 3 ? "node-b" : seq == 5 ? "node-c" : "node-a"
                try both.same("trail m\(seq)") { try $0.trail(sender: sender, messageId: "m\(seq)") }
            }
            try both.same("trail unknown") { try $0.trail(sender: "node-a", messageId: "m3") }
            for caseId in ["c1", "c2", "C9", "b7", "none"] {
                try both.same("trail case \(caseId)") { try $0.trail(caseId: caseId) }
            }
            let trail = try both.same("trail m1") { try $0.trail(sender: "node-a", messageId: "m1") }
            #expect(
                trail.map(\.event) == [
                    .accepted, .deliveryAttempt, .deliveryAttempt, .ackTimeout, .nacked, .redeliveryScheduled, .acked,
                    .receiptCreated,
                ])
            let purged = try both.same("trail m4") { try $0.trail(sender: "node-a", messageId: "m4") }
            #expect(purged.last?.event == .bodyPurged && purged.last?.detail == "bytes=12")
        }
    }

    @Test(arguments: DatabaseLocale.allCases)
    func deadLettersHeldLanesAndLanesReadAsOnSQLite(locale: DatabaseLocale) throws {
        try BothStores.with(seed: .traffic, locale: locale) { both in
            var filters: [DeadLetterFilter] = [
                DeadLetterFilter(), DeadLetterFilter(limit: 0), DeadLetterFilter(limit: -1),
            ]
            for recipient in Self.recipients { filters.append(DeadLetterFilter(recipient: recipient)) }
            for sender in ["node-a", "node-b", "node-c"] { filters.append(DeadLetterFilter(sender: sender)) }
            for kind in ["referral.request", "referral.update"] { filters.append(DeadLetterFilter(kind: kind)) }
            for text in ["max", "MAX", "%", "50%", "", "key"] { filters.append(DeadLetterFilter(reasonContains: text)) }
            filters += [
                DeadLetterFilter(before: 2_900), DeadLetterFilter(since: 3_000),
                DeadLetterFilter(before: 3_000, since: 3_000),
                DeadLetterFilter(after: DeadLetterCursor(seq: 3, recipient: "Node-Z")),
                DeadLetterFilter(after: DeadLetterCursor(seq: 5, recipient: "node-b")),
                DeadLetterFilter(after: DeadLetterCursor(seq: 5, recipient: "NODE")),
            ]
            for filter in filters { try both.same("deadLetters \(filter)") { try $0.deadLetters(filter) } }
            // Paged one at a time, following the cursor.
            var pages: [[DeadLetterRecord]] = []
            var cursor: DeadLetterCursor?
            repeat {
                let page = try both.same("deadLetters after \(String(describing: cursor))") {
                    try $0.deadLetters(DeadLetterFilter(after: cursor, limit: 1))
                }
                pages.append(page)
                cursor = page.last.map { DeadLetterCursor(seq: $0.seq, recipient: $0.recipient) }
            } while cursor != nil
            #expect(
                pages.flatMap { $0 }.map { "\($0.seq)/\($0.recipient)" } == [
                    "2/node-b", "3/Node-Z", "5/node_b", "6/node-b",
                ])
            for seq in Int64(1)...7 {
                for recipient in Self.recipients {
                    try both.same("deadLetter \(seq) \(recipient)") {
                        try $0.deadLetter(seq: seq, recipient: recipient)
                    }
                }
            }
            let detail = try both.same("deadLetter 6") { try $0.deadLetter(seq: 6, recipient: "node-b") }
            #expect(detail?.bodyOctets == 3 && detail?.letter.reason == "")
            for recipient in [nil] + Self.recipients {
                for limit in [0, 1, 2, 100, -1] {
                    try both.same("heldLanes \(recipient ?? "-") \(limit)") {
                        try $0.heldLanes(recipient: recipient, limit: limit)
                    }
                }
            }
            let lanes = try both.same("heldLanes") { try $0.heldLanes(recipient: "node-b", limit: 10) }
            #expect(lanes.map(\.waiting) == [0, 3, 4])
            for caseId in ["c1", "b7", "C9", "none"] {
                for (after, through) in [(Int64(0), Int64(100)), (1, 8), (8, 12), (12, 1)] {
                    for limit in [0, 1, 2, 100, -1] {
                        try both.same("laneDeliveries \(caseId) \(after) \(through) \(limit)") {
                            try $0.laneDeliveries(
                                recipient: "node-b", caseId: caseId, afterSeq: after, throughSeq: through, limit: limit)
                        }
                    }
                }
            }
        }
    }
}
