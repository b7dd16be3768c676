/// A fault in the escalation configuration (policies or calendar), found when it is loaded.
///
/// Why a path and not a line: the lead's loader reads JSON into the document types first; the
/// path (`kinds["crisis.alert"].crisis.answer`, `holidays[3]`) names the member in the file the
/// operator must fix, whatever the file's layout. Quoting the offending value is safe: these
/// files hold durations, dates and message kinds, never anything about a child.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the document, e.g. `levels.routine.repeat`.
    public var path: String
    /// What is wrong, in words.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
