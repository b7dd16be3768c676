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
