/// The repair commands' results to and from JSON (protocols/ADMIN-1.md, DEAD-LETTERS ... RELEASE).
extension AdminCodec {
    static func repairJSON(_ result: AdminResult) -> JSONValue {
        switch result {
        case .deadLetters(let list):
            object(["dead_letters": list.deadLetters.map(deadLetterJSON), "next_cursor": list.nextCursor])
        case .deadLetter(let detail):
            detailJSON(detail)
        case .redrive(let redriven):
            object([
                "seq": redriven.seq, "recipient": redriven.recipient, "to": redriven.to, "released": redriven.released,
            ])
        case .discard(let discarded):
            object(["seq": discarded.seq, "recipient": discarded.recipient, "released": discarded.released])
        case .held(let lanes):
            object(["held": lanes.map(heldJSON)])
        case .release(let lane):
            heldJSON(lane)
        default:
            object([:])
        }
    }

    static func deadLetterJSON(_ letter: AdminRepair.DeadLetter) -> JSONValue {
        object([
            "seq": letter.seq, "message_id": letter.messageId, "sender": letter.sender, "recipient": letter.recipient,
            "kind": letter.kind, "case": letter.caseId, "priority": letter.priority,
            "dead_lettered_at": letter.deadLetteredAt, "reason": letter.reason, "attempts": letter.attempts,
        ])
    }

    static func detailJSON(_ detail: AdminRepair.Detail) -> JSONValue {
        let letter = detail.letter
        return object([
            "seq": letter.seq, "message_id": letter.messageId, "sender": letter.sender, "recipient": letter.recipient,
            "kind": letter.kind, "case": letter.caseId, "priority": letter.priority,
            "dead_lettered_at": letter.deadLetteredAt, "reason": letter.reason, "attempts": letter.attempts,
            "recipients": detail.recipients, "accepted_at": detail.acceptedAt, "body_octets": detail.bodyOctets,
            "body_sha256": detail.bodySHA256, "body_purged": detail.bodyPurged,
            "events": detail.events.map(trailEventJSON),
        ])
    }

    static func heldJSON(_ lane: AdminRepair.HeldLane) -> JSONValue {
        object([
            "case": lane.caseId, "recipient": lane.recipient, "seq": lane.seq, "since": lane.since,
            "waiting": lane.waiting, "reason": lane.reason,
        ])
    }

    // MARK: - reading

    static func repairResult(_ object: AdminObjectReader, _ command: AdminCommand) throws(Malformed) -> AdminResult {
        switch command {
        case .deadLetters:
            return .deadLetters(
                AdminRepair.List(
                    deadLetters: try object.objects("dead_letters", deadLetter),
                    nextCursor: try object.optionalString("next_cursor")))
        case .deadLetter:
            return .deadLetter(
                AdminRepair.Detail(
                    letter: try deadLetter(object), recipients: try object.strings("recipients"),
                    acceptedAt: try object.integer("accepted_at"),
                    bodyOctets: try object.optionalInteger("body_octets"),
                    bodySHA256: try object.optionalString("body_sha256"), bodyPurged: try object.flag("body_purged"),
                    events: try object.objects("events", trailEvent)))
        case .redrive:
            return .redrive(
                AdminRepair.Redriven(
                    seq: try object.integer("seq"), recipient: try object.string("recipient"),
                    to: try object.string("to"), released: try object.bool("released")))
        case .discard:
            return .discard(
                AdminRepair.Discarded(
                    seq: try object.integer("seq"), recipient: try object.string("recipient"),
                    released: try object.bool("released")))
        case .held:
            return .held(try object.objects("held", heldLane))
        default:
            return .release(try heldLane(object))
        }
    }

    static func deadLetter(_ object: AdminObjectReader) throws(Malformed) -> AdminRepair.DeadLetter {
        AdminRepair.DeadLetter(
            seq: try object.integer("seq"), messageId: try object.string("message_id"),
            sender: try object.string("sender"), recipient: try object.string("recipient"),
            kind: try object.string("kind"), caseId: try object.optionalString("case"),
            priority: try object.string("priority"), deadLetteredAt: try object.integer("dead_lettered_at"),
            reason: try object.string("reason"), attempts: try object.integer("attempts"))
    }

    static func heldLane(_ object: AdminObjectReader) throws(Malformed) -> AdminRepair.HeldLane {
        AdminRepair.HeldLane(
            caseId: try object.string("case"), recipient: try object.string("recipient"),
            seq: try object.integer("seq"), since: try object.integer("since"),
            waiting: try object.optionalInteger("waiting"), reason: try object.optionalString("reason"))
    }
}
