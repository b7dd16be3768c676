import Foundation
import ReferralClient
import Synchronization

/// One node identity the gateway hosts: its `ReferralNode` (own store, keys, connection thread) and the inbox
/// messages handed out over HTTP.
public final class GatewayNode: Sendable {
    public let id: String
    public let node: ReferralNode
    let leases: Mutex<InboxLeases>

    public init(id: String, node: ReferralNode, leaseMs: Int) {
        self.id = id
        self.node = node
        self.leases = Mutex(InboxLeases(leaseMs: Int64(leaseMs)))
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
        let (message, done) = leases.withLock { ($0.message(handle), $0.wasCompleted(handle)) }
        guard let message else { return done }
        try await node.complete(message)
        leases.withLock { $0.complete(handle) }
        return true
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
