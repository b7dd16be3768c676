/// An ADMIN-1 ERROR reply: `{"code": ..., "reason": ...}` (protocols/ADMIN-1.md, Errors).
public struct AdminError: Error, Sendable, Hashable {
    public var code: Code
    /// Names what is wrong (a member, a file and field), never a message body.
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The codes of ADMIN-1; a client keeps any other code a later broker sends as it is.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        public static let badRequest = Code(rawValue: "BAD_REQUEST")
        public static let notFound = Code(rawValue: "NOT_FOUND")
        public static let unknownCommand = Code(rawValue: "UNKNOWN_COMMAND")
        public static let badDirectory = Code(rawValue: "BAD_DIRECTORY")
        public static let storeFailed = Code(rawValue: "STORE_FAILED")
        public static let backupRefused = Code(rawValue: "BACKUP_REFUSED")
        /// REDRIVE: the dead letter's body is no longer stored (retention purged it).
        public static let bodyPurged = Code(rawValue: "BODY_PURGED")
        /// REDRIVE with `to`: the corrected recipient cannot take the message.
        public static let redriveRefused = Code(rawValue: "REDRIVE_REFUSED")
        /// NODE-ROTATE-KEY: the key is another node's (or already this node's).
        public static let keyInUse = Code(rawValue: "KEY_IN_USE")
        /// NODE-MOVE-BACKLOG: `from` is not suspended, `to` is not an active node of `from`'s agency, or a move runs.
        public static let moveRefused = Code(rawValue: "MOVE_REFUSED")
        /// Any request to a standby instance (a broker run as several instances on PostgreSQL): ask the active one.
        public static let notActive = Code(rawValue: "NOT_ACTIVE")

        public var description: String { rawValue }
    }

    static func badRequest(_ reason: String) -> AdminError { AdminError(.badRequest, reason) }
}
