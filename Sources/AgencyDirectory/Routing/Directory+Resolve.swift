/// Routing by jurisdiction: turning recipient addresses into node ids.
///
/// A role `role:AGENCY/KIND@DIVISION` means "the node(s) of that agency and kind responsible
/// for that place". A node serves the division it is registered at and everything below it,
/// so the search starts at the named division and climbs (village → township → county →
/// city → province): at each level it takes the active nodes of the agency and kind placed
/// exactly there, and the first level with any match wins. All matches at that level are
/// returned (fan-out): two psychiatric clinics designated for one county both receive the
/// referral, and whichever answers first moves it on. Nodes placed *below* the named division
/// never match (a township clinic does not serve the whole county). Suspended nodes are
/// skipped as if absent.
extension Directory {
    /// Resolves one recipient address.
    public func resolve(_ address: String) -> Resolution {
        do throws(ResolutionFailure) {
            let (ids, via) = try resolveOne(address)
            return .nodes(ids, via: via)
        } catch {
            return .failure(error)
        }
    }

    /// Resolves every address of a SEND's `to`: the union of their node ids (each once, in
    /// order of first appearance) with the role descriptions joined by `; `; or the failure of
    /// the first address (in the given order) that cannot be resolved, in which case the
    /// broker REJECTS the SEND. An empty list is a malformed address.
    public func resolve(recipients: [String]) -> Resolution {
        guard !recipients.isEmpty else {
            return .failure(ResolutionFailure(code: .malformedAddress, address: "", reason: "no recipients"))
        }
        var ids: [String] = []
        var seen: Set<String> = []
        var vias: [String] = []
        for address in recipients {
            do throws(ResolutionFailure) {
                let (found, via) = try resolveOne(address)
                for id in found where seen.insert(id).inserted { ids.append(id) }
                if let via { vias.append(via) }
            } catch {
                return .failure(error)
            }
        }
        return .nodes(ids, via: vias.isEmpty ? nil : vias.joined(separator: "; "))
    }

    private func resolveOne(_ text: String) throws(ResolutionFailure) -> (ids: [String], via: String?) {
        switch try Address(parsing: text) {
        case .node(let id):
            guard let entry = entry(id: id) else {
                throw ResolutionFailure(
                    code: .unknownNode, address: text,
                    reason: NearestName.hint(
                        "no node \"\(id)\" in the directory", for: id, in: allEntries.lazy.map(\.id)))
            }
            guard entry.isActive else {
                throw ResolutionFailure(code: .suspendedNode, address: text, reason: "node \"\(id)\" is suspended")
            }
            return ([id], nil)
        case .role(let agencyName, let kind, let division):
            guard let agency = Agency(rawValue: agencyName) else {
                throw ResolutionFailure(
                    code: .unknownAgency, address: text,
                    reason: NearestName.hint(
                        "\"\(agencyName)\" is not an agency", for: agencyName, in: Agency.allCases.map(\.rawValue)))
            }
            if let kind, !knownKinds.contains(kind) {
                throw ResolutionFailure(
                    code: .unknownKind, address: text,
                    reason: NearestName.hint(
                        "\"\(kind)\" is not a known node kind", for: kind, in: knownKinds.sorted()))
            }
            guard divisions.isValid(division) else {
                throw ResolutionFailure(
                    code: .invalidDivision, address: text, reason: "\(division) is not a division code of the table")
            }
            let searched = divisions.ancestors(of: division)
            for code in searched {
                let ids = entries(at: code)
                    .filter { $0.isActive && $0.agency == agency && (kind == nil || $0.kind == kind) }
                    .map(\.id)
                if !ids.isEmpty {
                    return (ids, "\(text) -> \(code): \(ids.joined(separator: ", "))")
                }
            }
            throw ResolutionFailure(
                code: .noMatchingNode, address: text,
                reason: "no active \(agency)/\(kind ?? "*") node at \(searched.joined(separator: ", "))")
        }
    }
}
