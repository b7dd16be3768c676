import ArgumentParser
import Foundation
import ReferralProtocol

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check and export the broker's hash-chained audit trail.",
        subcommands: [AuditVerifyCommand.self, AuditExportCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that no audit record was changed, deleted or reordered (ADMIN-1 AUDIT-VERIFY).",
        discussion: """
            The broker walks its whole audit chain: each record's hash covers
            the record and the hash of the one before it. Prints
              audit chain intact: N records, last hash HEX
            or, for a broken chain, the first bad record and what is wrong
            with it (record changed, record missing before this one, records
            out of order, records missing at the end, chain rewritten):
              audit chain BROKEN at record ID: PROBLEM
            Keep the last hash somewhere else (e.g. in the provincial audit
            system) to notice a chain rewritten from the start.

            Examples:
              referralctl audit verify
              referralctl audit verify --admin ipc:///run/referrald/admin.sock --json

            Exit codes: 0 intact, 5 broken, 1 the broker answered ERROR,
            2 no answer within 5 s, 6 a reply that is not ADMIN-1.
            """
    )

    @OptionGroup var admin: AdminOptions

    func run() async throws {
        guard case .auditVerify(let verification) = try await admin.ask(.auditVerify) else {
            throw AdminOptions.unexpectedResult(of: .auditVerify)
        }
        let (line, intact) = Self.render(verification)
        if !admin.json { Output.line(line) }
        if !intact { throw Exit.auditBroken }
    }

    /// The line to print and whether the chain is intact.
    static func render(_ verification: AdminAuditVerification) -> (line: String, intact: Bool) {
        switch verification {
        case .intact(let records, let lastHash):
            ("audit chain intact: \(records) records, last hash \(lastHash)", true)
        case .broken(let atId, let problem):
            ("audit chain BROKEN at record \(atId): \(problem)", false)
        }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write audit records as JSON lines, for a provincial audit system (ADMIN-1 AUDIT-EXPORT).",
        discussion: """
            Writes one JSON object per line to standard output, oldest first
            (by record id): the records with a time at or after --since,
            each with "id", "at" (ms since the epoch), "event", "node",
            "peer", "key_fingerprint", "message_id", "seq", "recipient",
            "kind", "code", "detail" and its chain "hash". Records never hold
            message bodies. The broker is asked in pages, so large exports
            work; run `referralctl audit verify` too, to know the chain the
            records come from is intact.

            --since TIME is one of:
              2026-11-29T00:00:00Z      ISO 8601 (an offset like +08:00, or
                                        fractional seconds, may be given)
              2026-11-29                midnight UTC of that day
              1795910400000             milliseconds since the epoch
              24h, 7d, 30m, 90s, 2w     that long before now

            Examples:
              referralctl audit export --since 24h > audit.jsonl
              referralctl audit export --since 2026-11-29T00:00:00Z --limit 1000

            Record ids run 1, 2, 3, ... without gaps. Should a page skip some
            (the broker's clock went back, say), the ids missing are named on
            standard error and the command ends with exit code 1.

            Exit codes: 0 written, 1 usage error, the broker answered ERROR,
            or records were missing, 2 no answer within 5 s, 6 a reply that
            is not ADMIN-1.
            """
    )

    @Option(help: ArgumentHelp("Export records from this time on (forms: see above).", valueName: "TIME"))
    var since: String

    @Option(help: ArgumentHelp("Write at most this many records.", valueName: "N"))
    var limit: Int?

    @OptionGroup var location: AdminEndpointOptions

    /// Records asked for per request at first.
    static let pageSize = 1000
    /// The largest page asked for (when more records than a page share one millisecond).
    static let maximumPageSize = 1_000_000

    func validate() throws {
        guard AuditTime.parse(since, now: AuditTime.nowMillis()) != nil else {
            throw ValidationError(
                "--since must be an ISO 8601 time (2026-11-29T00:00:00Z), a day (2026-11-29), milliseconds since "
                    + "the epoch, or a duration before now (24h, 7d, 30m, 90s, 2w).")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be a positive number.") }
    }

    func run() async throws {
        guard let start = AuditTime.parse(since, now: AuditTime.nowMillis()) else { throw Exit.usage }
        let endpoint = try location.endpoint()
        // Pages follow the records' times: the next page starts at the time of the last record written, and the
        // records already written (id at most the last id) are skipped. Record ids have no gaps, so a gap between
        // pages is a record that was not returned (the broker's clock went back, or more records share one
        // millisecond than it returns at once): reported, and the export ends with exit code 1.
        var sinceMillis = start
        var lastId: Int64?
        var lastAt = start
        var written = 0
        var missing: Int64 = 0
        var page = Self.pageSize
        var firstPage = true
        while true {
            let ask = firstPage ? min(page, limit ?? page) : page
            let records: [AdminAuditRecord]
            switch try await AdminOptions.request(
                endpoint: endpoint, .auditExport(since: sinceMillis, limit: Int64(ask)))
            {
            case .ok(.auditExport(let page)): records = page
            case .ok: throw AdminOptions.unexpectedResult(of: .auditExport(since: sinceMillis, limit: Int64(ask)))
            case .error(let error):
                AdminOptions.report(error)
                throw Exit.usage
            }
            var fresh = 0
            for record in records {
                let (id, at) = (record.id, record.at)
                if let lastId, id <= lastId { continue }
                if let lastId, sinceMillis > start, id != lastId + 1 {
                    missing += id - lastId - 1
                    Output.error(
                        "referralctl: audit records \(lastId + 1)…\(id - 1) are missing from this export: the broker "
                            + "did not return them for times from \(sinceMillis) on (did its clock go back, or do more "
                            + "records share one millisecond than it returns at once?)")
                }
                // The canonical line (docs/AUDIT.md) lets the receiver recompute the hash chain itself.
                Output.line(record.line)
                fresh += 1
                written += 1
                lastId = id
                lastAt = at
                if let limit, written >= limit { break }
            }
            firstPage = false
            if let limit, written >= limit { break }
            if records.isEmpty { break }
            if fresh > 0 {
                sinceMillis = lastAt
            } else if records.count >= ask, page < Self.maximumPageSize {
                page = min(page * 2, Self.maximumPageSize)  // a whole page of one millisecond, written already
            } else {
                // The broker has nothing after these at this time: go on after it (a gap then shows what was lost).
                guard lastAt < Int64.max, sinceMillis <= lastAt else { break }
                sinceMillis = lastAt + 1
            }
        }
        if missing > 0 {
            Output.error("referralctl: the export is incomplete: \(missing) audit records are missing (see above)")
            throw Exit.usage
        }
    }
}

/// The TIME of `audit export --since`.
enum AuditTime {
    static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// Milliseconds since the epoch for an ISO 8601 time, a day (UTC), a number of milliseconds, or a duration
    /// before `now` (`90s`, `30m`, `24h`, `7d`, `2w`); nil if it is none of them.
    static func parse(_ text: String, now: Int64) -> Int64? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCIIDigit) { return Int64(text) }
        if let unit = text.last, let count = Int64(text.dropLast()), count >= 0, text.dropLast().allSatisfy(\.isASCIIDigit) {
            let unitMillis: Int64? =
                switch unit {
                case "s": 1000
                case "m": 60_000
                case "h": 3_600_000
                case "d": 86_400_000
                case "w": 604_800_000
                default: nil
                }
            guard let unitMillis else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: unitMillis)
            guard !overflow else { return nil }
            return now - product
        }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
