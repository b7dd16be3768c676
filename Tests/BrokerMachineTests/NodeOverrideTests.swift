import AgencyDirectory
import BrokerCore
import ReferralProtocol
import StoreModel
import Testing

@testable import BrokerMachine

/// The operators' node overrides laid over the directory file (docs/DESIGN.md, "Operators' node overrides"), and the
/// NODE-* admin rules.
@Suite struct NodeOverrideTests {
    static let t0: Int64 = 1_772_413_200_000

    static func base(suspended: Set<String> = [], rekeyed: Set<String> = []) throws -> Jurisdiction {
        Jurisdiction(
            directory: try demoDirectory(suspended: suspended, rekeyed: rekeyed), policy: .default, plaintext: false)
    }

    static func rotation(_ node: String, from old: String, to new: String, until: Int64) -> NodeOverride {
        NodeOverride(
            node: node,
            key: NodeOverride.KeyRotation(
                publicKey: new, directoryKey: old, previousKey: old, previousUntil: until, by: "wang.li", at: t0))
    }

    // MARK: - The layer (pure)

    @Test func anOperatorsSuspensionHoldsWhateverTheFileSaysAndResumeLeavesTheFilesOwn() throws {
        let suspension = NodeOverride(
            node: "gl-psb", suspension: NodeOverride.Suspension(reason: "replaced", by: "wang.li", at: Self.t0))
        let layered = NodeOverrideLayer.apply(["gl-psb": suspension], to: try Self.base(), now: Self.t0)
        #expect(layered.jurisdiction.entry("gl-psb")?.isActive == false)
        #expect(layered.jurisdiction.entry("gl-school-1")?.isActive == true)
        // Resumed (no override) while the file suspends it: still suspended.
        let fileSuspended = NodeOverrideLayer.apply([:], to: try Self.base(suspended: ["gl-psb"]), now: Self.t0)
        #expect(fileSuspended.jurisdiction.entry("gl-psb")?.isActive == false)
    }

    @Test func aRotatedKeyIsInForceAndTheOldOneOnlyUntilItsGraceEnds() throws {
        let base = try Self.base()
        let old = try #require(base.entry("gl-school-1")?.publicKey)
        let new = fakeKey(900)
        let overrides = ["gl-school-1": Self.rotation("gl-school-1", from: old, to: new, until: Self.t0 + 2_000)]
        let during = NodeOverrideLayer.apply(overrides, to: base, now: Self.t0)
        #expect(during.jurisdiction.entry("gl-school-1")?.publicKey == new)
        #expect(during.jurisdiction.activeNode(key: new)?.id == "gl-school-1")
        #expect(during.jurisdiction.activeNode(key: old)?.id == "gl-school-1")
        #expect(during.jurisdiction.nextKeyExpiry == Self.t0 + 2_000)
        let after = NodeOverrideLayer.apply(overrides, to: base, now: Self.t0 + 2_000)
        #expect(after.jurisdiction.activeNode(key: old) == nil)
        #expect(after.jurisdiction.activeNode(key: new)?.id == "gl-school-1")
        #expect(after.redundantKeys.isEmpty)
    }

    @Test func aFileEditedToTheNewKeyMakesTheRotationRedundantAndAThirdKeyWins() throws {
        let base = try Self.base()
        let old = try #require(base.entry("gl-school-1")?.publicKey)
        let edited = try Self.base(rekeyed: ["gl-school-1"])
        let new = try #require(edited.entry("gl-school-1")?.publicKey)
        let overrides = ["gl-school-1": Self.rotation("gl-school-1", from: old, to: new, until: Self.t0 + 2_000)]
        let inGrace = NodeOverrideLayer.apply(overrides, to: edited, now: Self.t0)
        #expect(inGrace.jurisdiction.activeNode(key: old)?.id == "gl-school-1")
        #expect(inGrace.redundantKeys.isEmpty)
        #expect(NodeOverrideLayer.apply(overrides, to: edited, now: Self.t0 + 2_000).redundantKeys == ["gl-school-1"])
        // The file holds a key that is neither: the file wins at once.
        let third = ["gl-school-1": Self.rotation("gl-school-1", from: fakeKey(901), to: fakeKey(902), until: .max)]
        let fileWins = NodeOverrideLayer.apply(third, to: base, now: Self.t0)
        #expect(fileWins.jurisdiction.entry("gl-school-1")?.publicKey == old)
        #expect(fileWins.jurisdiction.graceKeys.isEmpty)
        #expect(fileWins.redundantKeys == ["gl-school-1"])
    }

    @Test func aKeyAnotherNodeHoldsIsNeverGiven() throws {
        let base = try Self.base()
        let old = try #require(base.entry("gl-school-1")?.publicKey)
        let taken = try #require(base.entry("gl-psb")?.publicKey)
        let layered = NodeOverrideLayer.apply(
            ["gl-school-1": Self.rotation("gl-school-1", from: old, to: taken, until: .max)], to: base, now: Self.t0)
        #expect(layered.jurisdiction.entry("gl-school-1")?.publicKey == old)
        #expect(layered.jurisdiction.activeNode(key: taken)?.id == "gl-psb")
        #expect(layered.problems.count == 1)
    }

