extension ReferralNode {
    /// The event log's entries after `number` (0: from the oldest kept), oldest first, at most `limit`: status
    /// changes of the messages this node sent and their receipts (`NodeEvent`), each appended in the same commit
    /// as the change itself. Unlike `nextReceipt`, reading takes nothing: pass the last number handled to the next
    /// call (and keep it with `setEventCursor` to resume after a restart).
    public func events(after number: Int64, limit: Int = 100) async throws -> [NodeEvent] {
        try checkOpen()
        guard limit > 0 else { return [] }
        return try await store.events(after: number, limit: limit)
    }

    /// As `events(after:limit:)`, but waits up to `timeout` (nil: until one comes, the task is cancelled or the
    /// node shuts down) for the first event after `number`; empty when none came. No thread waits meanwhile.
    public func nextEvents(after number: Int64, limit: Int = 100, timeout: Duration? = nil) async throws -> [NodeEvent]
    {
        try checkOpen()
        guard limit > 0 else { return [] }
        let store = store
        return try await shared.waiters.wait(for: .eventLog, timeout: timeout) { () async throws -> [NodeEvent]? in
            let events = try await store.events(after: number, limit: limit)
            return events.isEmpty ? nil : events
        } ?? []
    }

    /// The highest event number given so far (0 before the first event).
    public func lastEventNumber() async throws -> Int64 {
        try checkOpen()
        return try await store.lastEventNumber()
    }

    /// A durable reader position kept in the node's store under `name` (e.g. `webhook`): the number of the last
    /// event that reader has handled, 0 when it never recorded one.
    public func eventCursor(_ name: String) async throws -> Int64 {
        try checkOpen()
        return try await store.eventCursor(name)
    }

    /// Records that the reader `name` has handled every event up to `number` (one commit, an fsync). A cursor
    /// only moves forward: a smaller number than the one recorded is ignored.
    public func setEventCursor(_ name: String, to number: Int64) async throws {
        try checkOpen()
        try await store.setEventCursor(name, to: number, now: wallClockMillis())
    }

    /// Deletes the events recorded more than `age` ago; returns how many. Numbers are never given again, so a
    /// cursor older than the oldest event kept simply resumes at that event.
    @discardableResult
    public func pruneEvents(olderThan age: Duration) async throws -> Int {
        try checkOpen()
        let milliseconds = age.components.seconds * 1000 + age.components.attoseconds / 1_000_000_000_000_000
        return try await store.pruneEvents(recordedBefore: wallClockMillis() - milliseconds)
    }
}
