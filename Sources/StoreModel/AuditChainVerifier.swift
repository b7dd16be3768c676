import ReferralProtocol

/// One audit record as read back from a store, decoded: its id, its fields as stored and its stored hash (32 octets).
public struct AuditStoredRecord: Sendable, Hashable {
    public var id: Int64
    public var entry: AuditEvent
    public var hash: [UInt8]

    public init(id: Int64, entry: AuditEvent, hash: [UInt8]) {
        self.id = id
        self.entry = entry
        self.hash = hash
    }
}

/// Walks the records in id order, checking that each one chains to the STORED hash of the one before it. That is
/// equivalent to recomputing the whole chain (by induction), and it localises damage: an edited record breaks its
/// own link only, so the next record, which still chains to the edited record's stored hash, tells "changed" from
/// "moved". Hence one record of lookahead after the first bad link. Pure: each backend reads the rows and decodes
/// them (`check` takes nil for a row that cannot be a record the store wrote, with its id when that much is read).
public struct AuditChainVerifier: Sendable {
    /// The newest id and hash the store wrote or loaded at open (id 0: none).
    let anchorId: Int64
    let anchorHash: [UInt8]
    private var expectedId: Int64 = 1
    private var previousHash = AuditChainHash.zeroHash
    private var previousAt: Int64?
    private var count = 0
    private var suspect: Suspect?

    private struct Suspect: Sendable {
        var id: Int64
        var at: Int64?
        var previousAt: Int64?
        var storedHash: [UInt8]?
    }

    public init(anchorId: Int64, anchorHash: [UInt8]) {
        self.anchorId = anchorId
        self.anchorHash = anchorHash
    }

    /// nil to go on, or the verdict. `stored`: the decoded row (nil when malformed); `rowId`: the row's id when it
    /// is an integer (used when the row is malformed).
    public mutating func check(_ stored: AuditStoredRecord?, rowId: Int64?) -> AuditVerification? {
        if let suspect {
            // The row after the first bad link: does it chain to the bad record's stored hash?
            var chainsToSuspect = false
            if let stored, let hash = suspect.storedHash, stored.id == suspect.id + 1 {
                let canonical = AuditChainHash.canonicalBytes(id: stored.id, stored.entry)
                chainsToSuspect = AuditChainHash.chainHash(previous: hash, canonical: canonical) == stored.hash
            }
            if chainsToSuspect { return .broken(atId: suspect.id, problem: AuditVerification.Problem.changed) }
            return verdict(for: suspect, nextAt: stored?.entry.at)
        }
        guard let id = stored?.id ?? rowId else {
            return .broken(atId: expectedId, problem: AuditVerification.Problem.changed)
        }
        if id > expectedId { return .broken(atId: id, problem: AuditVerification.Problem.missing) }
        if id < expectedId { return .broken(atId: id, problem: AuditVerification.Problem.outOfOrder) }
        guard let stored else {
            suspect = Suspect(id: id, at: nil, previousAt: previousAt, storedHash: nil)
            return nil
        }
        let canonical = AuditChainHash.canonicalBytes(id: id, stored.entry)
        guard AuditChainHash.chainHash(previous: previousHash, canonical: canonical) == stored.hash else {
            suspect = Suspect(id: id, at: stored.entry.at, previousAt: previousAt, storedHash: stored.hash)
            return nil
        }
        if id == anchorId && stored.hash != anchorHash {
            return .broken(atId: id, problem: AuditVerification.Problem.rewritten)
        }
        previousHash = stored.hash
        previousAt = stored.entry.at
        expectedId += 1
        count += 1
        return nil
    }

    public func finish() -> AuditVerification {
        if let suspect { return verdict(for: suspect, nextAt: nil) }
        if anchorId >= expectedId {
            return .broken(atId: expectedId, problem: AuditVerification.Problem.missingAtEnd)
        }
        return .intact(records: count, lastHash: SHA256.hex(previousHash))
    }

    /// A bad link that the next record does not vouch for: moved if time runs backwards around it.
    private func verdict(for suspect: Suspect, nextAt: Int64?) -> AuditVerification {
        if let at = suspect.at {
            if let previousAt = suspect.previousAt, at < previousAt {
                return .broken(atId: suspect.id, problem: AuditVerification.Problem.outOfOrder)
            }
            if let nextAt, nextAt < at {
                return .broken(atId: suspect.id, problem: AuditVerification.Problem.outOfOrder)
            }
        }
        return .broken(atId: suspect.id, problem: AuditVerification.Problem.changed)
    }
}