    // MARK: - The machine

    @Test func suspendCutsTheSessionRefusesTheNodeAndRepliesOnceStored() throws {
        var rig = try Rig()
        let clinic = rig.connect("gl-child-psych")
        let actions = rig.handle(
            .admin(
                Self.arrival(.nodeSuspend(node: "gl-child-psych", reason: "replaced", operator: "wang.li")),
                now: rig.now))
        #expect(actions.errors.map(\.code) == [.nodeSuspended])
        #expect(actions.sends.first?.to == clinic)
        #expect(actions.replies.isEmpty)
        let write = try #require(actions.nodeWrites.first)
        #expect(write.override?.suspension?.by == "wang.li")
        #expect(write.audit?.event == "node-suspended")
        #expect(write.audit?.detail?.contains("operator=wang.li") == true)
        let stored = rig.stored(.nodeOverride(write, stored: true))
        guard case .ok(.node(let state))? = stored.replies.first?.response else {
            Issue.record("no reply: \(stored)")
            return
        }
        #expect(state.state == "suspended" && state.directoryState == "active" && state.sessionEnded)
        // A new HELLO is refused; STATUS shows who suspended it.
        let again = rig.command(.hello(Hello(node: "gl-child-psych")), on: rig.connection())
        #expect(again.errors.map(\.code) == [.nodeSuspended])
        let node = rig.machine.status(ShellFacts(startedAt: 0, endpoint: "", store: .init()), now: rig.now).nodes
            .first { $0.node == "gl-child-psych" }
        #expect(node?.state == "suspended" && node?.suspendedBy == "wang.li" && node?.suspendedReason == "replaced")
    }

