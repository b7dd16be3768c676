import StoreModel

// The made-up rows the PostgreSQL read tests put into both stores: ties in every order, texts whose binary order
// differs from a locale's ("C9" < "b7" < "c1", "Node-Z" < "node-a" < "node_b"), NULLs in nullable columns, purged
// bodies, closed and discarded rows that reads must leave out.

extension SeedRows {
    mutating func message(
        _ seq: Int64, _ sender: String, _ id: String, caseId: String?, priority: Int64 = 0, recipients: String,
        at: Int64, body: [UInt8]? = nil, purgedAt: Int64? = nil, kind: String = "referral.request"
    ) {
        let stored = purgedAt == nil ? (body ?? Array("body of \(id)".utf8)) : nil
        insert(
            "messages",
            [
                "seq": .int(seq), "sender": .text(sender), "message_id": .text(id),
                "digest": .blob([1, 2, UInt8(seq)]),
                "kind": .text(kind), "case_id": caseId.map(Value.text) ?? .null, "priority": .int(priority),
                "recipients": .text(recipients), "accepted_at": .int(at), "body": stored.map(Value.blob) ?? .null,
                "body_purged_at": purgedAt.map(Value.int) ?? .null, "body_size": purgedAt == nil ? .null : .int(12),
            ])
    }

    mutating func delivery(
        _ seq: Int64, _ recipient: String, state: Int64 = 0, attempts: Int64 = 0, first: Int64? = nil,
        done: Int64? = nil, reason: String? = nil, receipt: Int64? = nil, discarded: Int64? = nil
    ) {
        insert(
            "deliveries",
            [
                "seq": .int(seq), "recipient": .text(recipient), "state": .int(state), "attempts": .int(attempts),
                "first_attempt_at": first.map(Value.int) ?? .null, "done_at": done.map(Value.int) ?? .null,
                "reason": reason.map(Value.text) ?? .null, "receipt_id": receipt.map(Value.int) ?? .null,
                "discarded_at": discarded.map(Value.int) ?? .null,
            ])
    }

    mutating func receipt(
        _ id: Int64, _ sender: String, seq: Int64, _ recipient: String, outcome: Int64, at: Int64,
        reason: String? = nil, confirmed: Int64? = nil
    ) {
        insert(
            "receipts",
            [
                "id": .int(id), "sender": .text(sender), "seq": .int(seq), "recipient": .text(recipient),
                "outcome": .int(outcome), "at": .int(at), "reason": reason.map(Value.text) ?? .null,
                "confirmed_at": confirmed.map(Value.int) ?? .null,
            ])
    }

    mutating func event(
        _ id: Int64, at: Int64, seq: Int64, _ recipient: String?, _ event: String, attempt: Int64? = nil,
        detail: String? = nil
    ) {
        insert(
            "events",
            [
                "id": .int(id), "at": .int(at), "seq": .int(seq), "recipient": recipient.map(Value.text) ?? .null,
                "event": .text(event), "attempt": attempt.map(Value.int) ?? .null,
                "detail": detail.map(Value.text) ?? .null,
            ])
    }

    mutating func held(_ caseId: String, _ recipient: String, seq: Int64, since: Int64, reason: String) {
        insert(
            "held_cases",
            [
                "case_id": .text(caseId), "recipient": .text(recipient), "seq": .int(seq), "since": .int(since),
                "reason": .text(reason),
            ])
    }

    mutating func caseRow(_ id: String, _ status: String, referrer: String? = nil, risk: String? = nil) {
        insert(
            "cases",
            [
                "case_id": .text(id), "status": .text(status), "referrer": referrer.map(Value.text) ?? .null,
                "service": .null, "attempt": .int(2), "opened_at": .int(100), "updated_at": .null,
                "risk": risk.map(Value.text) ?? .null,
            ])
    }

    mutating func deadlineRow(
        _ id: Int64, caseId: String? = "c1", item: String = "answer:node-b:referral.accept", due: Int64,
        level: Int64 = 0, state: Int64 = 0, created: Int64? = 10, region: String? = nil, agency: String? = nil,
        risk: String? = nil, closers: String? = nil, notice: Bool = true
    ) {
        insert(
            "deadlines",
            [
                "id": .int(id), "case_id": caseId.map(Value.text) ?? .null, "item": .text(item), "due_at": .int(due),
                "level": .int(level), "policy": .text("snapshot"), "state": .int(state),
                "created_at": created.map(Value.int) ?? .null, "closed_at": state == 0 ? .null : .int(50),
                "region": region.map(Value.text) ?? .null, "agency": agency.map(Value.text) ?? .null,
                "risk": risk.map(Value.text) ?? .null, "closers": closers.map(Value.text) ?? .null,
                "notice_kind": notice ? "referral.request" : nil, "armed_by": notice ? .int(id) : .null,
                "notice_sender": "node-a", "notice_message_id": notice ? "m1" : nil,
                "original_due": notice ? .int(due) : .null,
            ])
    }

