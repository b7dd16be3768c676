import ReferralProtocol

extension PolicyDocument {
    /// Reads the document's JSON (see `PolicyDocument`) with the strict reader, member for member: unknown
    /// members, wrong types and a version other than 1 are errors naming the member's path
    /// (`levels.routine.answer`) in `file`. The values are checked by `EscalationPolicies(document:revision:)`.
    public init(json: [UInt8], file: String?) throws(ConfigurationError) {
        var root = try JSONObjectReader(try JSONFile.parse(json, file: file), file: file)
        try root.version(1)
        self.init(version: 1)
        for (name, value) in try root.optionalObject("levels") ?? [] {
            levels[name] = try PolicyEntry(value, file: file, path: "levels.\(name)")
        }
        for (kind, value) in try root.optionalObject("kinds") ?? [] {
            let perLevel = try JSONObjectReader(value, file: file, path: "kinds.\(kind)")
            var entries: [String: PolicyEntry] = [:]
            for (level, member) in perLevel.members {
                entries[level] = try PolicyEntry(member, file: file, path: "kinds.\(kind).\(level)")
            }
            kinds[kind] = entries
        }
        try root.refuseUnknownKeys()
    }
}

extension PolicyEntry {
    fileprivate init(_ value: JSONValue, file: String?, path: String) throws(ConfigurationError) {
        var object = try JSONObjectReader(value, file: file, path: path)
        self.init()
        delivery = try object.optionalString("delivery")
        answer = try object.optionalString("answer")
        repeatEvery = try object.optionalString("repeat")
        clock = try object.optionalString("clock")
        maxSteps = try object.optionalInteger("max_steps")
        fanOut = try object.optionalBool("fan_out")
        try object.refuseUnknownKeys()
    }
}
