import Foundation
import ReferralClient
import ReferralProtocol
import Testing

@testable import ReferralGateway

/// The node files a gateway hosts are node configurations (`ReferralClient`'s): their `broker` may list the endpoints
/// of a broker run as an active instance and standbys (1/RBP §11.4).
@Suite("Gateway: node files")
struct GatewayNodeFilesTests {
    /// Writes `referral-gateway.json` hosting `test-a` with `node` as its file, and loads both as the gateway does.
    private func load(node: String) throws -> (GatewayConfiguration, [(id: String, NodeConfiguration)]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(node.utf8).write(to: folder.appendingPathComponent("test-a.json"))
        let gateway = folder.appendingPathComponent("referral-gateway.json")
        try Data(#"{"nodes": [{"id": "test-a", "config": "test-a.json"}]}"#.utf8).write(to: gateway)
        return try Gateway.load(path: gateway.path)
    }

    @Test func aHostedNodeMayListSeveralBrokerEndpoints() throws {
        let (_, nodes) = try load(
            node: #"{"node": "test-a", "broker": ["tcp://broker-a:5570", "tcp://broker-b:5570"], "store": "a.sqlite"}"#)
        #expect(nodes.map(\.id) == ["test-a"])
        #expect(nodes[0].1.endpoints == ["tcp://broker-a:5570", "tcp://broker-b:5570"])
        let (_, single) = try load(node: #"{"node": "test-a", "broker": "tcp://broker-a:5570", "store": "a.sqlite"}"#)
        #expect(single[0].1.endpoints == ["tcp://broker-a:5570"])
    }

    @Test func aBadEndpointListNamesTheGatewayEntryAndTheNodeField() throws {
        do {
            _ = try load(
                node: #"{"node": "test-a", "broker": ["tcp://broker-a:5570", "broker-b"], "store": "a.sqlite"}"#)
            Issue.record("a bad endpoint was accepted")
        } catch let error as ConfigurationError {
            #expect(error.setting == "nodes[0].config")
            #expect(error.field == "broker[1]")
            #expect(error.file?.hasSuffix("test-a.json") == true)
        }
    }
}
