import AgencyDirectory
import BrokerCore
import ReferralProtocol
import StoreModel

/// The operators' node commands (ADMIN-1 NODE-*; docs/DESIGN.md, "Operators' node overrides"). An override is
/// applied in memory at once (a suspended node's session is cut in the same turn, a rotated key is let in from the
/// next handshake) and written with its audit record in one transaction; the reply goes out once it is committed.
extension BrokerMachine {
    mutating func nodeAdmin(_ request: AdminRequest, peer: AdminPeer, now: Int64) {
        switch request {
        case .nodeSuspend(let node, let reason, let op):
            suspend(node, reason: reason, by: op, peer: peer, now: now)
        case .nodeResume(let node, let op):
            resume(node, by: op, peer: peer, now: now)
        case .nodeRotateKey(let node, let key, let grace, let op):
            rotateKey(node, to: key, graceMs: grace, by: op, peer: peer, now: now)
        case .nodeMoveBacklog(let from, let to, let op):
            moveBacklog(from: from, to: to, by: op, peer: peer, now: now)
        case .nodeBacklog(let node, let limit, let after):
            guard jurisdiction.entry(node) != nil || scheduler.nodeStatus(node) != nil else {
                return reply(.error(Self.unknownNode(node)), to: peer)
            }
            let page = Int(clamping: min(limit ?? 100, Int64(Self.backlogPageLimit)))
            actions.append(
                .store(.adminRead(.nodeBacklog(node: node, afterSeq: after ?? 0, limit: page), replyTo: peer)))
        default:
            break
        }
    }

    /// The most deliveries one NODE-BACKLOG reply lists.
    static let backlogPageLimit = 1_000

    static func unknownNode(_ node: String) -> AdminError {
        AdminError(.notFound, "no node '\(node)' in the directory")
    }

    private mutating func suspend(_ node: String, reason: String, by op: String, peer: AdminPeer, now: Int64) {
        guard fileJurisdiction.entry(node) != nil else { return reply(.error(Self.unknownNode(node)), to: peer) }
        let previous = overrides[node]
        var next = previous ?? NodeOverride(node: node)
        next.suspension = NodeOverride.Suspension(reason: reason, by: op, at: now)
        setOverride(next, for: node, now: now)
        let cut = endSessionsNoLongerAdmitted(reason: "node '\(node)' was suspended by an operator", now: now)
        log(.notice, "node suspended by an operator", ["node": node, "operator": op, "reason": reason])
        let audit = AuditEvent(
            at: now, event: .nodeSuspended, node: node, detail: "operator=\(op) reason=\(reason)")
        write(next, previous: previous, node: node, audit: audit, reply: (peer, .node(nodeState(node, cut))))
    }

    private mutating func resume(_ node: String, by op: String, peer: AdminPeer, now: Int64) {
        guard fileJurisdiction.entry(node) != nil else { return reply(.error(Self.unknownNode(node)), to: peer) }
        let previous = overrides[node]
        guard previous?.suspension != nil else {
            // Nothing of the operators' to lift: nothing changes, nothing is written.
            return reply(.ok(.node(nodeState(node, []))), to: peer)
        }
        var next = previous ?? NodeOverride(node: node)
        next.suspension = nil
        setOverride(next, for: node, now: now)
        let state = jurisdiction.entry(node)?.state.rawValue ?? "removed"
        log(.notice, "node resumed by an operator", ["node": node, "operator": op, "state": state])
        let audit = AuditEvent(at: now, event: .nodeResumed, node: node, detail: "operator=\(op) state=\(state)")
        write(next, previous: previous, node: node, audit: audit, reply: (peer, .node(nodeState(node, []))))
    }

