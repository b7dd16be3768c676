/// ADMIN-1 replies to and from their frames: `[signature, OK | ERROR, JSON]`. The broker writes each object
/// compact with its members sorted by name; a client reads a reply knowing the command it asked, and ignores
/// members it does not know.
extension AdminCodec {
    /// Why a reply is not one of ADMIN-1: the frames, or the member that is missing or of the wrong type.
    public struct MalformedReply: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    public static func encode(_ response: AdminResponse) -> [[UInt8]] {
        switch response {
        case .ok(let result): [signature, Array("OK".utf8), JSONWriter.encode(resultJSON(result))]
        case .error(let error): [signature, Array("ERROR".utf8), JSONWriter.encode(errorJSON(error))]
        }
    }

    public static func decodeResponse(
        _ frames: [[UInt8]], to command: AdminCommand
    ) -> Result<AdminResponse, MalformedReply> {
        guard frames.count == 3, frames[0] == signature else {
            return .failure(MalformedReply(description: "expected 3 frames starting with RBA\\x01"))
        }
        let status = String(decoding: frames[1], as: UTF8.self)
        guard status == "OK" || status == "ERROR" else {
            return .failure(MalformedReply(description: "frame 2 is neither OK nor ERROR"))
        }
        do throws(AdminObjectReader.Malformed) {
            let json: JSONValue
            do { json = try JSONReader.parse(frames[2], maxDepth: 32) } catch {
                throw AdminObjectReader.Malformed(description: "frame 3 is not JSON (\(error))")
            }
            let object = try AdminObjectReader(json)
            if status == "ERROR" {
                return .success(.error(AdminError(AdminError.Code(rawValue: try object.string("code")), try object.string("reason"))))
            }
            return .success(.ok(try result(object, command)))
        } catch {
            return .failure(MalformedReply(description: error.description))
        }
    }

    // MARK: - writing

    static func errorJSON(_ error: AdminError) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("code", error.code.rawValue)
        object.set("reason", error.reason)
        return object.json
    }

    static func resultJSON(_ result: AdminResult) -> JSONValue {
        switch result {
        case .status(let status): return statusJSON(status)
        case .trail(let trail):
            var object = AdminObjectWriter()
            object.set("events", trail.events.map(trailEventJSON))
            if trail.truncated { object.set("truncated", true) }
            return object.json
        case .caseInfo(let info): return caseJSON(info)
        case .overdue(let items):
            var object = AdminObjectWriter()
            object.set("overdue", items.map(overdueJSON))
            return object.json
        case .reload(let reload): return reloadJSON(reload)
        case .auditVerify(let verification): return verificationJSON(verification)
        case .auditExport(let records):
            var object = AdminObjectWriter()
            object.set("records", records.map(auditRecordJSON))
            return object.json
        }
    }

    static func statusJSON(_ status: AdminStatus) -> JSONValue {
        var broker = AdminObjectWriter()
        broker.set("version", status.broker.version)
        broker.set("started_at", status.broker.startedAt)
        broker.set("uptime_ms", status.broker.uptimeMs)
        broker.set("endpoint", status.broker.endpoint)
        broker.set("security", status.broker.security)
        broker.set("store_transactions", status.broker.storeTransactions)
        broker.set("store_rows_written", status.broker.storeRowsWritten)
        let nodes = status.nodes.map { node -> JSONValue in
            var object = AdminObjectWriter()
            object.set("node", node.node)
            object.set("agency", node.agency)
            object.set("kind", node.kind)
            object.set("division", node.division)
            object.set("state", node.state)
            object.set("name", node.name)
            object.set("connected", node.connected)
            object.set("pending", node.pending)
            object.set("in_flight", node.inFlight)
            object.set("dead_letters", node.deadLetters)
            object.set("receipts_pending", node.receiptsPending)
            return object.json
        }
        let held = status.heldCases.map { held -> JSONValue in
            var object = AdminObjectWriter()
            object.set("case", held.caseId)
            object.set("recipient", held.recipient)
            object.set("since", held.since)
            object.set("seq", held.seq)
            return object.json
        }
        var object = AdminObjectWriter()
        object.set("broker", broker.json)
        object.set("nodes", nodes)
        object.set("held_cases", held)
        object.set("dead_letters", status.deadLetters)
        return object.json
    }

    static func trailEventJSON(_ event: AdminTrailEvent) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("at", event.at)
        object.set("event", event.event)
        object.set("seq", event.seq)
        object.set("message_id", event.messageId)
        object.set("sender", event.sender)
        object.set("recipient", event.recipient)
        object.set("attempt", event.attempt)
        object.set("detail", event.detail)
        return object.json
    }

    static func overdueJSON(_ item: AdminOverdueItem) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("id", item.id)
        object.set("case", item.caseId)
        object.set("item", item.item)
        object.set("due_at", item.dueAt)
        object.set("level", item.level)
        object.set("region", item.region)
        object.set("agency", item.agency)
        object.set("risk", item.risk)
        return object.json
    }

    static func reloadJSON(_ reload: AdminReload) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("nodes", reload.nodes)
        object.set("added", reload.added)
        object.set("removed", reload.removed)
        object.set("suspended", reload.suspended)
        object.set("reactivated", reload.reactivated)
        object.set("rekeyed", reload.rekeyed)
        object.set("escalation_policy", reload.escalationPolicy)
        return object.json
    }

    static func verificationJSON(_ verification: AdminAuditVerification) -> JSONValue {
        var object = AdminObjectWriter()
        switch verification {
        case .intact(let records, let lastHash):
            object.set("intact", true)
            object.set("records", records)
            object.set("last_hash", lastHash)
        case .broken(let atId, let problem):
            object.set("intact", false)
            object.set("at_id", atId)
            object.set("problem", problem)
        }
        return object.json
    }

    static func auditRecordJSON(_ record: AdminAuditRecord) -> JSONValue {
        var object = AdminObjectWriter()
        object.set("id", record.id)
        object.set("at", record.at)
        object.set("event", record.event)
        object.set("hash", record.hash)
        // The canonical JSON line (docs/AUDIT.md) whose bytes the hash chain covers.
        object.set("line", record.line)
        object.set("node", record.node)
        object.set("peer", record.peer)
        object.set("key_fingerprint", record.keyFingerprint)
        object.set("message_id", record.messageId)
        object.set("seq", record.seq)
        object.set("recipient", record.recipient)
        object.set("kind", record.kind)
        object.set("code", record.code)
        object.set("detail", record.detail)
        return object.json
    }
}
