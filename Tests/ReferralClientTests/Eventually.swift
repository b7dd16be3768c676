import Foundation
import ReferralClientTestKit

@testable import ReferralClient

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}

/// A node configuration for `broker` with fast reconnects (the test kit's), its store in `directory`.
func fastConfiguration(in directory: TemporaryDirectory, broker: String, node: String = "test-a") -> NodeConfiguration {
    FakeBroker.nodeConfiguration(node: node, broker: broker, store: directory.file("\(node).sqlite"))
}