    /// Messages, deliveries, receipts, events, held lanes, backlog counts and node overrides.
    static var traffic: SeedRows {
        var seed = SeedRows()
        seed.message(1, "node-a", "m1", caseId: "c1", priority: 2, recipients: "node-b,node-c", at: 1_000)
        seed.message(2, "node-a", "m2", caseId: "c1", recipients: "node-b", at: 1_000)
        seed.message(3, "node-b", "m3", caseId: nil, priority: 1, recipients: "node-a,Node-Z", at: 900)
        seed.message(4, "node-a", "m4", caseId: "c2", recipients: "node-b", at: 1_100, purgedAt: 5_000)
        seed.message(5, "node-c", "m5", caseId: "c1", recipients: "node-b,node_b", at: 1_200, kind: "referral.update")
        seed.message(6, "node-a", "m6", caseId: "C9", recipients: "node-b", at: 1_300, body: [0, 255, 10])
        for seq in Int64(7)...12 {
            seed.message(
                seq, "node-a", "m\(seq)", caseId: seq.isMultiple(of: 2) ? "c1" : "b7", recipients: "node-b",
                at: 1_000 + seq)
        }
        // Inserted out of seq order: the reads order, not the heap.
        for seq in [Int64(12), 8, 10, 7, 9, 11] { seed.delivery(seq, "node-b", attempts: seq % 3) }
        seed.delivery(1, "node-b", attempts: 2, first: 1_500)
        seed.delivery(1, "node-c", state: 1, attempts: 1, first: 1_500, done: 2_000, receipt: 1)
        seed.delivery(2, "node-b", state: 2, attempts: 5, first: 1_500, done: 3_000, reason: "max attempts", receipt: 2)
        seed.delivery(3, "node-a")
        seed.delivery(
            3, "Node-Z", state: 2, attempts: 3, first: 1_600, done: 3_000, reason: "rejected: bad key", receipt: 3)
        seed.delivery(4, "node-b", first: 1_200)
        seed.delivery(
            5, "node-b", state: 2, attempts: 5, first: 1_300, done: 2_900, reason: "max attempts", receipt: 4,
            discarded: 4_000)
        seed.delivery(5, "node_b", state: 2, attempts: 4, first: 1_300, done: 2_900, reason: "MAX attempts (50%)")
        seed.delivery(6, "node-b", state: 2, attempts: 1, first: 1_400, done: 3_500, reason: nil, receipt: 5)
        seed.receipt(1, "node-a", seq: 1, "node-c", outcome: 0, at: 2_000)
        seed.receipt(2, "node-a", seq: 2, "node-b", outcome: 1, at: 3_000, reason: "max attempts", confirmed: 3_500)
        seed.receipt(3, "node-b", seq: 3, "Node-Z", outcome: 1, at: 3_000, reason: "rejected: bad key")
        seed.receipt(4, "node-c", seq: 5, "node-b", outcome: 1, at: 2_900, reason: "max attempts")
        seed.receipt(7, "node-a", seq: 6, "node-b", outcome: 1, at: 3_500)
        seed.receipt(5, "node-a", seq: 6, "node-b", outcome: 1, at: 3_500)
        seed.event(3, at: 1_000, seq: 2, nil, "duplicate-send")
        seed.event(1, at: 1_700, seq: 1, "node-b", "nacked", attempt: 1, detail: "busy")
        seed.event(2, at: 1_700, seq: 1, "node-b", "redelivery-scheduled", attempt: 2)
        seed.event(4, at: 1_500, seq: 1, "node-c", "ack-timeout", attempt: 1)
        seed.event(5, at: 3_000, seq: 2, "node-b", "held", detail: "behind a dead letter")
        seed.event(6, at: 3_000, seq: 3, "Node-Z", "moved", detail: "from node-y to Node-Z")
        seed.held("c1", "node-b", seq: 2, since: 3_000, reason: "dead letter 2")
        seed.held("C9", "node-b", seq: 6, since: 3_500, reason: "dead letter 6")
        seed.held("b7", "node-b", seq: 7, since: 3_600, reason: "operator")
        seed.held("c1", "node_b", seq: 5, since: 2_900, reason: "dead letter 5")
        seed.held("c1", "Node-Z", seq: 3, since: 3_000, reason: "dead letter 3")
        for (node, open, unconfirmed) in [("node-b", Int64(8), Int64(0)), ("node-a", 1, 3), ("node-c", 0, 1)]
            + [("Node-Z", 0, 0)]
        {
            seed.insert(
                "node_backlog",
                ["node": .text(node), "open_deliveries": .int(open), "unconfirmed_receipts": .int(unconfirmed)])
        }
        seed.insert(
            "node_overrides",
            [
                "node": "node-b", "suspended_reason": "abuse", "suspended_by": "op", "suspended_at": 7,
                "public_key": nil, "directory_key": nil, "previous_key": nil, "previous_until": nil,
                "rotated_by": nil, "rotated_at": nil,
            ])
        seed.insert(
            "node_overrides",
            [
                "node": "Node-Z", "suspended_reason": nil, "suspended_by": nil, "suspended_at": nil,
                "public_key": "KEY-NEW", "directory_key": "KEY-DIR", "previous_key": nil, "previous_until": nil,
                "rotated_by": nil, "rotated_at": nil,
            ])
        seed.insert(
            "node_overrides",
            [
                "node": "node-a", "suspended_reason": "paused", "suspended_by": nil, "suspended_at": nil,
                "public_key": "KEY-A2", "directory_key": "KEY-A1", "previous_key": "KEY-A1", "previous_until": 99,
                "rotated_by": "op2", "rotated_at": 98,
            ])
        seed.insert(
            "node_overrides",
            [
                "node": "node-x", "suspended_reason": nil, "suspended_by": "op", "suspended_at": 1,
                "public_key": nil, "directory_key": nil, "previous_key": nil, "previous_until": nil,
                "rotated_by": nil, "rotated_at": nil,
            ])
        return seed
    }

