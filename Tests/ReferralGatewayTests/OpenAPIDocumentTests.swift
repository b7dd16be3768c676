import Foundation
import Hummingbird
import Logging
import ReferralProtocol
import Testing

@testable import ReferralGateway

/// protocols/GATEWAY-1.openapi.json is the contract: the routes the server registers are exactly its paths and
/// methods, and the copy the gateway serves is the document itself.
@Suite("Gateway: the OpenAPI document")
struct GatewayOpenAPIDocumentTests {
    static let documentURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("protocols/GATEWAY-1.openapi.json")

    static func document() throws -> JSONValue {
        try JSONReader.parse(Array(try Data(contentsOf: documentURL)), maxDepth: 64)
    }

    @Test func theServersRoutesAreTheDocumentsOperations() throws {
        let server = GatewayServer(
            configuration: GatewayConfiguration(), nodes: [], logger: Logger(label: "test"))
        let router = Router()
        server.routes(router)
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })

        guard case .object(let paths) = try Self.document()["paths"] ?? .null else {
            Issue.record("the document has no paths")
            return
        }
        var documented: Set<String> = []
        for (path, item) in paths {
            guard case .object(let operations) = item else { continue }
            for (method, _) in operations where ["get", "post", "put", "patch", "delete"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let only =
            "server only: \(registered.subtracting(documented)); document only: \(documented.subtracting(registered))"
        #expect(registered == documented, Comment(rawValue: only))
        #expect(registered.count >= 7)
    }

    @Test func theServedCopyIsTheDocument() throws {
        let file = String(decoding: try Data(contentsOf: Self.documentURL), as: UTF8.self)
        #expect(
            OpenAPIDocument.text == file.trimmingCharacters(in: .newlines),
            "run scripts/gateway-openapi-embed.py after editing protocols/GATEWAY-1.openapi.json")
    }

    @Test func theDocumentIsOpenAPI31WithExamples() throws {
        let document = try Self.document()
        #expect(document["openapi"]?.stringValue == "3.1.0")
        let send = document["paths"]?["/v1/nodes/{node}/messages"]?["post"]
        #expect(
            send?["requestBody"]?["content"]?["application/json"]?["example"]?["kind"]?.stringValue
                == "referral.request")
        // The example body is a valid referral.request: the document teaches what works.
        if let example = send?["requestBody"]?["content"]?["application/json"]?["example"] {
            #expect(throws: Never.self) { try SendRequest.decode(JSONWriter.encode(example)) }
        }
    }
}

/// referral-gateway.json: errors name the file, the entry and the field; off loopback TLS and tokens are needed.
@Suite("Gateway: configuration")
struct GatewayConfigurationTests {
    static func parse(_ text: String) throws(ConfigurationError) -> GatewayConfiguration {
        try GatewayConfiguration.parse(Array(text.utf8), file: "/etc/referral/referral-gateway.json")
    }

    static func error(_ text: String) -> ConfigurationError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAndRelativePaths() throws {
        let configuration = try Self.parse(#"{"nodes":[{"id":"test-a","config":"nodes/test-a.json"}]}"#)
        #expect(configuration.listen == "127.0.0.1:9480")
        #expect(
            configuration.nodes == [
                GatewayConfiguration.HostedNode(id: "test-a", config: "/etc/referral/nodes/test-a.json")
            ])
        #expect(configuration.maxBodyBytes == 1_048_576)
    }

    @Test func errorsNameFileEntryAndField() {
        let unknown = Self.error(#"{"nodes":[{"id":"test-a","config":"a.json","key":"x"}]}"#)
        #expect(unknown?.file == "/etc/referral/referral-gateway.json")
        #expect(unknown?.entry == "nodes[0]")
        #expect(unknown?.field == "key")
        #expect(Self.error(#"{"nodes":[{"id":"Test A","config":"a.json"}]}"#)?.field == "id")
        #expect(Self.error(#"{"nodes":[]}"#)?.field == "nodes")
        #expect(Self.error(#"{"listen":"nowhere","nodes":[{"id":"a","config":"a.json"}]}"#)?.field == "listen")
        #expect(Self.error(#"{"nodez":[]}"#)?.field == "nodes")
    }

    /// deploy/referral-gateway.example.json loads, and its applications file too (its node files are the
    /// operator's).
    @Test func theDeployExampleLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/referral-gateway.example.json").path
        let configuration = try GatewayConfiguration.load(path: path)
        #expect(configuration.nodes.map(\.id) == ["example-school-001", "example-school-002"])
        #expect(configuration.applicationsFile.hasSuffix("deploy/referral-gateway-applications.example.json"))
        let applications = try #require(try configuration.readApplications())
        #expect(applications.applications.map(\.name) == ["school-sis", "case-dashboard"])
    }

    /// The plain token file of the first slice is refused with what replaced it.
    @Test func theTokenFileIsReplaced() {
        let error = Self.error(#"{"token_file":"gateway.tokens","nodes":[{"id":"a","config":"a.json"}]}"#)
        #expect(error?.field == "token_file")
        #expect(error?.reason.contains("applications_file") == true && error?.reason.contains("new-token") == true)
    }

    @Test func offLoopbackNeedsTLSAndTokens() {
        let open = #"{"listen":"0.0.0.0:9480","nodes":[{"id":"a","config":"a.json"}]}"#
        #expect(Self.error(open)?.field == "tls_certificate_file")
        let tlsOnly =
            #"{"listen":"0.0.0.0:9480","tls_certificate_file":"c.pem","tls_key_file":"k.pem","nodes":[{"id":"a","config":"a.json"}]}"#
        #expect(Self.error(tlsOnly)?.field == "applications_file")
        #expect(Self.error(#"{"listen":"127.0.0.1:0","nodes":[{"id":"a","config":"a.json"}]}"#) == nil)
    }
}
