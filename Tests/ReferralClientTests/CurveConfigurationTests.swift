import Foundation
import ReferralProtocol
import Testing
import ZeroMQ

@testable import ReferralClient

/// The CURVE fields of a node's configuration: all or none, well-formed keys, a private secret key file that
/// belongs to `public_key`.
@Suite struct CurveConfigurationTests {
    /// A folder with a node key pair under keys/ and a (made-up) broker key pair.
    struct Keys {
        let directory: TemporaryDirectory
        let node: (publicKey: String, secretPath: String, publicPath: String)
        let broker: (publicKey: CurveKey, secretKey: CurveKey)

        init() throws {
            directory = try TemporaryDirectory()
            node = try KeyFiles.write(prefix: directory.file("keys/test-a"))
            broker = try Curve.generateKeyPair()
        }

        /// A configuration file with the given CURVE members (a JSON fragment, may be empty).
        func configuration(_ curveMembers: String) throws -> String {
            let members = curveMembers.isEmpty ? "" : ", " + curveMembers
            return try directory.write(
                "test-a.json",
                #"{"node": "test-a", "broker": "tcp://127.0.0.1:5570", "store": "test-a.sqlite"\#(members)}"#)
        }

        var allThree: String {
            #""server_public_key": "\#(broker.publicKey.z85)", "public_key": "\#(node.publicKey)", "secret_key_file": "keys/test-a.key""#
        }
    }

    /// Loads the file and returns the error, which must name the file and never contain the node's secret key.
    private func failure(_ keys: Keys, _ file: String) throws -> ConfigurationError {
        // Read directly: the tests below make the file unreadable for KeyFiles on purpose.
        let secret = try String(contentsOfFile: keys.node.secretPath, encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        do {
            _ = try NodeConfiguration.load(path: file)
        } catch let error as ConfigurationError {
            #expect(error.file == file)
            if secret.utf8.count == 40 { #expect(!error.description.contains(secret)) }
            return error
        }
        Issue.record("no error")
        return ConfigurationError(reason: "")
    }

    @Test func loadsTheKeysAndResolvesTheSecretFileAgainstTheConfigurationsFolder() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let configuration = try NodeConfiguration.load(path: keys.configuration(keys.allThree))
        #expect(configuration.serverPublicKey == keys.broker.publicKey.z85)
        #expect(configuration.publicKey == keys.node.publicKey)
        #expect(configuration.secretKeyFile == keys.node.secretPath)  // absolute now
        let curve = try #require(configuration.curve)
        #expect(curve.serverPublicKey == keys.broker.publicKey)
        #expect(curve.publicKey.z85 == keys.node.publicKey)
        #expect(curve.secretKey == (try KeyFiles.readSecret(path: keys.node.secretPath)))
        // Printing the configuration shows no secret key.
        #expect(!"\(configuration)".contains(curve.secretKey.z85))
        #expect(!String(reflecting: configuration).contains(curve.secretKey.z85))
        var dumped = ""
        dump(configuration, to: &dumped)
        #expect(!dumped.contains(curve.secretKey.z85))
    }

    @Test func anAbsoluteSecretKeyFileIsKept() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let file = try keys.configuration(
            #""server_public_key": "\#(keys.broker.publicKey.z85)", "public_key": "\#(keys.node.publicKey)", "secret_key_file": "\#(keys.node.secretPath)""#
        )
        #expect(try NodeConfiguration.load(path: file).secretKeyFile == keys.node.secretPath)
    }

    @Test func withoutTheFieldsTheNodeUsesNoCurve() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let configuration = try NodeConfiguration.load(path: keys.configuration(""))
        #expect(configuration.curve == nil)
        #expect(configuration.serverPublicKey == nil && configuration.publicKey == nil)
        #expect(configuration.secretKeyFile == nil)
    }

