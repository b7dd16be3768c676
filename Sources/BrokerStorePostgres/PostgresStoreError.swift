import PostgresNIO

/// Every error of the PostgreSQL store: the operation and the cause, with the server's SQLSTATE when there is one.
/// Never a message body, a bind value or the password.
public struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var cause: String
    public var kind: Kind
    /// The server's SQLSTATE (e.g. `23505` unique violation, `57014` statement timeout), when it answered one.
    public var sqlState: String?

    public enum Kind: Sendable, Hashable {
        /// No primary reachable, or the connection broke.
        case unavailable
        /// The settings are refused (synchronous_commit, TLS files).
        case misconfigured
        /// The database holds tables that are not a referrald store (another application's).
        case incompatible
        /// The store was written by a newer referrald (a migration this binary does not know).
        case newer
        /// Another instance holds the lease: this one may not write (POSTGRES-PLAN §5.2).
        case fenced
        /// A statement failed.
        case statement
        /// The backend does not offer this (yet).
        case unsupported
    }

    public init(operation: String, cause: String, kind: Kind, sqlState: String? = nil) {
        self.operation = operation
        self.cause = cause
        self.kind = kind
        self.sqlState = sqlState
    }

    public var description: String { "PostgreSQL store: \(operation): \(cause)" }

    /// Wraps any error of postgres-nio as a statement error of `operation`.
    static func wrap(_ error: any Error, operation: String) -> PostgresStoreError {
        if let error = error as? PostgresStoreError { return error }
        if let psql = error as? PSQLError {
            let state = psql.serverInfo?[.sqlState]
            let kind: Kind =
                switch psql.code {
                case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: .unavailable
                default: .statement
                }
            return PostgresStoreError(operation: operation, cause: describe(error), kind: kind, sqlState: state)
        }
        return PostgresStoreError(operation: operation, cause: describe(error), kind: .statement)
    }

    /// The server's message (never the query's binds: PSQLError's description can include the query text, which
    /// holds only `$n` placeholders, so it is safe; bind values are never formatted).
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}
