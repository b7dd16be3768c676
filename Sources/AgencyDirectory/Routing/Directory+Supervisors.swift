/// Supervisors: who is told when a node does not answer in time (escalation, next issue).
///
/// A node's supervisor for an agency is found like a role, one level up: the nearest active
/// node(s) of that agency whose kind is one of the agency's authority kinds
/// (`Agency.authorityKinds`), searching the node's own division and then its ancestors. An
/// authority node of that agency is never its own level's supervisor: for it the search starts
/// at the parent division (a county bureau's supervisor is the city bureau, not itself or a
/// sibling bureau). So, for the default agency:
///
/// - a school in a township → the county education bureau;
/// - a village child director → the township child supervisor (or, where there is none, the
///   county civil-affairs bureau);
/// - a township child supervisor → the county civil-affairs bureau;
/// - a county bureau → the city bureau → the provincial bureau.
///
/// Asking for another agency (`agency:`) finds that agency's authority over the node's place:
/// the civil-affairs supervisor of a school is the civil-affairs authority nearest the school.
extension Directory {
    /// The node's supervisor(s) for `agency` (default: the node's own agency): the ids at the
    /// nearest level that has any; empty for an unknown node or when no level has one.
    public func supervisor(of nodeId: String, agency: Agency? = nil) -> [String] {
        escalationChain(of: nodeId, agency: agency).first ?? []
    }

    /// The successive escalation levels for the node and `agency` (default: its own): the
    /// supervisor(s), then theirs, and so on to the top, one array of ids per level that has
    /// any authority node, nearest first. Empty for an unknown node.
    public func escalationChain(of nodeId: String, agency: Agency? = nil) -> [[String]] {
        guard let node = entry(id: nodeId) else { return [] }
        let agency = agency ?? node.agency
        let authorities = agency.authorityKinds
        var search = divisions.ancestors(of: node.division)
        if node.agency == agency && authorities.contains(node.kind) { search.removeFirst() }
        return search.compactMap { code in
            let ids = entries(at: code)
                .filter { $0.isActive && $0.agency == agency && authorities.contains($0.kind) && $0.id != node.id }
                .map(\.id)
            return ids.isEmpty ? nil : ids
        }
    }
}
