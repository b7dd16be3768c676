import Foundation
import ReferralClient

/// The nodes of one scenario: real `ReferralNode`s in this process, each with its own SQLite store (outbox,
/// inbox, receipts; WAL, `synchronous=FULL`) in the scenario's directory and its own connection thread.
struct Fleet: Sendable {
    /// Sender i sends to recipient i (`pairs[i]`).
    struct Pair: Sendable {
        var sender: ReferralNode
        var recipientId: String
        /// nil when the recipient is deliberately offline (accept-only runs).
        var recipient: ReferralNode?
    }

    let pairs: [Pair]

    var allNodes: [ReferralNode] { pairs.flatMap { [$0.sender] + ($0.recipient.map { [$0] } ?? []) } }

    static func senderId(_ index: Int) -> String { String(format: "send-%02d", index + 1) }
    static func recipientId(_ index: Int) -> String { String(format: "recv-%02d", index + 1) }

    /// The broker directory entries for `count` pairs.
    /// Senders are schools (education), recipients child psychology clinics (health): the default policy lets
    /// education send `referral.request` to anyone.
    static func directory(pairs count: Int) -> [DaemonConfig.Node] {
        (0..<count).flatMap { index in
            [
                DaemonConfig.Node(id: senderId(index), agency: "education", kind: "school"),
                DaemonConfig.Node(id: recipientId(index), agency: "health", kind: "child-psychology-clinic"),
            ]
        }
    }

    /// Opens the stores, starts the connection threads and waits until every node has a session; over CURVE when
    /// `keys` are given (a `--curve` run).
    static func start(
        pairs count: Int, broker endpoint: String, keys: BenchKeys?, directory: String, window: Int,
        recipientsOnline: Bool
    ) async throws -> Fleet {
        func node(_ id: String) throws -> ReferralNode {
            try Self.node(id, broker: endpoint, keys: keys, directory: directory, window: window)
        }
        var pairs: [Pair] = []
        for index in 0..<count {
            let sender = try node(senderId(index))
            let recipient = recipientsOnline ? try node(recipientId(index)) : nil
            pairs.append(Pair(sender: sender, recipientId: recipientId(index), recipient: recipient))
        }
        let fleet = Fleet(pairs: pairs)
        for node in fleet.allNodes { node.start() }
        do {
            try await waitUntilConnected(fleet.allNodes)
        } catch {
            await fleet.shutdown()
            throw error
        }
        return fleet
    }

    /// One node of the bench, its store `DIR/ID.sqlite` (not started).
    static func node(
        _ id: String, broker endpoint: String, keys: BenchKeys?, directory: String, window: Int
    ) throws -> ReferralNode {
        let configuration = NodeConfiguration(
            node: id, broker: endpoint, store: (directory as NSString).appendingPathComponent("\(id).sqlite"),
            window: window, reconnectInitialMs: 200, reconnectMaxMs: 2_000, curve: try keys?.client(id))
        return try ReferralNode(configuration: configuration)
    }

    /// Waits until every one of `nodes` (started) has a session with the broker, 20 s at most.
    static func waitUntilConnected(_ nodes: [ReferralNode]) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while let waiting = nodes.first(where: { !$0.isConnected }) {
            guard ContinuousClock.now < deadline else {
                throw BenchError(
                    "node \(waiting.configuration.node) did not connect within 20 s: "
                        + (waiting.connectionProblem ?? "no reason known"))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Says BYE and closes every node (in parallel).
    func shutdown() async {
        await withTaskGroup(of: Void.self) { group in
            for node in allNodes { group.addTask { await node.shutdown() } }
        }
    }
}
