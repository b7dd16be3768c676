/// A fault in a file (or a value) under the operator's control: the broker's configuration, a node's
/// configuration, the division table, the directory, the authorization policy, the escalation policies, the
/// working calendar, a key file. The one configuration error of every module.
///
/// Why one structured type: an operator fixing a directory of hundreds of nodes needs to be told exactly where
/// to look, so every error names the file, the place in it, the key and the problem, and the programs print
/// `description` verbatim (`referrald` exits 78 with it). The parts are kept separate so that tests and tools
/// can check them without parsing text. No value that could be about a child ever reaches these files, so
/// quoting the offending value is safe and helpful; key material is never quoted.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file as the caller named it (or where the value came from: `environment REFERRALD_…`,
    /// `command line`); nil for values built in code.
    public var file: String?
    /// The broker setting that named `file` (`escalation_policy_file`, `directory_file`), when the file is
    /// one that referrald.json points to; nil otherwise.
    public var setting: String?
    /// Where in the file: `nodes[3] (id "demo-school-2")`, `rules[2]`, `line 14`; nil when the key alone
    /// says where (a key path such as `redelivery.max_ms` or `levels.routine.answer`) or for the file as a whole.
    public var entry: String?
    /// The key (a JSON member or a key path, a CSV column), or nil when the fault is not in one key.
    public var field: String?
    /// The problem, in words.
    public var reason: String

    public init(
        file: String? = nil, setting: String? = nil, entry: String? = nil, field: String? = nil, reason: String
    ) {
        self.file = file
        self.setting = setting
        self.entry = entry
        self.field = field
        self.reason = reason
    }

    /// `file: setting: entry: field: reason`, leaving out the parts that are nil.
    public var description: String {
        [file, setting, entry, field, reason].compactMap { $0 }.joined(separator: ": ")
    }

    /// This error as found in `file`: a fault reported by a check that knows no file name (a document's
    /// values, built in code too) gets one; one that named its file keeps it.
    public func found(in file: String?) -> ConfigurationError {
        var found = self
        found.file = self.file ?? file
        return found
    }

    /// This error as found in `file`, the file the broker setting `setting` (`escalation_policy_file`,
    /// `directory_file`) names.
    public func found(in file: String, namedBy setting: String) -> ConfigurationError {
        var found = self.found(in: file)
        found.setting = setting
        return found
    }
}