    @Test func aFailedWriteUndoesTheSuspension() throws {
        var rig = try Rig()
        let actions = rig.handle(
            .admin(Self.arrival(.nodeSuspend(node: "gl-psb", reason: "x", operator: "wang.li")), now: rig.now))
        let write = try #require(actions.nodeWrites.first)
        let failed = rig.stored(.nodeOverride(write, stored: false))
        #expect(
            failed.replies.map(\.response) == [
                .error(AdminError(.storeFailed, "the store could not be written; nothing changed"))
            ])
        #expect(rig.machine.jurisdiction.entry("gl-psb")?.isActive == true)
    }

    @Test func resumeLiftsOnlyTheOperatorsSuspensionAndAReloadKeepsIt() throws {
        var rig = try Rig()
        let suspend = rig.handle(
            .admin(Self.arrival(.nodeSuspend(node: "gl-psb", reason: "x", operator: "wang.li")), now: rig.now))
        _ = rig.stored(.nodeOverride(try #require(suspend.nodeWrites.first), stored: true))
        // A reload of a file that says active keeps the operator's suspension.
        let reload = Jurisdiction(directory: try demoDirectory(), policy: .default, plaintext: true)
        _ = rig.handle(
            .reload(.success(Reloadable(jurisdiction: reload, escalation: .defaults)), replyTo: nil, now: rig.now))
        #expect(rig.machine.jurisdiction.entry("gl-psb")?.isActive == false)
        let resume = rig.handle(.admin(Self.arrival(.nodeResume(node: "gl-psb", operator: "li.na")), now: rig.now))
        let write = try #require(resume.nodeWrites.first)
        #expect(write.override == nil && write.audit?.event == "node-resumed")
        #expect(rig.machine.jurisdiction.entry("gl-psb")?.isActive == true)
        #expect(rig.command(.hello(Hello(node: "gl-psb")), on: rig.connection()).errors.isEmpty)
    }

    @Test func aRotatedKeyLetsBothInDuringTheGraceThenCutsTheOldKeysSession() throws {
        var rig = try Rig(plaintext: false)
        let old = try #require(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey)
        let new = fakeKey(900)
        let oldConnection = rig.connection()
        _ = rig.command(.hello(Hello(node: "gl-school-1")), on: oldConnection, key: old)
        let rotate = rig.handle(
            .admin(
                Self.arrival(.nodeRotateKey(node: "gl-school-1", publicKey: new, graceMs: 2_000, operator: "wang.li")),
                now: rig.now))
        #expect(rotate.errors.isEmpty)
        #expect(rotate.nodeWrites.first?.audit?.event == "node-key-rotated")
        #expect(rig.machine.handshake(key: old, fingerprint: nil, mechanism: "CURVE", peer: "p", now: rig.now).admitted)
        #expect(rig.machine.handshake(key: new, fingerprint: nil, mechanism: "CURVE", peer: "p", now: rig.now).admitted)
        #expect(rig.machine.nextWakeup.map { $0 <= rig.now + 2_000 } == true)
        let expired = rig.tick(after: 2_000)
        #expect(expired.errors.map(\.code) == [.nodeSuspended])
        #expect(expired.sends.first?.to == oldConnection)
        #expect(
            !rig.machine.handshake(key: old, fingerprint: nil, mechanism: "CURVE", peer: "p", now: rig.now).admitted)
        let fresh = rig.connection()
        let welcomed = rig.command(.hello(Hello(node: "gl-school-1")), on: fresh, key: new)
        #expect(welcomed.errors.isEmpty && rig.machine.node(onConnection: fresh) == "gl-school-1")
    }

    @Test func aRotationTheFileCaughtUpWithIsDeletedOnceItsGraceEnds() throws {
        var rig = try Rig(plaintext: false)
        let edited = try demoDirectory(rekeyed: ["gl-school-1"])
        let new = try #require(edited.entry(id: "gl-school-1")?.publicKey)
        let rotate = rig.handle(
            .admin(
                Self.arrival(.nodeRotateKey(node: "gl-school-1", publicKey: new, graceMs: 1_000, operator: "wang.li")),
                now: rig.now))
        _ = rig.stored(.nodeOverride(try #require(rotate.nodeWrites.first), stored: true))
        let file = Jurisdiction(directory: edited, policy: .default, plaintext: false)
        let reloaded = rig.handle(
            .reload(.success(Reloadable(jurisdiction: file, escalation: .defaults)), replyTo: nil, now: rig.now))
        // Still in its grace: kept (the old key still lets the node in).
        #expect(reloaded.nodeWrites.isEmpty)
        let expired = rig.tick(after: 1_000)
        let cleanup = try #require(expired.nodeWrites.first)
        #expect(cleanup.override == nil && cleanup.audit == nil && cleanup.reply == nil)
        #expect(rig.machine.overrides.isEmpty)
        #expect(rig.machine.jurisdiction.entry("gl-school-1")?.publicKey == new)
    }

    @Test func aKeyOfAnotherNodeIsRefused() throws {
        var rig = try Rig(plaintext: false)
        let taken = try #require(rig.machine.jurisdiction.entry("gl-psb")?.publicKey)
        let actions = rig.handle(
            .admin(
                Self.arrival(.nodeRotateKey(node: "gl-school-1", publicKey: taken, graceMs: 0, operator: "wang.li")),
                now: rig.now))
        #expect(actions.replies.map(\.response) == [.error(AdminError(.keyInUse, "the key belongs to node 'gl-psb'"))])
        #expect(actions.nodeWrites.isEmpty)
    }

    @Test func aBacklogMovesOnlyFromASuspendedNodeToAnActiveOneOfItsAgency() throws {
        var rig = try Rig()
        let refused = rig.handle(
            .admin(Self.arrival(.nodeMoveBacklog(from: "gl-school-1", to: "gl-school-2", operator: "o")), now: rig.now))
        #expect(refused.errorCodes == [.moveRefused])
        let suspend = rig.handle(
            .admin(Self.arrival(.nodeSuspend(node: "gl-school-1", reason: "x", operator: "o")), now: rig.now))
        _ = rig.stored(.nodeOverride(try #require(suspend.nodeWrites.first), stored: true))
        let otherAgency = rig.handle(
            .admin(Self.arrival(.nodeMoveBacklog(from: "gl-school-1", to: "gl-psb", operator: "o")), now: rig.now))
        #expect(otherAgency.errorCodes == [.moveRefused])
        let moving = rig.handle(
            .admin(Self.arrival(.nodeMoveBacklog(from: "gl-school-1", to: "gl-school-2", operator: "o")), now: rig.now))
        let move = try #require(
            moving.requests.compactMap { if case .moveBacklog(let m, _) = $0 { m } else { nil } }.first)
        #expect(move.audit.event == "backlog-moved" && move.audit.recipient == "gl-school-2")
        let done = rig.stored(
            .backlogMoved(move, BacklogMoved(seqs: [3, 5], fromOpen: 1, toOpen: 2), replyTo: operatorPeer))
        #expect(
            done.replies.map(\.response) == [
                .ok(
                    .backlogMoved(
                        AdminBacklogMove(from: "gl-school-1", to: "gl-school-2", moved: 2, fromOpen: 1, toOpen: 2)))
            ])
        #expect(rig.machine.scheduler.nodeStatus("gl-school-2")?.pending == 2)
    }

    static func arrival(_ request: AdminRequest) -> AdminArrival {
        AdminArrival(
            request: .success(request), replyTo: operatorPeer,
            shell: ShellFacts(startedAt: 0, endpoint: "", store: StoreStatistics(transactions: 0, rowsWritten: 0)))
    }
}

extension Array where Element == MachineAction {
    var errorCodes: [AdminError.Code] {
        replies.compactMap { if case .error(let error) = $0.response { error.code } else { nil } }
    }

    var nodeWrites: [NodeOverrideWrite] {
        requests.compactMap { if case .nodeOverride(let write) = $0 { write } else { nil } }
    }
}
