/// ERROR (broker → node) (1/RBP §7.13).
public struct ErrorReply: Sendable, Hashable {
    public var code: ErrorCode
    /// Human text, at most 200 characters, never payload content.
    public var reason: String
    /// The broker has ended this connection's session (or opened none): HELLO again.
    public var fatal: Bool
    /// The wire name of the offending command, when it could be read.
    public var command: String?
    /// With BAD_FIELD: the offending header member.
    public var field: String?
    /// The `ref` of the QUERY it answers, when that could be read (1/RBP §7.13, 1.6).
    public var ref: String?

    public init(
        code: ErrorCode, reason: String, fatal: Bool = false, command: String? = nil, field: String? = nil,
        ref: String? = nil
    ) {
        self.ref = ref
        self.code = code
        self.reason = reason
        self.fatal = fatal
        self.command = command
        self.field = field
    }
}
