import Foundation
import ReferralClientTestKit
import Testing
import ZeroMQ

@testable import ReferralClient

/// The connection thread against a fake broker that is a CURVE server with a fail-closed ZAP handler.
@Suite(.serialized, .timeLimit(.minutes(1))) struct CurveConnectionTests {
    let server: (publicKey: CurveKey, secretKey: CurveKey)
    let node: (publicKey: CurveKey, secretKey: CurveKey)

    init() throws {
        server = try Curve.generateKeyPair()
        node = try Curve.generateKeyPair()
    }

    private var curveServer: FakeBroker.CurveServer {
        FakeBroker.CurveServer(secretKey: server.secretKey, users: [node.publicKey: "test-a"])
    }

    private func configuration(
        in directory: TemporaryDirectory, broker: String, keys: CurveClientKeys?
    ) -> NodeConfiguration {
        var configuration = fastConfiguration(in: directory, broker: broker)
        configuration.curve = keys
        return configuration
    }

    @Test func aNodeWithItsKeysIsAuthenticatedAndReconnectsWithThem() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // Through the configuration file, as a deployment would do it.
        let written = try KeyFiles.write(prefix: directory.file("keys/test-a"))
        let secret = try KeyFiles.readSecret(path: written.secretPath)
        let first = try FakeBroker(
            curve: FakeBroker.CurveServer(
                secretKey: server.secretKey, users: [try Curve.publicKey(forSecret: secret): "test-a"])
        ) { command in
            if case .hello(let hello) = command {
                return [FakeBroker.welcome(hello.node, heartbeatMs: 100, ackTimeoutMs: 60_000)]
            }
            return []  // never answers a SEND, then dies
        }
        let file = try directory.write(
            "test-a.json",
            """
            {"node": "test-a", "broker": "\(first.endpoint)", "store": "test-a.sqlite",
             "reconnect_initial_ms": 50, "reconnect_max_ms": 200, "welcome_timeout_ms": 1000,
             "server_public_key": "\(server.publicKey.z85)", "public_key": "\(written.publicKey)",
             "secret_key_file": "keys/test-a.key"}
            """)
        let node = try ReferralNode(configuration: NodeConfiguration.load(path: file))
        node.start()
        let id = try await node.send(outgoing("test-a:1"))
        #expect(try await eventually { first.sendIds == ["test-a:1"] })
        #expect(node.isConnected)
        #expect(first.userIds.allSatisfy { $0 == "test-a" })  // every command came under the node's key
        #expect(first.zapKeys.first == written.publicKey)
        first.stop()

        // A new socket after the broker died: it must be a CURVE client again.
        let second = try FakeBroker(
            endpoint: first.endpoint,
            curve: FakeBroker.CurveServer(
                secretKey: server.secretKey, users: [try Curve.publicKey(forSecret: secret): "test-a"]))
        defer { second.stop() }
        #expect(
            try await node.outcome(of: id, timeout: .seconds(10))
                == .accepted(seq: FakeBroker.seq(for: id), duplicate: false))
        #expect(second.helloCount >= 1)
        #expect(!second.userIds.isEmpty)
        #expect(second.userIds.allSatisfy { $0 == "test-a" })
        await node.shutdown()
    }

    @Test func aNodeWithTheWrongServerKeyGetsNoSession() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker(curve: curveServer)
        defer { broker.stop() }
        let impostor = try Curve.generateKeyPair()
        let keys = try CurveClientKeys(serverPublicKey: impostor.publicKey, secretKey: node.secretKey)
        let node = try ReferralNode(configuration: configuration(in: directory, broker: broker.endpoint, keys: keys))
        node.start()
        _ = try await node.send(outgoing("test-a:1"))
        #expect(try await eventually(2) { node.connectionProblem != nil })
        #expect(node.connectionProblem?.contains("server_public_key") == true)
        #expect(!node.isConnected)
        #expect(broker.received.isEmpty)
        #expect(broker.zapKeys.isEmpty)  // the handshake never got as far as authentication
        await node.shutdown()
    }

    @Test func aKeyUnknownToTheBrokerGetsNoSession() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker(curve: curveServer)
        defer { broker.stop() }
        let stranger = try Curve.generateKeyPair()
        let keys = try CurveClientKeys(serverPublicKey: server.publicKey, secretKey: stranger.secretKey)
        let node = try ReferralNode(configuration: configuration(in: directory, broker: broker.endpoint, keys: keys))
        node.start()
        _ = try await node.send(outgoing("test-a:1"))
        #expect(try await eventually(3) { broker.zapKeys.count >= 2 })  // asked, refused, and asked again
        #expect(Set(broker.zapKeys) == [stranger.publicKey.z85])
        #expect(broker.received.isEmpty)
        #expect(!node.isConnected)
        // The socket monitor saw the refusal itself (1/RBP §11.4), not just a WELCOME that never came.
        #expect(node.connectionProblem?.contains("refused this node's key (ZAP status 400)") == true)
        await node.shutdown()
    }

    @Test func aPlainTextNodeGetsNoSessionFromACurveBroker() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let broker = try FakeBroker(curve: curveServer)
        defer { broker.stop() }
        let node = try ReferralNode(configuration: configuration(in: directory, broker: broker.endpoint, keys: nil))
        node.start()
        _ = try await node.send(outgoing("test-a:1"))
        #expect(try await eventually(2) { node.connectionProblem != nil })
        #expect(node.connectionProblem?.contains("no CURVE keys") == true)
        try await Task.sleep(for: .milliseconds(300))
        #expect(broker.received.isEmpty)
        #expect(!node.isConnected)
        await node.shutdown()
    }
}
