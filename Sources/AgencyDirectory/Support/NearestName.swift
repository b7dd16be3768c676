/// The known name closest to a misspelled one, for "did you mean" hints in refusals: the smallest edit distance
/// (insertions, deletions, substitutions), if it is small for the name's length (at most 1 for names of up to 4
/// characters, 2 up to 9, else 3); ties go to the first candidate in order.
enum NearestName {
    static func of(_ name: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(name.utf8)
        let limit = target.count <= 4 ? 1 : target.count <= 9 ? 2 : 3
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(target, Array(candidate.utf8))
            if distance <= limit, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    /// `reason` followed by "; did you mean X?" when a candidate is near `name`.
    static func hint(_ reason: String, for name: String, in candidates: some Sequence<String>) -> String {
        guard let near = of(name, in: candidates) else { return reason }
        return "\(reason); did you mean \"\(near)\"?"
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for (i, x) in a.enumerated() {
            current[0] = i + 1
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
