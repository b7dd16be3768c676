/// A fault in a file (or a value) under the operator's control: the division table, the
/// directory, the policy.
///
/// Why one structured type: an operator fixing a directory of hundreds of nodes needs to be
/// told exactly where to look, so every error names the file, the entry and the field, and
/// the broker logs `description` verbatim. The parts are kept separate so that tests and tools
/// can check them without parsing text. No value that could be about a child ever reaches
/// these files, so quoting the offending value is safe and helpful.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the caller named it, or nil for values built in code.
    public var file: String?
    /// Where in the file: `nodes[3] (id "demo-school-2")`, `rules[2]`, `line 14`; nil for the
    /// file as a whole.
    public var entry: String?
    /// The field (JSON key or CSV column), or nil when the fault is not in one field.
    public var field: String?
    /// What is wrong, in words.
    public var reason: String

    public init(file: String? = nil, entry: String? = nil, field: String? = nil, reason: String) {
        self.file = file
        self.entry = entry
        self.field = field
        self.reason = reason
    }

    /// `file: entry: field: reason`, leaving out the parts that are nil.
    public var description: String {
        [file, entry, field, reason].compactMap { $0 }.joined(separator: ": ")
    }
}
