extension Send {
    /// SHA-256 over the canonical content of 1/RBP §12.7, which decides between a duplicate SEND
    /// and a CONFLICT: `item(recipients) || item(kind) || item(case) || item(priority) || item(body)`,
    /// where `item(x)` is x's length as a big-endian UInt64 followed by x, recipients are the `to`
    /// addresses as sent (not resolved) sorted by octets and joined with ",", and case is the
    /// lowercase case id or empty; `|| item(followup)` follows when the SEND has a follow-up plan, its
    /// canonical text (`FollowUpHeader.canonicalJSON`).
    public var contentDigest: [UInt8] {
        var recipients: [UInt8] = []
        for (k, node) in to.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if k > 0 { recipients.append(UInt8(ascii: ",")) }
            recipients.append(contentsOf: node.utf8)
        }
        let caseText = caseId.map { Identifiers.normalizedCaseId($0) ?? $0.lowercased() } ?? ""
        var stream = SHA256.Stream()
        stream.updateItem(recipients)
        stream.updateItem(Array(kind.utf8))
        stream.updateItem(Array(caseText.utf8))
        stream.updateItem(Array(priority.rawValue.utf8))
        stream.updateItem(body)
        // Only when present, so that the digest of a SEND without a plan is that of 1.0-1.2.
        if let followUp { stream.updateItem(followUp.canonicalJSON) }
        return stream.finalize()
    }
}
