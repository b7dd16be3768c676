import Foundation
import ReferralClient
import ReferralProtocol
import Testing

/// One invalid vector of protocols/vectors/invalid.json (1/RBP §15).
struct InvalidVector: Decodable, Sendable {
    struct Expected: Decodable, Sendable {
        var code: String
        var reply: String
        var field: String?
        var id: String?
        var recipient: String?
        var fatal: Bool?
        var ref: String?
    }

    var name: String
    var context: String
    var frames: [String]
    var codec: Bool?
    var error: Expected

    static func loadAll() throws -> [InvalidVector] {
        try JSONDecoder().decode([InvalidVector].self, from: Data(contentsOf: Locations.invalidVectors))
    }

    var frameBytes: [[UInt8]] {
        frames.map { hex in
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
    }

    /// What is wrong with the broker's reply, or nil when it matches.
    func mismatch(_ reply: Command) -> String? {
        var problems: [String] = []
        func check<T: Equatable>(_ what: String, _ actual: T?, _ wanted: T?) {
            if let wanted, actual != wanted {
                problems.append("\(what) \(actual.map { "\($0)" } ?? "absent"), expected \(wanted)")
            }
        }
        switch reply {
        case .error(let answer):
            check("reply", "ERROR", error.reply)
            check("code", answer.code.rawValue, error.code)
            check("field", answer.field, error.field)
            check("fatal", answer.fatal, error.fatal)
            check("ref", answer.ref, error.ref)
        case .rejected(let rejected):
            check("reply", "REJECTED", self.error.reply)
            check("code", rejected.code.rawValue, self.error.code)
            check("field", rejected.field, self.error.field)
            check("id", rejected.id, self.error.id)
            check("recipient", rejected.recipient, self.error.recipient)
        default:
            problems.append("reply \(reply.name)")
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}

extension DaemonSuite {
    @Suite("Malformed input")
    struct MalformedInputTests {
        /// Every invalid vector, sent by a raw DEALER authenticated with test-a's CURVE key (after a HELLO as
        /// test-a for context "session"; 1/RBP §15), gets exactly the reply, code and members the vector names;
        /// meanwhile the pair C → D keeps working and the daemon keeps running.
        @Test func everyInvalidVectorGetsItsAnswer() async throws {
            let vectors = try InvalidVector.loadAll()
            #expect(vectors.count > 50)
            try await withDaemon { h in
                let c = try h.node("test-c")
                let d = try h.node("test-d")
                let before = (1...20).map { String(format: "test-c:during-%06d", $0) }
                try await c.send(batch: before.map { Made.message($0, to: ["test-d"]) })

                var failures: [String] = []
                var during: [String] = []
                for (index, vector) in vectors.enumerated() {
                    if index % 10 == 0 {  // the pair's traffic goes on while the vectors are sent
                        let id = String(format: "test-c:among-vectors-%06d", index)
                        try await c.send(Made.message(id, to: ["test-d"]))
                        during.append(id)
                    }
                    let raw = try h.raw("test-a")
                    defer { raw.close() }
                    if vector.context == "session" { try await raw.hello("test-a") }
                    try await raw.send(frames: vector.frameBytes)
                    let reply = try await raw.expect("the reply to vector \(vector.name)") { command -> Command? in
                        switch command {
                        case .error, .rejected: command
                        default: nil
                        }
                    }
                    if let problem = vector.mismatch(reply) { failures.append("\(vector.name): \(problem)") }
                }
                h.expect(
                    failures.isEmpty,
                    "\(failures.count) of \(vectors.count) vectors answered wrongly:\n"
                        + failures.joined(separator: "\n"))
                h.expect(h.daemon.isRunning, "the daemon is not running any more")

                let sent = before + during
                let received = try await d.receive(count: sent.count)
                h.expect(Set(received.map(\.id)) == Set(sent), "D received \(received.count) of \(sent.count)")
                let after = "test-c:after-vectors-000001"
                try await c.send(Made.message(after, to: ["test-d"]))
                let last = try await d.receive(count: 1)
                h.expect(last.map(\.id) == [after], "the round trip after the vectors failed: \(last.map(\.id))")
                let receipts = try await c.waitForReceipts(of: after, count: 1, timeout: .seconds(20))
                h.expect(receipts.first?.delivered == true, "no delivered receipt after the vectors: \(receipts)")
                h.expect(h.daemon.isRunning, "the daemon is not running any more")
            }
        }
    }
}
