import Foundation
import ReferralClient
import ReferralProtocol
import Testing

extension DaemonSuite {
    /// The operators' repair of dead letters and held cases (ADMIN-1 DEAD-LETTERS ... RELEASE) through `referralctl`,
    /// against the real daemon: test-b refuses the first message of a case for good, the case's later messages wait.
    @Suite("repairing dead letters and held cases")
    struct RepairTests {
        /// `dead-letters redrive`: test-b gets the dead letter again, then the held ones, in order; STATUS and the
        /// held lanes go back to nothing; the audit export names the operator; the sender gets a second receipt.
        @Test func redriveDeliversTheDeadLetterThenTheHeldOnesInOrder() async throws {
            try await withDaemon { h in
                let (a, ids, seqs, caseX) = try await Self.deadLetterWithTwoHeld(h)
                let raw = try h.raw("test-b")
                try await raw.hello("test-b", window: 4)
                try await Self.refuseFirst(raw, ids[0], h)
                try await h.eventually("two held behind the dead letter") {
                    let status = try await h.nodeStatus("test-b")
                    return status["pending"] as? Int == 2 && status["dead_letters"] as? Int == 1
                }

                let list = try await h.referralctl([
                    "dead-letters", "list", "--node", "test-b", "--admin", h.daemon.admin,
                ])
                h.expect(list.status == 0 && list.stdout.contains(ids[0]), "list: \(list)")
                let heldList = try await h.referralctl(["held", "list", "--admin", h.daemon.admin])
                h.expect(
                    heldList.status == 0 && heldList.stdout.contains(caseX)
                        && heldList.stdout.contains("seq \(seqs[ids[0]]!)"), "held list: \(heldList)")
                let refused = try await h.referralctl(
                    ["dead-letters", "redrive", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--admin", h.daemon.admin])
                h.expect(refused.status == 9 && refused.stderr.contains("--yes"), "without a terminal: \(refused)")

                let run = try await h.referralctl([
                    "dead-letters", "redrive", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--yes", "--operator",
                    "made-up-operator", "--admin", h.daemon.admin,
                ])
                h.expect(run.status == 0 && run.stdout.contains("case released"), "redrive: \(run)")
                let order = try await Self.ackAll(raw, count: 3, h)
                h.expect(order == ids, "delivered after the redrive: \(order)")

                try await h.eventually("nothing pending, dead or held") {
                    let status = try await h.status()
                    let b = try await h.nodeStatus("test-b")
                    return b["pending"] as? Int == 0 && b["in_flight"] as? Int == 0 && b["dead_letters"] as? Int == 0
                        && (status["held_cases"] as? [Any])?.isEmpty == true
                }
                let records = try await h.auditRecords()
                let redriven = records.filter { $0["event"] as? String == "dead-letter-redriven" }
                h.expect(
                    redriven.count == 1 && (redriven.first?["detail"] as? String)?.contains("made-up-operator") == true
                        && redriven.first?["seq"] as? Int64 == seqs[ids[0]], "audit: \(redriven)")
                let receipts = try await a.waitForReceipts(of: ids[0], count: 2, timeout: .seconds(20))
                h.expect(
                    receipts.map(\.delivered) == [false, true] && Set(receipts.map(\.recipient)) == ["test-b"],
                    "the sender's receipts of the redriven message: \(receipts)")
                let trail = try await h.trail(sender: "test-a", id: ids[0]).compactMap { $0["event"] as? String }
                h.expect(
                    trail.contains("dead-lettered") && trail.contains("redriven") && trail.contains("released")
                        && trail.last(where: { $0 == "acked" }) != nil, "trail: \(trail)")
            }
        }

        /// `held release`: the waiting messages flow in order and the dead letter stays listed; the list's filters;
        /// then `dead-letters discard` closes it for good.
        @Test func releaseLetsTheHeldFlowAndDiscardClosesTheDeadLetter() async throws {
            try await withDaemon { h in
                let (_, ids, seqs, caseX) = try await Self.deadLetterWithTwoHeld(h)
                let raw = try h.raw("test-b")
                try await raw.hello("test-b", window: 4)
                try await Self.refuseFirst(raw, ids[0], h)
                try await h.eventually("held") { try await h.nodeStatus("test-b")["pending"] as? Int == 2 }

                let held = try await h.admin("HELD")
                let lanes = held.object["held"] as? [[String: Any]] ?? []
                h.expect(
                    lanes.count == 1 && lanes.first?["waiting"] as? Int == 2
                        && lanes.first?["case"] as? String == caseX,
                    "HELD: \(held.object)")
                let release = try await h.referralctl([
                    "held", "release", caseX, "--recipient", "test-b", "--yes", "--operator", "made-up-operator",
                    "--admin", h.daemon.admin,
                ])
                h.expect(release.status == 0, "release: \(release)")
                let order = try await Self.ackAll(raw, count: 2, h)
                h.expect(order == Array(ids.dropFirst()), "delivered after the release: \(order)")

                for (filter, count) in [
                    ("{\"reason\":\"made-up: refused\"}", 1), ("{\"reason\":\"nothing like it\"}", 0),
                    ("{\"sender\":\"test-c\"}", 0), ("{\"node\":\"test-b\",\"kind\":\"\(Made.kind)\"}", 1),
                    ("{\"older_than_ms\":3600000}", 0), ("{\"since\":0}", 1),
                ] {
                    let reply = try await h.admin("DEAD-LETTERS", arguments: filter)
                    let letters = reply.object["dead_letters"] as? [[String: Any]] ?? []
                    h.expect(letters.count == count, "DEAD-LETTERS \(filter): \(reply.object)")
                }
                let show = try await h.admin(
                    "DEAD-LETTER", arguments: "{\"seq\":\(seqs[ids[0]]!),\"recipient\":\"test-b\"}")
                h.expect(
                    show.object["body_octets"] as? Int == Made.body(ids[0]).count
                        && show.object["reason"] as? String == "made-up: refused", "DEAD-LETTER: \(show.object)")

                let shown = try await h.referralctl([
                    "dead-letters", "show", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--admin", h.daemon.admin,
                ])
                h.expect(
                    shown.status == 0 && shown.stdout.contains("sha256 ") && shown.stdout.contains("made-up: refused")
                        && !shown.stdout.contains(String(decoding: Made.body(ids[0]), as: UTF8.self)),
                    "show: \(shown)")
                let old = try await h.referralctl([
                    "dead-letters", "list", "--older-than", "1h", "--admin", h.daemon.admin,
                ])
                h.expect(old.status == 0 && old.stdout.contains("dead letters: none"), "list --older-than 1h: \(old)")
                let heldNow = try await h.referralctl(["held", "list", "--admin", h.daemon.admin])
                h.expect(heldNow.stdout.contains("held cases: none"), "held list after the release: \(heldNow)")
                let discard = try await h.referralctl([
                    "dead-letters", "discard", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--yes", "--operator",
                    "made-up-operator", "--admin", h.daemon.admin,
                ])
                h.expect(discard.status == 0 && !discard.stdout.contains("case released"), "discard: \(discard)")
                let after = try await h.admin("DEAD-LETTERS")
                h.expect((after.object["dead_letters"] as? [Any])?.isEmpty == true, "after discard: \(after.object)")
                h.expect(try await h.nodeStatus("test-b")["dead_letters"] as? Int == 0, "STATUS dead letters")
                let again = try await h.referralctl([
                    "dead-letters", "discard", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--yes", "--operator",
                    "made-up-operator", "--admin", h.daemon.admin,
                ])
                h.expect(again.status == 1 && again.stderr.contains("NOT_FOUND"), "a second discard: \(again)")
                let events = try await h.auditRecords().compactMap { $0["event"] as? String }
                h.expect(
                    events.contains("case-released") && events.contains("dead-letter-discarded"), "audit: \(events)")
            }
        }

        /// `--to` a corrected recipient: test-c gets the message; the held lane at test-b is released, its later
        /// messages flow to test-b; the sender's new receipt names test-c.
        @Test func redriveToACorrectedRecipient() async throws {
            try await withDaemon { h in
                let (a, ids, seqs, _) = try await Self.deadLetterWithTwoHeld(h)
                let raw = try h.raw("test-b")
                try await raw.hello("test-b", window: 4)
                try await Self.refuseFirst(raw, ids[0], h)
                try await h.eventually("held") { try await h.nodeStatus("test-b")["pending"] as? Int == 2 }

                let unknown = try await h.admin(
                    "REDRIVE",
                    arguments:
                        "{\"seq\":\(seqs[ids[0]]!),\"recipient\":\"test-b\",\"to\":\"test-suspended\",\"operator\":\"x\"}"
                )
                h.expect(
                    !unknown.ok && (unknown.object["code"] as? String) == "REDRIVE_REFUSED",
                    "to a suspended node: \(unknown.object)")
                let run = try await h.referralctl([
                    "dead-letters", "redrive", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--to", "test-c", "--yes",
                    "--operator", "made-up-operator", "--admin", h.daemon.admin,
                ])
                h.expect(run.status == 0 && run.stdout.contains("to test-c"), "redrive --to: \(run)")
                let c = try h.node("test-c")
                let atC = try await c.receive(count: 1)
                h.expect(atC.map(\.id) == [ids[0]], "test-c received: \(atC.map(\.id))")
                let order = try await Self.ackAll(raw, count: 2, h)
                h.expect(order == Array(ids.dropFirst()), "test-b after the redrive elsewhere: \(order)")
                let receipts = try await a.waitForReceipts(of: ids[0], count: 2, timeout: .seconds(20))
                h.expect(
                    receipts.map(\.recipient) == ["test-b", "test-c"] && receipts.last?.delivered == true,
                    "receipts: \(receipts)")
                let trail = try await h.trail(sender: "test-a", id: ids[0])
                h.expect(
                    trail.contains {
                        $0["event"] as? String == "redriven" && ($0["detail"] as? String)?.contains("to=test-c") == true
                    },
                    "trail: \(trail)")
            }
        }

        /// kill -9 after the redrive committed, before test-b took anything: after the restart test-b's application
        /// gets the dead letter and the held ones once each, in order.
        @Test func aRedriveSurvivesAKill() async throws {
            try await withDaemon { h in
                let (_, ids, seqs, _) = try await Self.deadLetterWithTwoHeld(h)
                let raw = try h.raw("test-b")
                try await raw.hello("test-b", window: 4)
                try await Self.refuseFirst(raw, ids[0], h)
                try await h.eventually("held") { try await h.nodeStatus("test-b")["pending"] as? Int == 2 }
                try await raw.send(.bye)
                raw.close()
                try await h.eventually("test-b gone") {
                    try await h.nodeStatus("test-b")["connected"] as? Bool == false
                }

                let run = try await h.referralctl([
                    "dead-letters", "redrive", "\(seqs[ids[0]]!)", "--recipient", "test-b", "--yes", "--operator",
                    "made-up-operator", "--admin", h.daemon.admin,
                ])
                h.expect(run.status == 0, "redrive: \(run)")
                h.expect(try await h.nodeStatus("test-b")["pending"] as? Int == 3, "STATUS after the redrive")
                try await h.daemon.kill9()
                try await h.daemon.start()
                h.expect(try await h.nodeStatus("test-b")["pending"] as? Int == 3, "STATUS after the restart")

                let b = try h.node("test-b")
                let received = try await b.receive(count: 3)
                h.expect(received.map(\.id) == ids, "test-b's application received: \(received.map(\.id))")
                h.expect(try await b.nextMessage(timeout: .milliseconds(500)) == nil, "a message came twice")
                try await h.eventually("nothing left") {
                    let status = try await h.nodeStatus("test-b")
                    return status["pending"] as? Int == 0 && status["dead_letters"] as? Int == 0
                }
            }
        }
    }
}

extension DaemonSuite.RepairTests {
    /// test-a sends three messages of one case to test-b (offline): accepted, with their seqs.
    static func deadLetterWithTwoHeld(
        _ h: Harness
    ) async throws -> (ReferralNode, [String], [String: Int64], String) {
        let a = try h.node("test-a")
        let caseX = Made.caseId()
        let ids = (1...3).map { String(format: "test-a:repair-%06d", $0) }
        try await a.send(batch: ids.map { Made.message($0, to: ["test-b"], caseId: caseX) })
        let seqs = try await a.acceptedSeqs(ids)
        try h.require(seqs.count == 3, "accepted \(seqs.count) of 3")
        return (a, ids, seqs, caseX)
    }

