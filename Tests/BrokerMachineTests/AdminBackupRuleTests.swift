import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// ADMIN-1 BACKUP through the machine: the store thread makes the copy; the machine answers and audits it.
@Suite struct AdminBackupRuleTests {
    let shell = ShellFacts(startedAt: 1_772_413_000_000, endpoint: "tcp://127.0.0.1:5555", store: StoreStatistics())
    let path = "/var/backups/referrald/made-up.sqlite"

    @Test func backupIsTheStoreThreadsToMake() throws {
        var rig = try Rig()
        let actions = rig.handle(
            .admin(
                AdminArrival(request: .success(.backup(path: path)), replyTo: operatorPeer, shell: shell), now: rig.now)
        )
        #expect(actions.adminReads.map(\.read) == [.backup(path: path)])
        #expect(actions.replies.isEmpty && actions.audits.isEmpty)
    }

    @Test func aWrittenCopyIsAnsweredAndAuditedWithItsPathAndSizeOnly() throws {
        var rig = try Rig()
        let actions = rig.stored(.adminRead(.backedUp(path: path, bytes: 4096, durationMs: 7), replyTo: operatorPeer))
        #expect(actions.replies.map(\.response) == [.ok(.backup(AdminBackup(path: path, bytes: 4096, durationMs: 7)))])
        #expect(
            actions.audits == [AuditEvent(at: rig.now, event: .storeBackedUp, detail: "path=\(path) bytes=4096")])
    }

    @Test func aRefusedTargetIsBackupRefusedAndNotAudited() throws {
        var rig = try Rig()
        let actions = rig.stored(.adminRead(.backupRefused(reason: "\(path) exists"), replyTo: operatorPeer))
        #expect(actions.replies.map(\.response) == [.error(AdminError(.backupRefused, "\(path) exists"))])
        #expect(actions.audits.isEmpty)
    }
}