    /// Cases and deadlines: due-time and creation ties, open and closed rows, regions of every shape, NULL risks.
    static var deadlines: SeedRows {
        var seed = SeedRows()
        seed.caseRow("c1", "requested", referrer: "node-a", risk: "urgent")
        seed.caseRow("c2", "accepted")
        seed.caseRow("c3", "completed")
        seed.caseRow("c4", "on-hold", risk: "crisis")
        seed.caseRow("c5", "requested")
        seed.caseRow("C9", "in-progress")
        // Inserted out of id order.
        seed.deadlineRow(5, due: 100, region: "350102", agency: "health", risk: "urgent")
        seed.deadlineRow(2, due: 100, region: "350103", agency: "police", risk: "routine")
        seed.deadlineRow(3, caseId: "c2", due: 200, region: "3501", agency: "health", risk: "urgent")
        seed.deadlineRow(1, due: 5_000, level: 1, created: 40, region: "35010299", agency: "health")
        seed.deadlineRow(4, caseId: "c3", due: 5_000, level: 2, created: 40, region: "", risk: "unknown")
        seed.deadlineRow(6, caseId: nil, due: 150, level: 1, created: nil, agency: "health", notice: false)
        seed.deadlineRow(7, due: 150, level: 1, created: nil, region: "中国01", risk: "crisis")
        seed.deadlineRow(8, caseId: "c4", due: 9_000, created: 30, region: "350102", risk: "urgent", closers: "a,b")
        seed.deadlineRow(9, due: 300, state: 1, region: "350102", agency: "health", risk: "urgent")
        seed.deadlineRow(10, due: 100, level: 1, state: 2, region: "350102")
        seed.deadlineRow(11, caseId: "c4", due: 400, level: 3, created: 60, region: "%", agency: "_", risk: "crisis")
        seed.deadlineRow(12, caseId: "C9", due: 700, state: 4)
        seed.deadlineRow(13, caseId: "c1", due: 800, region: "350102", agency: "", risk: "")
        seed.deadlineRow(14, caseId: "c5", due: 5_000, level: 1, created: 60, region: "350103", risk: "routine")
        seed.deadlineRow(15, caseId: "c5", due: 9_000, created: nil)
        return seed
    }

    static var all: SeedRows {
        var seed = traffic
        seed.rows += deadlines.rows
        return seed
    }
}
