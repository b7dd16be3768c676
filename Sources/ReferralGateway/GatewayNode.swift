import Foundation
import ReferralClient
import Synchronization

/// One node identity the gateway hosts: its `ReferralNode` (own store, keys, connection thread) and the inbox
/// messages handed out over HTTP.
public final class GatewayNode: Sendable {
    public let id: String
    public let node: ReferralNode
    let leases: Mutex<InboxLeases>
    /// Where the library's synchronous reads (`outboxEntry`, `receipts(for:)`: short SQLite reads on the caller's
    /// thread) run, so that no thread of Swift's cooperative pool waits on the disk.
    private let reads: DispatchQueue

    public init(id: String, node: ReferralNode, leaseMs: Int) {
        self.id = id
        self.node = node
        self.leases = Mutex(InboxLeases(leaseMs: Int64(leaseMs)))
        self.reads = DispatchQueue(label: "referral-gateway reads \(id)")
    }

    /// The outbox entry with this id and its receipts (nil: no such entry), read off the cooperative pool.
    func status(of id: String) async throws -> (entry: OutboxEntry, receipts: [DeliveryReceipt])? {
        let node = node
        return try await withCheckedThrowingContinuation { continuation in
            reads.async {
                continuation.resume(
                    with: Result {
                        guard let entry = try node.outboxEntry(id: id) else { return nil }
                        return (entry, try node.receipts(for: id))
                    })
            }
        }
    }

    /// Up to `max` inbox messages for an HTTP client: those whose lease ran out first, else new ones, waiting up
    /// to `wait` for the first (a long poll). Each is leased to the caller until completed or the lease ends.
    func take(max: Int, wait: Duration) async throws -> [InboxMessage] {
        let expired = leases.withLock { $0.takeExpired(now: Self.now(), max: max) }
        if !expired.isEmpty { return expired }
        let fresh = try await node.nextMessages(max: max, timeout: wait)
        leases.withLock { $0.lease(fresh, now: Self.now()) }
        return fresh
    }

    /// Completes the message handed out under `handle`: true when done (now or before), false when this gateway
    /// has not handed it out.
    func complete(handle: String) async throws -> Bool {
        let (message, done) = leases.withLock { ($0.beginCompleting(handle), $0.wasCompleted(handle)) }
        guard let message else { return done }
        do {
            try await node.complete(message)
        } catch {
            leases.withLock { $0.abandonCompleting(handle) }
            throw error
        }
        leases.withLock { $0.complete(handle) }
        return true
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
