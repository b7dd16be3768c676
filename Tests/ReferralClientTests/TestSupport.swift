import Foundation
import ReferralProtocol

@testable import ReferralClient

/// A fresh directory under the system's temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("referral-client-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws -> String {
        let file = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A made-up outgoing message (no real data anywhere in these tests), of a kind that is not a business kind, so
/// its body is not checked against a schema.
func outgoing(
    _ id: String, to: [String] = ["test-b"], caseId: String? = nil, priority: Priority = .routine,
    body: String = "{\"note\":\"made-up\"}"
) -> OutgoingMessage {
    OutgoingMessage(
        id: id, to: to, kind: "test.note", caseId: caseId, priority: priority, body: Array(body.utf8))
}

/// A made-up delivery from `from`.
func delivery(_ id: String, from: String = "test-b", seq: Int64, body: String = "made-up body") -> InboxDelivery {
    InboxDelivery(
        seq: seq, id: id, from: from, to: ["test-a"], kind: "discharge.notice", caseId: nil, priority: .urgent,
        acceptedAt: 1_767_225_600_000, body: Array(body.utf8))
}

/// A node configuration whose store lives in `directory` (the broker address is never contacted).
func configuration(in directory: TemporaryDirectory, store: String = "node.sqlite") -> NodeConfiguration {
    NodeConfiguration(node: "test-a", broker: "tcp://127.0.0.1:1", store: directory.file(store))
}
