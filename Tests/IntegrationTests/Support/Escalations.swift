import Foundation
import ReferralProtocol

extension RawNode {
    /// Waits for the next `escalation.notice` delivered here, ACKs it, and returns it with its body.
    func escalationNotice(timeout: Duration = .seconds(10)) async throws -> (Deliver, [String: Any]) {
        let deliver: Deliver = try await expect("DELIVER of an escalation.notice", timeout: timeout) {
            if case .deliver(let deliver) = $0, deliver.kind == "escalation.notice" { return deliver }
            return nil
        }
        try await send(.ack(Ack(seq: deliver.seq)))
        let body = (try? JSONSerialization.jsonObject(with: Data(deliver.body))) as? [String: Any] ?? [:]
        return (deliver, body)
    }

    /// The bodies of the escalation notices passed over so far (kept by `idle` and `expect`).
    var queuedNotices: [[String: Any]] {
        queuedCommands.compactMap { command in
            guard case .deliver(let d) = command, d.kind == "escalation.notice" else { return nil }
            return (try? JSONSerialization.jsonObject(with: Data(d.body))) as? [String: Any]
        }
    }
}

extension Harness {
    /// `referralctl case ID --json`, parsed.
    func caseInfo(_ caseId: String) async throws -> [String: Any] {
        let run = try await referralctl(["case", caseId, "--json", "--admin", daemon.admin])
        guard run.status == 0,
            let object = try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        else { throw HarnessError("referralctl case: exit \(run.status): \(run.stdout) \(run.stderr)") }
        return object
    }
}
