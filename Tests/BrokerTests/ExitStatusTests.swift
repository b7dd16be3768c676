import BrokerStore
import Foundation
import ReferralProtocol
import Testing

@testable import Broker

/// `referrald`'s exit codes: one per class of start-up failure, and exactly the ones deploy/README.md documents.
@Suite struct ExitStatusTests {
    @Test func everyStoreFailureKindHasItsOwnCode() {
        let kinds: [BrokerStoreError.Kind] = [
            .notADirectory, .readOnly, .locked, .damaged, .foreign, .newer, .rolledBack,
        ]
        let codes = kinds.map { ExitStatus(startFailure: BrokerStoreError(path: "p", operation: "open", cause: "c", kind: $0)) }
        #expect(Set(codes).count == kinds.count)
        #expect(!codes.contains(.failure) && !codes.contains(.configuration))
        #expect(ExitStatus(startFailure: ConfigurationError(file: "f", field: "x", reason: "y")) == .configuration)
        // SQLite's own codes are classified too: SQLITE_READONLY, SQLITE_BUSY, SQLITE_NOTADB.
        for (code, status) in [(Int32(8), ExitStatus.readOnlyStore), (5, .storeLocked), (26, .damagedStore)] {
            let error = BrokerStoreError(path: "p", operation: "open", cause: "c", sqliteCode: code)
            #expect(ExitStatus(startFailure: error) == status)
        }
    }

    @Test func theDocumentedCodesAreTheCodes() throws {
        let readme = try String(contentsOfFile: DeployExamplesTests.deploy + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "Exit codes of `referrald`"))
        let documented = readme[section.upperBound...].split(separator: "\n")
            .drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
            .compactMap { Int32($0.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? "") }
        #expect(documented == ExitStatus.allCases.map(\.rawValue).sorted())
        for status in ExitStatus.allCases {
            #expect(ExitStatus.table.contains("\(status.rawValue)"))
        }
    }
}
