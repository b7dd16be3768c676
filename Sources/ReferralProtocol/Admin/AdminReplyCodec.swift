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
                return .success(
                    .error(
                        AdminError(AdminError.Code(rawValue: try object.string("code")), try object.string("reason"))))
            }
            return .success(.ok(try result(object, command)))
        } catch {
            return .failure(MalformedReply(description: error.description))
        }
    }

    // MARK: - writing

    static func errorJSON(_ error: AdminError) -> JSONValue {
        object(["code": error.code.rawValue, "reason": error.reason])
    }

    static func resultJSON(_ result: AdminResult) -> JSONValue {
        switch result {
        case .status(let status): statusJSON(status)
        case .trail(let trail):
            object(["events": trail.events.map(trailEventJSON), "truncated": trail.truncated ? true : nil])
        case .caseInfo(let info): caseJSON(info)
        case .overdue(let items): object(["overdue": items.map(overdueJSON)])
        case .reload(let reload): reloadJSON(reload)
        case .auditVerify(let verification): verificationJSON(verification)
        case .auditExport(let records): object(["records": records.map(auditRecordJSON)])
        case .backup(let backup):
            object(["path": backup.path, "bytes": backup.bytes, "duration_ms": backup.durationMs])
        case .deadLetters, .deadLetter, .redrive, .discard, .held, .release: repairJSON(result)
        case .purge(let purge): purgeJSON(purge)
        case .node(let state): nodeStateJSON(state)
        case .nodeBacklog(let backlog): nodeBacklogJSON(backlog)
        case .backlogMoved(let move): backlogMoveJSON(move)
        case .stats(let stats): statsJSON(stats)
        }
    }

    static func statusJSON(_ status: AdminStatus) -> JSONValue {
        let broker = status.broker
        let nodes = status.nodes.map { node in
            object([
                "node": node.node, "agency": node.agency, "kind": node.kind, "division": node.division,
                "state": node.state, "name": node.name, "connected": node.connected, "pending": node.pending,
                "in_flight": node.inFlight, "dead_letters": node.deadLetters, "receipts_pending": node.receiptsPending,
                "suspended_by": node.suspendedBy, "suspended_reason": node.suspendedReason,
                "suspended_at": node.suspendedAt, "previous_key": node.previousKey,
                "previous_key_until": node.previousKeyUntil,
            ])
        }
        let held = status.heldCases.map { held in
            object(["case": held.caseId, "recipient": held.recipient, "since": held.since, "seq": held.seq])
        }
        return object([
            "broker": object([
                "version": broker.version, "started_at": broker.startedAt, "uptime_ms": broker.uptimeMs,
                "endpoint": broker.endpoint, "security": broker.security,
                "store_transactions": broker.storeTransactions, "store_rows_written": broker.storeRowsWritten,
            ]),
            "nodes": nodes, "held_cases": held, "dead_letters": status.deadLetters,
            "last_purge": status.lastPurge.map(purgeJSON), "store": status.store.map(storeStatusJSON),
        ])
    }

    static func purgeJSON(_ purge: AdminPurge) -> JSONValue {
        object([
            "at": purge.at, "closed_case": purge.closedCase, "caseless": purge.caseless,
            "dead_letters": purge.deadLetters, "duration_ms": purge.durationMs,
        ])
    }

    static func trailEventJSON(_ event: AdminTrailEvent) -> JSONValue {
        object([
            "at": event.at, "event": event.event, "seq": event.seq, "message_id": event.messageId,
            "sender": event.sender, "recipient": event.recipient, "attempt": event.attempt, "detail": event.detail,
        ])
    }

    static func overdueJSON(_ item: AdminOverdueItem) -> JSONValue {
        object([
            "id": item.id, "case": item.caseId, "item": item.item, "due_at": item.dueAt, "level": item.level,
            "region": item.region, "agency": item.agency, "risk": item.risk, "escalated_at": item.escalatedAt,
        ])
    }

    static func reloadJSON(_ reload: AdminReload) -> JSONValue {
        object([
            "nodes": reload.nodes, "added": reload.added, "removed": reload.removed, "suspended": reload.suspended,
            "reactivated": reload.reactivated, "rekeyed": reload.rekeyed, "escalation_policy": reload.escalationPolicy,
        ])
    }

    static func verificationJSON(_ verification: AdminAuditVerification) -> JSONValue {
        switch verification {
        case .intact(let records, let lastHash): object(["intact": true, "records": records, "last_hash": lastHash])
        case .broken(let atId, let problem): object(["intact": false, "at_id": atId, "problem": problem])
        }
    }

    /// With `line`: the canonical JSON line (docs/AUDIT.md) whose bytes the hash chain covers.
    static func auditRecordJSON(_ record: AdminAuditRecord) -> JSONValue {
        object([
            "id": record.id, "at": record.at, "event": record.event, "hash": record.hash, "line": record.line,
            "node": record.node, "peer": record.peer, "key_fingerprint": record.keyFingerprint,
            "message_id": record.messageId, "seq": record.seq, "recipient": record.recipient, "kind": record.kind,
            "code": record.code, "detail": record.detail,
        ])
    }
}
