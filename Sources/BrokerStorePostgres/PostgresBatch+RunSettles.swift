import PostgresNIO
import StoreModel

// The settles and receipt confirmations of a run of plain units: one UPDATE … FROM (VALUES …) each, returning the
// rows that were still open, then what follows only for those.
extension PostgresBatch {
    /// Closes the deliveries still pending among `settlements`, then writes their receipts, meets their delivery
    /// deadlines (acked) and holds their cases (dead letters that ask it). The deliveries that were pending.
    mutating func settleAll(_ settlements: [Settlement]) throws -> Set<PostgresPlainRun.DeliveryKey> {
        guard !settlements.isEmpty else { return [] }
        var updates = PostgresValueRows("bigint", "text", "bigint", "bigint", "bigint", "bigint", "text", "bigint")
        for settlement in settlements {
            let receipt = settlement.receipt
            updates.append {
                $0.append(settlement.seq)
                $0.append(settlement.recipient)
                $0.append(Int64(receipt.outcome + 1))
                $0.append(Int64(settlement.attempts))
                $0.append(settlement.firstAttemptAt)
                $0.append(settlement.at)
                $0.append(receipt.reason)
                $0.append(receipt.id)
            }
        }
        var settled: Set<PostgresPlainRun.DeliveryKey> = []
        for answer in try session.run(
            updates,
            {
                """
                UPDATE deliveries AS d SET state = s.state, attempts = s.attempts, first_attempt_at = s.first_attempt_at,
                    done_at = s.done_at, reason = s.reason, receipt_id = s.receipt_id
                FROM (\($0)) AS s (seq, recipient, state, attempts, first_attempt_at, done_at, reason, receipt_id)
                WHERE d.seq = s.seq AND d.recipient = s.recipient AND d.state = 0
                RETURNING d.seq, d.recipient
                """
            })
        {
            for row in answer.rows {
                let (seq, recipient) = try row.decode((Int64, String).self)
                settled.insert(.init(seq: seq, recipient: recipient))
            }
        }
        try writeSettled(settlements.filter { settled.contains(.init(seq: $0.seq, recipient: $0.recipient)) })
        return settled
    }

    /// The receipts, met deadlines and held cases of the settlements whose deliveries were pending.
    private mutating func writeSettled(_ settlements: [Settlement]) throws {
        var receipts = PostgresValueRows("bigint", "text", "bigint", "text", "bigint", "bigint", "text", "bigint")
        var metInCase = PostgresValueRows("text", "text", "bigint")
        var metWithoutCase = PostgresValueRows("text", "bigint")
        var holding: [Settlement] = []
        for settlement in settlements {
            backlog.delivery(settlement.recipient, -1)
            rows += 1
            let receipt = settlement.receipt
            let confirmedAt: Int64? = settlement.receiptConfirmed ? receipt.at : nil
            receipts.append {
                $0.append(receipt.id)
                $0.append(receipt.sender)
                $0.append(receipt.seq)
                $0.append(receipt.recipient)
                $0.append(Int64(receipt.outcome))
                $0.append(receipt.at)
                $0.append(receipt.reason)
                $0.append(confirmedAt)
            }
            highestReceiptId = max(highestReceiptId, receipt.id)
            if confirmedAt == nil { backlog.receipt(receipt.sender, 1) }
            rows += 1
            let item = "delivery:\(settlement.seq):\(settlement.recipient)"
            switch settlement.outcome {
            case .delivered:
                // As one by one: a case-less delivery deadline is looked for only while one may be open.
                if let caseId = settlement.caseId {
                    metInCase.append {
                        $0.append(caseId)
                        $0.append(item)
                        $0.append(settlement.at)
                    }
                } else if try mayHaveOpenCaselessDeadline() {
                    metWithoutCase.append {
                        $0.append(item)
                        $0.append(settlement.at)
                    }
                }
            case .deadLettered(_, let holdCase):
                if holdCase, settlement.caseId != nil { holding.append(settlement) }
            }
        }
        try session.run(receipts) {
            "INSERT INTO receipts (id, sender, seq, recipient, outcome, at, reason, confirmed_at) \($0)"
        }
        for answer in try session.run(
            metInCase,
            {
                """
                UPDATE deadlines AS d SET state = 1, closed_at = s.at FROM (\($0)) AS s (case_id, item, at)
                WHERE d.state = 0 AND d.case_id = s.case_id AND d.item = s.item
                """
            })
        { rows += answer.rowCount }
        for answer in try session.run(
            metWithoutCase,
            {
                """
                UPDATE deadlines AS d SET state = 1, closed_at = s.at FROM (\($0)) AS s (item, at)
                WHERE d.state = 0 AND d.case_id IS NULL AND d.item = s.item
                """
            })
        { rows += answer.rowCount }
        for settlement in holding {
            try holdCase(settlement)
        }
    }

    /// Receipt confirmations (`confirmRows`: receipt id, at): each unconfirmed receipt confirmed, its sender's
    /// backlog of unconfirmed receipts one shorter.
    mutating func confirm(_ confirmRows: PostgresValueRows) throws {
        for answer in try session.run(
            confirmRows,
            {
                """
                UPDATE receipts AS r SET confirmed_at = s.at FROM (\($0)) AS s (id, at)
                WHERE r.id = s.id AND r.confirmed_at IS NULL
                RETURNING r.sender
                """
            })
        {
            for row in answer.rows {
                backlog.receipt(try row.decode(String.self), -1)
                rows += 1
            }
        }
    }
}
