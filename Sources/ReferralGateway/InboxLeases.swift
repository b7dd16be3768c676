import ReferralClient

/// The inbox messages of one node handed out over HTTP and not completed yet. Pure, with injected time.
///
/// Why leases: the node library offers a message to this process once, until a restart; an HTTP client that
/// takes a message and dies before completing it must get it again without restarting the gateway. So each
/// message handed out is leased for `leaseMs`; once the lease runs out it is handed out again (the same message,
/// same handle) until someone completes it. At-least-once towards the agency system: its handling must be
/// idempotent on the handle (sender and id), as the node library's is.
public struct InboxLeases: Sendable {
    public let leaseMs: Int64
    private var leased: [String: (message: InboxMessage, until: Int64)] = [:]
    /// Handles completed lately, so that completing one twice (a retried request) answers the same.
    private var completed: Set<String> = []
    private var completedOrder: [String] = []
    /// Handles whose completion is being committed: never handed out again meanwhile, even if their lease runs out.
    private var completing: Set<String> = []
    static let completedMemory = 4_096

    public init(leaseMs: Int64) { self.leaseMs = leaseMs }

    /// Messages whose lease ran out (oldest first, at most `max`), leased again from `now`.
    public mutating func takeExpired(now: Int64, max: Int) -> [InboxMessage] {
        let due = leased.filter { $0.value.until <= now && !completing.contains($0.key) }.map(\.value.message)
            .sorted { $0.seq < $1.seq }.prefix(max)
        for message in due { leased[InboxHandle.of(message)] = (message, now + leaseMs) }
        return Array(due)
    }

    /// Records messages just handed out.
    public mutating func lease(_ messages: [InboxMessage], now: Int64) {
        for message in messages { leased[InboxHandle.of(message)] = (message, now + leaseMs) }
    }

    /// The message handed out under `handle`, if it is (lease running or run out, but not completed).
    public func message(_ handle: String) -> InboxMessage? { leased[handle]?.message }

    public func wasCompleted(_ handle: String) -> Bool { completed.contains(handle) }

    /// The message handed out under `handle`, now being completed: until `complete` or `abandonCompleting`, it is
    /// not handed out again when its lease runs out (it would reach the agency after its completion).
    public mutating func beginCompleting(_ handle: String) -> InboxMessage? {
        guard let message = leased[handle]?.message else { return nil }
        completing.insert(handle)
        return message
    }

    /// The completion failed: the message is handed out again once its lease runs out.
    public mutating func abandonCompleting(_ handle: String) { completing.remove(handle) }

    /// The message was completed: it is never handed out again.
    public mutating func complete(_ handle: String) {
        leased[handle] = nil
        completing.remove(handle)
        guard completed.insert(handle).inserted else { return }
        completedOrder.append(handle)
        if completedOrder.count > Self.completedMemory {
            completed.remove(completedOrder.removeFirst())
        }
    }

    public var count: Int { leased.count }
}
