/// Reading the OK result of each command, as a client does.
extension AdminCodec {
    typealias Malformed = AdminObjectReader.Malformed

    static func result(_ object: AdminObjectReader, _ command: AdminCommand) throws(Malformed) -> AdminResult {
        switch command {
        case .status: return .status(try status(object))
        case .trail:
            return .trail(
                AdminTrail(events: try object.objects("events", trailEvent), truncated: try object.flag("truncated")))
        case .caseInfo: return .caseInfo(try caseResult(object))
        case .overdue: return .overdue(try object.objects("overdue", overdueItem))
        case .reload: return .reload(try reload(object))
        case .auditVerify: return .auditVerify(try verification(object))
        case .auditExport: return .auditExport(try object.objects("records", auditRecord))
        case .stats: return .stats(try stats(object))
        case .backup:
            return .backup(
                AdminBackup(
                    path: try object.string("path"), bytes: try object.integer("bytes"),
                    durationMs: try object.integer("duration_ms")))
        case .deadLetters, .deadLetter, .redrive, .discard, .held, .release:
            return try repairResult(object, command)
        case .purge: return .purge(try purge(object))
        case .nodeSuspend, .nodeResume, .nodeRotateKey: return .node(try nodeState(object))
        case .nodeBacklog: return .nodeBacklog(try nodeBacklog(object))
        case .nodeMoveBacklog: return .backlogMoved(try backlogMove(object))
        }
    }

    static func status(_ object: AdminObjectReader) throws(Malformed) -> AdminStatus {
        let broker = try object.object("broker")
        let lastPurge = try object.optionalObject("last_purge")
        return AdminStatus(
            broker: AdminStatus.Broker(
                version: try broker.string("version"), startedAt: try broker.integer("started_at"),
                uptimeMs: try broker.integer("uptime_ms"), endpoint: try broker.string("endpoint"),
                security: try broker.string("security"), storeTransactions: try broker.count("store_transactions"),
                storeRowsWritten: try broker.count("store_rows_written")),
            nodes: try object.objects("nodes", statusNode),
            heldCases: try object.objects("held_cases") { (held) throws(Malformed) in
                AdminStatus.HeldCase(
                    caseId: try held.string("case"), recipient: try held.string("recipient"),
                    since: try held.integer("since"), seq: try held.integer("seq"))
            },
            deadLetters: try object.count("dead_letters"),
            lastPurge: try lastPurge.map { (purge) throws(Malformed) in try Self.purge(purge) },
            store: try object.optionalObject("store").map { (store) throws(Malformed) in try storeStatus(store) })
    }

    static func purge(_ object: AdminObjectReader) throws(Malformed) -> AdminPurge {
        AdminPurge(
            at: try object.integer("at"), closedCase: try object.integer("closed_case"),
            caseless: try object.integer("caseless"), deadLetters: try object.integer("dead_letters"),
            durationMs: try object.integer("duration_ms"))
    }

    static func statusNode(_ node: AdminObjectReader) throws(Malformed) -> AdminStatus.Node {
        AdminStatus.Node(
            node: try node.string("node"), agency: try node.string("agency"), kind: try node.string("kind"),
            division: try node.string("division"), state: try node.string("state"), name: try node.string("name"),
            connected: try node.bool("connected"), pending: try node.count("pending"),
            inFlight: try node.count("in_flight"), deadLetters: try node.count("dead_letters"),
            receiptsPending: try node.count("receipts_pending"), suspendedBy: try node.optionalString("suspended_by"),
            suspendedReason: try node.optionalString("suspended_reason"),
            suspendedAt: try node.optionalInteger("suspended_at"), previousKey: try node.optionalString("previous_key"),
            previousKeyUntil: try node.optionalInteger("previous_key_until"))
    }

    static func trailEvent(_ event: AdminObjectReader) throws(Malformed) -> AdminTrailEvent {
        AdminTrailEvent(
            at: try event.integer("at"), event: try event.string("event"), seq: try event.integer("seq"),
            messageId: try event.string("message_id"), sender: try event.string("sender"),
            recipient: try event.optionalString("recipient"), attempt: try event.optionalInteger("attempt"),
            detail: try event.optionalString("detail"))
    }

    static func overdueItem(_ item: AdminObjectReader) throws(Malformed) -> AdminOverdueItem {
        AdminOverdueItem(
            id: try item.integer("id"), caseId: try item.optionalString("case"), item: try item.string("item"),
            dueAt: try item.integer("due_at"), level: try item.integer("level"),
            region: try item.optionalString("region"), agency: try item.optionalString("agency"),
            risk: try item.optionalString("risk"), escalatedAt: try item.optionalInteger("escalated_at"))
    }

    static func reload(_ object: AdminObjectReader) throws(Malformed) -> AdminReload {
        AdminReload(
            nodes: try object.count("nodes"), added: try object.strings("added"),
            removed: try object.strings("removed"),
            suspended: try object.strings("suspended"), reactivated: try object.strings("reactivated"),
            rekeyed: try object.strings("rekeyed"), escalationPolicy: try object.string("escalation_policy"))
    }

    static func verification(_ object: AdminObjectReader) throws(Malformed) -> AdminAuditVerification {
        if try object.bool("intact") {
            return .intact(records: try object.integer("records"), lastHash: try object.string("last_hash"))
        }
        return .broken(atId: try object.integer("at_id"), problem: try object.string("problem"))
    }

    static func auditRecord(_ record: AdminObjectReader) throws(Malformed) -> AdminAuditRecord {
        AdminAuditRecord(
            id: try record.integer("id"), at: try record.integer("at"), event: try record.string("event"),
            hash: try record.string("hash"), line: try record.string("line"), node: try record.optionalString("node"),
            peer: try record.optionalString("peer"), keyFingerprint: try record.optionalString("key_fingerprint"),
            messageId: try record.optionalString("message_id"), seq: try record.optionalInteger("seq"),
            recipient: try record.optionalString("recipient"), kind: try record.optionalString("kind"),
            code: try record.optionalString("code"), detail: try record.optionalString("detail"))
    }
}
