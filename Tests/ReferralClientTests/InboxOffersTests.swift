import Testing

@testable import ReferralClient

/// Several takers on one inbox: a message is held by one taker at a time, and a read that overlapped another taker's
/// completion is rechecked, so a completed message is never handed out again (found by the gateway benchmark with
/// four concurrent consumers: 2 to 3 in 10,000 were handed out after their completion).
@Suite struct InboxOffersTests {
    func message(_ id: String) -> InboxMessage {
        InboxMessage(
            seq: 1, id: id, from: "test-a", to: ["test-b"], kind: "referral.request", caseId: nil, priority: .routine,
            acceptedAt: 0, receivedAt: 0, body: [])
    }

    @Test func aHeldMessageGoesToOneTakerOnly() {
        var offers = InboxOffers()
        let first = offers.claim([message("m1"), message("m2")], seenCompletions: offers.completions)
        #expect(first.claimed.map(\.id) == ["m1", "m2"] && !first.recheck)
        let second = offers.claim([message("m2"), message("m3")], seenCompletions: offers.completions)
        #expect(second.claimed.map(\.id) == ["m3"] && !second.recheck)
    }

    /// Taker X notes the count and reads m1 as open; taker Y, holding m1, completes it (commit, then `completed`);
    /// X's claim of m1 now succeeds (Y no longer holds it) and must be rechecked against the store.
    @Test func aClaimThatOverlappedACompletionIsRechecked() {
        var offers = InboxOffers()
        _ = offers.claim([message("m1")], seenCompletions: offers.completions)  // Y takes m1
        let seenByX = offers.completions  // X begins its read: m1 is still open in the store
        offers.completed([InboxKey(from: "test-a", id: "m1")])  // Y's completion commits
        let x = offers.claim([message("m1")], seenCompletions: seenByX)
        #expect(x.claimed.map(\.id) == ["m1"])
        #expect(x.recheck, "m1 was completed while X read: X must ask the store before handing it out")
        // A read begun after the completion needs no recheck.
        let later = offers.claim([message("m2")], seenCompletions: offers.completions)
        #expect(!later.recheck)
    }
}