    private mutating func rotateKey(
        _ node: String, to key: String, graceMs: Int64, by op: String, peer: AdminPeer, now: Int64
    ) {
        guard let fileEntry = fileJurisdiction.entry(node), let current = jurisdiction.entry(node) else {
            return reply(.error(Self.unknownNode(node)), to: peer)
        }
        guard key != current.publicKey else {
            return reply(.error(AdminError(.keyInUse, "this is already node '\(node)''s key")), to: peer)
        }
        let owners = [jurisdiction.keyOwner(key)?.id, fileJurisdiction.directory.entry(publicKey: key)?.id]
        if let other = owners.compactMap({ $0 }).first(where: { $0 != node }) {
            return reply(.error(AdminError(.keyInUse, "the key belongs to node '\(other)'")), to: peer)
        }
        let previous = overrides[node]
        var next = previous ?? NodeOverride(node: node)
        // The file's key the rotation replaces: kept from the first rotation while the file still holds it.
        let directoryKey =
            previous?.key.flatMap { $0.directoryKey == fileEntry.publicKey ? $0.directoryKey : nil }
            ?? fileEntry.publicKey
        let until = now.addingReportingOverflow(graceMs).overflow ? Int64.max : now + graceMs
        next.key = NodeOverride.KeyRotation(
            publicKey: key, directoryKey: directoryKey, previousKey: current.publicKey, previousUntil: until, by: op,
            at: now)
        setOverride(next, for: node, now: now)
        let cut = endSessionsNoLongerAdmitted(reason: "node '\(node)''s key was replaced", now: now)
        let fingerprint = settings.keyFingerprint(key)
        let old = settings.keyFingerprint(current.publicKey) ?? "-"
        log(.notice, "node key rotated by an operator", ["node": node, "operator": op, "grace_ms": "\(graceMs)"])
        let audit = AuditEvent(
            at: now, event: .nodeKeyRotated, node: node, keyFingerprint: fingerprint,
            detail: "operator=\(op) grace_ms=\(graceMs) previous=\(old)")
        write(next, previous: previous, node: node, audit: audit, reply: (peer, .node(nodeState(node, cut))))
    }

    private mutating func moveBacklog(from: String, to: String, by op: String, peer: AdminPeer, now: Int64) {
        func refuse(_ reason: String) { reply(.error(AdminError(.moveRefused, reason)), to: peer) }
        guard let source = jurisdiction.entry(from) else { return reply(.error(Self.unknownNode(from)), to: peer) }
        guard let target = jurisdiction.entry(to) else { return reply(.error(Self.unknownNode(to)), to: peer) }
        guard from != to else { return refuse("'from' and 'to' are the same node") }
        guard !source.isActive, sessions.connection(from) == nil else {
            return refuse("node '\(from)' is active: suspend it first (referralctl node suspend \(from))")
        }
        guard target.isActive else { return refuse("node '\(to)' is suspended: only an active node takes a backlog") }
        guard target.agency == source.agency else {
            return refuse(
                "node '\(to)' is of agency \(target.agency), '\(from)' of \(source.agency): a backlog goes only to a "
                    + "node of the same agency")
        }
        guard !backlogMoveRunning else { return refuse("another backlog move is in progress; try again") }
        backlogMoveRunning = true
        log(.notice, "moving a node's backlog", ["from": from, "to": to, "operator": op])
        let audit = AuditEvent(
            at: now, event: .backlogMoved, node: from, recipient: to, detail: "operator=\(op)")
        actions.append(
            .store(
                .moveBacklog(
                    BacklogMove(from: from, to: to, toRegion: target.division, at: now, audit: audit), replyTo: peer)))
    }

    mutating func backlogMoved(_ move: BacklogMove, _ moved: BacklogMoved?, replyTo peer: AdminPeer, now: Int64) {
        backlogMoveRunning = false
        guard let moved else {
            log(.error, "moving a node's backlog failed: nothing moved", ["from": move.from, "to": move.to])
            return reply(.error(AdminError(.storeFailed, "the store could not be written; nothing moved")), to: peer)
        }
        scheduler.backlogMoved(from: move.from, to: move.to, fromOpen: moved.fromOpen, toOpen: moved.toOpen)
        log(
            .notice, "node backlog moved",
            ["from": move.from, "to": move.to, "moved": "\(moved.seqs.count)", "left": "\(moved.fromOpen)"])
        reply(
            .ok(
                .backlogMoved(
                    AdminBacklogMove(
                        from: move.from, to: move.to, moved: moved.seqs.count, fromOpen: moved.fromOpen,
                        toOpen: moved.toOpen))), to: peer)
    }

    mutating func nodeOverrideStored(_ write: NodeOverrideWrite, stored: Bool, now: Int64) {
        guard stored else {
            // Not durable: what the machine applied goes back, and the operator is told.
            log(.error, "a node override could not be written; it is undone", ["node": write.node])
            if overrides[write.node] == write.override { setOverride(write.previous, for: write.node, now: now) }
            if let (peer, _) = write.reply {
                reply(.error(AdminError(.storeFailed, "the store could not be written; nothing changed")), to: peer)
            }
            return
        }
        if let (peer, result) = write.reply { reply(.ok(result), to: peer) }
    }

