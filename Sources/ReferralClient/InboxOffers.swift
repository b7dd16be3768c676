/// The inbox messages this process has handed to its callers and not seen completed, and how many completions it has
/// seen: what lets several concurrent takers (the gateway's long polls, an application's worker tasks) share one
/// inbox without a message being handed out twice, or again once completed.
///
/// A taker reads the open messages off the store, then claims them here. A completion commits first and is
/// forgotten here after, so a read that began before another taker's completion committed can return that message
/// as open while its key is no longer held: `claim` says so (`recheck`), and the taker asks the store which of its
/// claims are still open before handing them out.
struct InboxOffers: Sendable {
    private(set) var held: Set<InboxKey> = []
    /// Completions seen so far (held or not: a caller may complete a message it kept across a restart); a taker
    /// notes it before its read.
    private(set) var completions: UInt64 = 0

    /// Claims the candidates no other taker holds. `recheck`: a completion was forgotten since `seenCompletions`
    /// (taken before the read), so one of the claimed may be a message completed while the read ran.
    mutating func claim(_ candidates: [InboxMessage], seenCompletions: UInt64) -> (
        claimed: [InboxMessage], recheck: Bool
    ) {
        let claimed = candidates.filter { held.insert(InboxKey(from: $0.from, id: $0.id)).inserted }
        return (claimed, completions != seenCompletions)
    }

    /// Forgets messages whose completion has committed (or that a recheck found completed).
    mutating func completed(_ keys: some Sequence<InboxKey>) {
        for key in keys { held.remove(key) }
        completions &+= 1
    }
}
