extension ReferralNode {
    /// The oldest inbox message not yet completed and not currently offered by this process, waiting up to
    /// `timeout` (nil: until one arrives or the task is cancelled) for one to arrive; nil when none came.
    ///
    /// The message is offered to this process once: pass it to `complete(_:)` when it is handled. If the
    /// process stops before that, the message is offered again after the restart (and only then).
    public func nextMessage(timeout: Duration? = nil) async throws -> InboxMessage? {
        try await nextMessages(max: 1, timeout: timeout).first
    }

    /// Up to `max` of the oldest inbox messages not yet completed and not currently offered by this process, in
    /// inbox order, waiting up to `timeout` for the first one (then taking only those already stored); empty when
    /// none came. Each is offered once, as by `nextMessage`; hand them back together to `complete(_:)` (one
    /// commit) to drain a backlog fast.
    public func nextMessages(max: Int, timeout: Duration? = nil) async throws -> [InboxMessage] {
        try checkOpen()
        guard max > 0 else { return [] }
        return try await shared.waiters.wait(for: .inbox, timeout: timeout) { try await claimNextMessages(max: max) }
            ?? []
    }

    /// Marks the message handled: it is never offered again. Its body is deleted from the local store; its
    /// dedupe key (`from`, `id`) is kept, so a redelivery is still recognised. Idempotent. The commit (an fsync)
    /// runs off Swift's cooperative pool; the caller awaits it.
    public func complete(_ message: InboxMessage) async throws {
        try await complete([message])
    }

    /// Marks the messages handled in one local transaction (one fsync, all or none), as `complete(_:)` does one:
    /// what lets an application drain its inbox at the speed it arrives.
    public func complete(_ messages: [InboxMessage]) async throws {
        try checkOpen()
        guard !messages.isEmpty else { return }
        let keys = messages.map { InboxKey(from: $0.from, id: $0.id) }
        try await store.complete(keys, now: wallClockMillis())
        offered.withLock { $0.completed(keys) }
    }

    /// Offers every inbox message to `handler`, oldest first, one at a time, until the task is cancelled (then it
    /// throws `CancellationError`) or the node is shut down (`ReferralClientError.shutDown`).
    ///
    /// A normal return from `handler` completes the message. If `handler` throws, the message is not completed:
    /// it is logged (by id, never content) and offered again after a restart, and the next message is handled.
    public func handleMessages(_ handler: @Sendable (InboxMessage) async throws -> Void) async throws {
        while true {
            try Task.checkCancellation()
            guard let message = try await nextMessage(timeout: nil) else { continue }
            do {
                try await handler(message)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.warning(
                    "message handler failed; the message stays in the inbox until a restart",
                    metadata: [
                        "from": "\(message.from)", "id": "\(message.id)", "error": "\(type(of: error))",
                    ])
                continue
            }
            try await complete(message)
        }
    }

    /// Claims the oldest open messages that no caller of this process holds; nil when there are none. A message
    /// another caller completed while the read ran is dropped, never handed out again (`InboxOffers`).
    private func claimNextMessages(max: Int) async throws -> [InboxMessage]? {
        while true {
            let (excluded, seen) = offered.withLock { ($0.held, $0.completions) }
            let candidates = try await store.openMessages(excluding: excluded, limit: max)
            guard !candidates.isEmpty else { return nil }
            var (claimed, recheck) = offered.withLock { $0.claim(candidates, seenCompletions: seen) }
            if recheck, !claimed.isEmpty {
                let keys = claimed.map { InboxKey(from: $0.from, id: $0.id) }
                let open = try await store.openKeys(among: keys)
                offered.withLock { $0.completed(keys.filter { !open.contains($0) }) }
                claimed.removeAll { !open.contains(InboxKey(from: $0.from, id: $0.id)) }
            }
            if !claimed.isEmpty { return claimed }
        }
    }
}