    /// The first DELIVER is refused for good (NACK without retry): a dead letter.
    static func refuseFirst(_ raw: RawNode, _ id: String, _ h: Harness) async throws {
        let first: Deliver = try await raw.expect("DELIVER of the first", timeout: .seconds(20)) {
            if case .deliver(let deliver) = $0 { return deliver }
            return nil
        }
        h.expect(first.id == id, "first delivered: \(first.id)")
        try await raw.send(.nack(Nack(seq: first.seq, retry: false, reason: "made-up: refused")))
        try await raw.idle(for: .milliseconds(300))
        while let command = try await raw.next(timeout: .zero) {
            if case .deliver(let deliver) = command { h.fail("a held message was delivered: \(deliver.id)") }
        }
    }

    /// ACKs each DELIVER as it comes (the window lets only a lane's head out at a time); the ids in arrival order.
    static func ackAll(_ raw: RawNode, count: Int, _ h: Harness) async throws -> [String] {
        var ids: [String] = []
        while ids.count < count {
            let deliver: Deliver = try await raw.expect("DELIVER \(ids.count + 1) of \(count)", timeout: .seconds(20)) {
                if case .deliver(let deliver) = $0 { return deliver }
                return nil
            }
            ids.append(deliver.id)
            try await raw.send(.ack(Ack(seq: deliver.seq)))
        }
        return ids
    }
}