    @Test func allOrNone() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let server = #""server_public_key": "\#(keys.broker.publicKey.z85)""#
        let own = #""public_key": "\#(keys.node.publicKey)""#
        let secret = #""secret_key_file": "keys/test-a.key""#
        let cases: [(String, String)] = [
            (server, "public_key"), (own, "server_public_key"), (secret, "server_public_key"),
            (server + ", " + own, "secret_key_file"), (server + ", " + secret, "public_key"),
            (own + ", " + secret, "server_public_key"),
        ]
        for (members, missing) in cases {
            let error = try failure(keys, keys.configuration(members))
            #expect(error.field == missing, "\(members)")
            #expect(error.description.contains(": \(missing): "))
            #expect(error.reason.contains("is required"))
        }
    }

    @Test func badKeysAreNamed() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let secret = #""secret_key_file": "keys/test-a.key""#
        let own = #""public_key": "\#(keys.node.publicKey)""#
        let server = #""server_public_key": "\#(keys.broker.publicKey.z85)""#

        let badServer = try failure(keys, keys.configuration(#""server_public_key": "not-a-key", "# + own + ", " + secret))
        #expect(badServer.field == "server_public_key")
        #expect(badServer.reason.contains("Z85"))

        let shortOwn = String(keys.node.publicKey.dropLast())
        let badOwn = try failure(keys, keys.configuration(server + #", "public_key": "\#(shortOwn)", "# + secret))
        #expect(badOwn.field == "public_key")

        let wrongType = try failure(keys, keys.configuration(server + #", "public_key": 42, "# + secret))
        #expect(wrongType.field == "public_key")

        let ownAsServer = try failure(
            keys, keys.configuration(#""server_public_key": "\#(keys.node.publicKey)", "# + own + ", " + secret))
        #expect(ownAsServer.field == "server_public_key")

        let emptyPath = try failure(keys, keys.configuration(server + ", " + own + #", "secret_key_file": """#))
        #expect(emptyPath.field == "secret_key_file")

        let missingFile = try failure(
            keys, keys.configuration(server + ", " + own + #", "secret_key_file": "keys/nobody.key""#))
        #expect(missingFile.field == "secret_key_file")
        #expect(missingFile.reason.contains(keys.directory.file("keys/nobody.key")))
    }

    @Test func aPublicKeyThatIsNotTheSecretsIsRefused() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        let other = try Curve.generateKeyPair().publicKey.z85
        let error = try failure(
            keys,
            keys.configuration(
                #""server_public_key": "\#(keys.broker.publicKey.z85)", "public_key": "\#(other)", "secret_key_file": "keys/test-a.key""#
            ))
        #expect(error.field == "public_key")
        #expect(error.reason.contains(keys.node.secretPath))
        #expect(error.reason.contains(keys.node.publicKey))  // the derived public key helps; it is not secret
    }

    @Test func aSecretKeyFileReadableByOthersIsRefusedNamingChmod600() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        try setMode(keys.node.secretPath, 0o644)
        let error = try failure(keys, keys.configuration(keys.allThree))
        #expect(error.field == "secret_key_file")
        #expect(error.description.contains(keys.node.secretPath))
        #expect(error.description.contains("chmod 600 \(keys.node.secretPath)"))
    }

    @Test func aSecretKeyFileThatHoldsNoKeyIsRefused() throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        // The public key where the secret should be: well-formed, but it derives another public key.
        try Data((keys.node.publicKey + "\n").utf8).write(to: URL(fileURLWithPath: keys.node.secretPath))
        #expect(try failure(keys, keys.configuration(keys.allThree)).field == "public_key")
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: keys.node.secretPath))
        #expect(try failure(keys, keys.configuration(keys.allThree)).field == "secret_key_file")
    }

    @Test func aConfigurationBuiltInCodeReadsItsKeyFileWhenTheNodeOpens() async throws {
        let keys = try Keys()
        defer { keys.directory.cleanUp() }
        var configuration = NodeConfiguration(
            node: "test-a", broker: "tcp://127.0.0.1:1", store: keys.directory.file("test-a.sqlite"),
            serverPublicKey: keys.broker.publicKey.z85, publicKey: keys.node.publicKey,
            secretKeyFile: keys.node.secretPath)
        let node = try ReferralNode(configuration: configuration)
        #expect(node.configuration.curve?.publicKey.z85 == keys.node.publicKey)
        await node.shutdown()

        // Keys given directly need no fields; fields that contradict them are refused.
        let secret = try KeyFiles.readSecret(path: keys.node.secretPath)
        let direct = try CurveClientKeys(serverPublicKey: keys.broker.publicKey, secretKey: secret)
        #expect(direct.publicKey.z85 == keys.node.publicKey)
        #expect(!"\(direct)".contains(secret.z85))
        configuration.curve = direct
        try configuration.validate()
        configuration.serverPublicKey = try Curve.generateKeyPair().publicKey.z85
        #expect(throws: ConfigurationError.self) { try configuration.validate() }

        try setMode(keys.node.secretPath, 0o604)
        let loose = NodeConfiguration(
            node: "test-a", broker: "tcp://127.0.0.1:1", store: keys.directory.file("test-b.sqlite"),
            serverPublicKey: keys.broker.publicKey.z85, publicKey: keys.node.publicKey,
            secretKeyFile: keys.node.secretPath)
        #expect(throws: ConfigurationError.self) { _ = try ReferralNode(configuration: loose) }
    }
}
