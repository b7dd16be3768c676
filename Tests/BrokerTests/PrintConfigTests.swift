import Foundation
import ReferralProtocol
import Testing

@testable import Broker

/// `referrald print-config`: every member printed, the output loads back as the same configuration, secrets never
/// in it.
@Suite struct PrintConfigTests {
    /// A member added to BrokerConfiguration must be added to `effectiveJSON` (and to this list) too.
    @Test func everyStoredPropertyIsPrinted() {
        let properties = Set(Mirror(reflecting: BrokerConfiguration()).children.compactMap(\.label))
        #expect(properties == BrokerConfiguration.printedProperties)
    }

    /// The printed JSON is a referrald.json that loads as the configuration it was printed from.
    @Test(arguments: ["referrald.example.json", "fujian/referrald.json"])
    func thePrintedConfigurationLoadsBackUnchanged(_ example: String) throws {
        var original = try BrokerConfiguration.load(file: DeployExamplesTests.deploy + "/" + example)
        original.readyFile = "/run/referrald/ready.json"
        let folder = NSTemporaryDirectory() + "print-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let printed = PrettyJSON.text(original.effectiveJSON)
        try printed.write(toFile: folder + "/printed.json", atomically: true, encoding: .utf8)
        var loaded = try BrokerConfiguration.load(file: folder + "/printed.json")
        #expect(loaded.resolvedAdminEndpoint == original.resolvedAdminEndpoint)
        loaded.adminEndpoint = original.adminEndpoint
        #expect(loaded == original, "\(printed)")
    }

    @Test func membersNamedLikeSecretsAreRedactedAtAnyDepth() {
        let value = JSONValue.object([
            ("token", .string("t0ken-value")),
            ("http", .object([("token_file", .string("/etc/referrald/token")), ("api_password", .string("pw"))])),
            ("items", .array([.object([("secret", .string("s3cret"))])])),
            ("public_key", .string("not secret")), ("tls_key_file", .string("/etc/referrald/tls.key")),
        ])
        let text = PrettyJSON.text(BrokerConfiguration.redacted(value))
        for secret in ["t0ken-value", "\"pw\"", "s3cret"] {
            #expect(!text.contains(secret), "\(text)")
        }
        for kept in ["/etc/referrald/token", "not secret", "/etc/referrald/tls.key"] {
            #expect(text.contains(kept), "\(text)")
        }
    }

    @Test func prettyJSONIsJSON() throws {
        let text = PrettyJSON.text(BrokerConfiguration().effectiveJSON)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["endpoint"] as? String == "tcp://127.0.0.1:5570")
        #expect((object?["redelivery"] as? [String: Any])?["max_attempts"] as? Int == 10)
    }
}
