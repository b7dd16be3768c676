extension ReferralNode {
    /// The oldest inbox message not yet completed and not currently offered by this process, waiting up to
    /// `timeout` (nil: until one arrives or the task is cancelled) for one to arrive; nil when none came.
    ///
    /// The message is offered to this process once: pass it to `complete(_:)` when it is handled. If the
    /// process stops before that, the message is offered again after the restart (and only then).
    public func nextMessage(timeout: Duration? = nil) async throws -> InboxMessage? {
        try checkOpen()
        return try await shared.waiters.wait(for: .inbox, timeout: timeout) { try claimNextMessage() }
    }

    /// Marks the message handled: it is never offered again. Its body is deleted from the local store; its
    /// dedupe key (`from`, `id`) is kept, so a redelivery is still recognised. Idempotent.
    public func complete(_ message: InboxMessage) throws {
        try checkOpen()
        let key = InboxKey(from: message.from, id: message.id)
        try store.complete(key, now: wallClockMillis())
        _ = offered.withLock { $0.remove(key) }
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
            try complete(message)
        }
    }

    /// Claims the oldest open message that no caller of this process holds.
    private func claimNextMessage() throws -> InboxMessage? {
        while true {
            let excluded = offered.withLock { $0 }
            guard let message = try store.nextOpenMessage(excluding: excluded) else { return nil }
            let key = InboxKey(from: message.from, id: message.id)
            if offered.withLock({ $0.insert(key).inserted }) { return message }
        }
    }
}
