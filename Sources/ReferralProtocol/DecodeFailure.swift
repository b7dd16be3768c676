/// Why a message could not be decoded, and what to answer (1/RBP §8, §9).
///
/// `reason` names fields and limits but never contains payload or header values beyond ids.
public struct DecodeFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var reason: String
    /// The offending header member, for BAD_FIELD.
    public var field: String?
    /// The wire name of the command, when frame 2 named a known one.
    public var command: String?
    /// Set when a SEND had a valid id: the reply is REJECTED with this id, else ERROR.
    public var messageId: String?
    /// Set when a QUERY had a valid ref: the ERROR carries it (1/RBP §8 step 8).
    public var ref: String?

    public init(
        code: ErrorCode, reason: String, field: String? = nil, command: String? = nil, messageId: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.field = field
        self.command = command
        self.messageId = messageId
    }

    public var description: String {
        var text = "\(code)"
        if let command { text += " in \(command)" }
        if let field { text += " (field \(field))" }
        return text + ": \(reason)"
    }

    /// Whether the ERROR reply is fatal (1/RBP §9): for UNSUPPORTED_VERSION, and for any failed HELLO.
    public var isFatal: Bool { code == .unsupportedVersion || command == "HELLO" }

    /// The reply the broker sends: REJECTED for a SEND with a valid id, otherwise ERROR.
    public var reply: Command {
        if let messageId {
            return .rejected(
                Rejected(id: messageId, code: code, retry: code.retryable, reason: reason, field: field))
        }
        return .error(
            ErrorReply(code: code, reason: reason, fatal: isFatal, command: command, field: field, ref: ref))
    }
}
