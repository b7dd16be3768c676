import Testing

@testable import ReferralProtocol

/// What the ADMIN-1 codec's types hold, beyond the vectors' round trips.
@Suite struct AdminCodecTests {
    private func reply(_ command: AdminCommand, _ json: String, status: String = "OK") throws -> AdminResponse {
        try AdminCodec.decodeResponse(
            [AdminCodec.signature, Array(status.utf8), Array(json.utf8)], to: command
        ).get()
    }

    @Test func caseDeadlinesSayWhoIsAwaitedForWhat() throws {
        let json = #"""
            {"case":"c","deadlines":[
             {"id":1,"item":"answer:test-b:x.y","party":"test-b","awaiting":"answer","kinds":["x.y"],"due_at":5,"level":0},
             {"id":2,"item":"delivery:9:test-b","party":"test-b","awaiting":"delivery","seq":9,"due_at":6,"level":1},
             {"id":3,"item":"odd","due_at":7,"level":0,"awaiting":"something-new"}],
             "events":[],"status":"requested","attempt":2}
            """#
        guard case .ok(.caseInfo(let info)) = try reply(.caseInfo, json) else {
            Issue.record("not a CASE result")
            return
        }
        #expect(info.tracking?.status == "requested")
        #expect(info.tracking?.attempt == 2)
        #expect(info.tracking?.referrer == nil)
        #expect(
            info.deadlines.map(\.awaiting) == [
                .answer(kinds: ["x.y"], party: "test-b"), .delivery(seq: 9, party: "test-b"), nil,
            ])
    }

    @Test func anUntrackedCaseHasNoStatusMembers() throws {
        let info = AdminCase(caseId: "c", tracking: nil, deadlines: [], deadlinesTruncated: false, events: [])
        let frames = AdminCodec.encode(.ok(.caseInfo(info)))
        #expect(frames[2] == Array(#"{"case":"c","deadlines":[],"events":[]}"#.utf8))
    }

    @Test func statusStoreLeavesOutWhatIsUnknownAndIsAbsentWithSQLite() throws {
        let broker = AdminStatus.Broker(
            version: "0.1.0", startedAt: 1, uptimeMs: 2, endpoint: "tcp://127.0.0.1:1", security: "curve",
            storeTransactions: 0, storeRowsWritten: 0)
        let sqlite = AdminCodec.encode(
            .ok(.status(AdminStatus(broker: broker, nodes: [], heldCases: [], deadLetters: 0))))
        #expect(!String(decoding: sqlite[2], as: UTF8.self).contains(#""store":"#))
        // Read before the first lease read came back: the backend only.
        let early = AdminStatus(
            broker: broker, nodes: [], heldCases: [], deadLetters: 0, store: AdminStoreStatus(backend: "postgresql"))
        let frames = AdminCodec.encode(.ok(.status(early)))
        #expect(String(decoding: frames[2], as: UTF8.self).hasSuffix(#""store":{"backend":"postgresql"}}"#))
        #expect(try AdminCodec.decodeResponse(frames, to: .status).get() == .ok(.status(early)))
        // Nulls read as unknown; standbys not readable stay nil, not an empty list.
        let json = #"""
            {"broker":{"version":"0.1.0","started_at":1,"uptime_ms":2,"endpoint":"e","security":"curve",
             "store_transactions":0,"store_rows_written":0},"nodes":[],"held_cases":[],"dead_letters":0,
             "store":{"backend":"postgresql","instance":"broker-a","role":"active",
              "lease":{"epoch":3,"holder":"broker-a","holder_endpoint":null,"expires_in_ms":null},
              "database":{"host":"h:5432","in_recovery":null,"standbys":null}}}
            """#
        guard case .ok(.status(let status)) = try reply(.status, json) else {
            Issue.record("not a STATUS result")
            return
        }
        #expect(
            status.store?.lease
                == AdminStoreStatus.Lease(epoch: 3, holder: "broker-a", holderEndpoint: nil, expiresInMs: nil))
        #expect(status.store?.database?.standbys == nil && status.store?.database?.inRecovery == nil)
        #expect(throws: (any Error).self) {
            try reply(.status, json.replacingOccurrences(of: #""epoch":3"#, with: #""epoch":"3""#))
        }
    }

    @Test func errorRepliesKeepCodesThisVersionDoesNotKnow() throws {
        let response = try reply(.status, #"{"code":"BUSY","reason":"later"}"#, status: "ERROR")
        #expect(response == .error(AdminError(AdminError.Code(rawValue: "BUSY"), "later")))
    }

    @Test func aReplyMissingAMemberIsMalformedNamingIt() {
        let result = AdminCodec.decodeResponse(
            [AdminCodec.signature, Array("OK".utf8), Array(#"{"nodes":[],"held_cases":[],"dead_letters":0}"#.utf8)],
            to: .status)
        #expect(throws: AdminCodec.MalformedReply(description: "\"broker\" must be an object")) { try result.get() }
        let nested = AdminCodec.decodeResponse(
            [AdminCodec.signature, Array("OK".utf8), Array(#"{"events":[{"at":"soon"}]}"#.utf8)], to: .trail)
        #expect(throws: AdminCodec.MalformedReply(description: "\"events[0].at\" must be an integer")) {
            try nested.get()
        }
    }

    @Test func repliesAreWrittenWithMembersSortedByName() {
        let event = AdminTrailEvent(
            at: 1, event: "acked", seq: 2, messageId: "m", sender: "s", recipient: "r", attempt: 3)
        let frames = AdminCodec.encode(.ok(.trail(AdminTrail(events: [event]))))
        let expected =
            #"{"events":[{"at":1,"attempt":3,"event":"acked","message_id":"m","recipient":"r","sender":"s","seq":2}]}"#
        #expect(frames == [AdminCodec.signature, Array("OK".utf8), Array(expected.utf8)])
    }
}

/// The ready file `referrald run --ready-file` writes and the bench and scripts read.
@Suite struct ReadyFileTests {
    @Test func writtenCompactSortedAndReadBack() throws {
        let ready = ReadyFile(endpoint: "tcp://127.0.0.1:5570", admin: "ipc:///run/referrald/admin.sock", pid: 4242)
        let expected = #"{"admin":"ipc:///run/referrald/admin.sock","endpoint":"tcp://127.0.0.1:5570","pid":4242}"#
        #expect(ready.bytes == Array(expected.utf8))
        #expect(ReadyFile(ready.bytes) == ready)
        // Half written (the daemon renames a complete file into place, but a reader must not trust that).
        #expect(ReadyFile(Array(expected.utf8.prefix(20))) == nil)
        #expect(ReadyFile(Array(#"{"endpoint":"tcp://x","pid":1}"#.utf8)) == nil)
    }
}