    /// NODE-BACKLOG's reply: the scheduler's counts (as STATUS) and the store's page.
    func nodeBacklogResult(_ node: String, _ page: BacklogPage) -> AdminNodeBacklog {
        let status = scheduler.nodeStatus(node)
        let priorities = ["routine", "urgent", "crisis"]
        return AdminNodeBacklog(
            node: node, state: jurisdiction.entry(node)?.state.rawValue ?? "removed",
            connected: status?.connected ?? false, pending: status?.pending ?? 0, inFlight: status?.inFlight ?? 0,
            held: scheduler.heldInStore(node), deadLetters: status?.deadLetters ?? 0,
            receiptsPending: status?.receiptsPending ?? 0, oldestWaiting: page.oldestWaiting,
            deliveries: page.deliveries.map {
                AdminNodeBacklog.Delivery(
                    seq: $0.seq, sender: $0.sender, messageId: $0.messageId, kind: $0.kind, caseId: $0.caseId,
                    priority: priorities.indices.contains($0.priority) ? priorities[$0.priority] : "routine",
                    since: $0.since, attempts: $0.attempts)
            },
            nextAfter: page.more ? page.deliveries.last?.seq : nil)
    }

    /// The node as it stands: state in force and in the file, the operator's suspension, its keys.
    func nodeState(_ node: String, _ cut: [String]) -> AdminNodeState {
        let entry = jurisdiction.entry(node)
        let override = overrides[node]
        let grace = jurisdiction.graceKeys.first { $0.value.node == node }
        return AdminNodeState(
            node: node, state: entry?.state.rawValue ?? "removed",
            directoryState: fileJurisdiction.entry(node)?.state.rawValue ?? "removed",
            suspendedBy: override?.suspension?.by, suspendedReason: override?.suspension?.reason,
            suspendedAt: override?.suspension?.at, publicKey: entry?.publicKey ?? "", previousKey: grace?.key,
            previousKeyUntil: grace?.value.until, sessionEnded: cut.contains(node))
    }

    // MARK: - Layering

    /// Sets (or, empty, removes) a node's override in memory and lays the overrides over the directory again.
    mutating func setOverride(_ override: NodeOverride?, for node: String, now: Int64) {
        if let override, !override.isEmpty { overrides[node] = override } else { overrides[node] = nil }
        layOverrides(now: now)
    }

    /// The directory in force: the file's, with the overrides laid over it (`NodeOverrideLayer`). A key rotation
    /// the layer finds redundant is deleted from the store (the file now holds the new key and no grace is left, or
    /// the file holds a third key).
    mutating func layOverrides(now: Int64) {
        let layer = NodeOverrideLayer.apply(overrides, to: fileJurisdiction, now: now)
        jurisdiction = layer.jurisdiction
        for problem in layer.problems { log(.warning, "node override not applied", ["problem": problem]) }
        for node in layer.redundantKeys {
            guard var override = overrides[node], override.key != nil else { continue }
            let previous = override
            override.key = nil
            overrides[node] = override.isEmpty ? nil : override
            log(.info, "key rotation no longer needed: the directory decides the key", ["node": node])
            write(override, previous: previous, node: node, audit: nil, reply: nil)
        }
    }

    /// Cuts every session whose key no longer lets its node in (suspended, re-keyed, a grace period over): ERROR
    /// NODE_SUSPENDED (fatal), as a directory reload does. Returns the nodes cut.
    @discardableResult
    mutating func endSessionsNoLongerAdmitted(reason: String, now: Int64) -> [String] {
        var cut: [String] = []
        for (node, key) in sessions.keys {
            let admitted =
                jurisdiction.plaintext
                ? jurisdiction.entry(node)?.isActive ?? false : jurisdiction.activeNode(key: key)?.id == node
            guard !admitted, let connection = sessions.connection(node) else { continue }
            answer(
                .error(ErrorReply(code: .nodeSuspended, reason: reason, fatal: true, command: nil, field: nil)),
                node: node, to: connection.routingId, now: now)
            endSession(onConnection: connection.routingId, now: now)
            cut.append(node)
        }
        return cut
    }

    /// A grace key ran out: it is dropped, and a session still using it is cut.
    mutating func expireKeys(now: Int64) {
        guard let expiry = jurisdiction.nextKeyExpiry, expiry <= now else { return }
        layOverrides(now: now)
        let cut = endSessionsNoLongerAdmitted(
            reason: "the key of this session was replaced and its grace ended", now: now)
        log(.notice, "a replaced key's grace period ended", ["sessions_cut": "\(cut.count)"])
    }

    private mutating func write(
        _ override: NodeOverride?, previous: NodeOverride?, node: String, audit: AuditEvent?,
        reply: (peer: AdminPeer, result: AdminResult)?
    ) {
        actions.append(
            .store(
                .nodeOverride(
                    NodeOverrideWrite(
                        node: node, override: override?.isEmpty == false ? override : nil, previous: previous,
                        audit: audit, reply: reply))))
    }
}
