import BrokerStore
import BrokerStorePostgres
import ReferralProtocol

/// `referrald`'s exit codes, one per class of failure that needs a different fix (documented in deploy/README.md
/// and `referrald --help`; sysexits.h values where one fits).
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// A graceful stop (SIGTERM, SIGINT), or a command that did its work.
    case ok = 0
    /// Any other failure to start or to run (e.g. the endpoint is in use).
    case failure = 1
    /// The store is not an SQLite database (truncated, overwritten) or is corrupt (EX_DATAERR).
    case damagedStore = 65
    /// `data_directory` is not a directory and cannot be made one (EX_CANTCREAT).
    case dataDirectory = 73
    /// The store or its folder cannot be written: read-only mount or permissions (EX_NOPERM).
    case readOnlyStore = 77
    /// Another process has the store open, or (PostgreSQL) this instance lost the lease to another one
    /// (EX_TEMPFAIL: started again, it waits as a standby).
    case storeLocked = 75
    /// The configuration or a file it names is wrong: a field, the directory, a policy, the calendar, the
    /// secret key file (missing, unreadable, readable by others) (EX_CONFIG).
    case configuration = 78
    /// The store file is an SQLite database of another program (left unchanged).
    case foreignStore = 79
    /// The store was written by a newer version of referrald (left unchanged).
    case newerStore = 80
    /// The store holds less than it acknowledged (its high-water mark is ahead of it): see "Store recovery".
    case storeRolledBack = 81
    /// The PostgreSQL store cannot be reached: no read-write server among `store.postgresql.hosts` answered
    /// (EX_UNAVAILABLE: try again once the database is up).
    case databaseUnavailable = 69

    /// One line for `--help` and the documentation.
    public var meaning: String {
        switch self {
        case .ok: "stopped gracefully (SIGTERM/SIGINT), or the command succeeded"
        case .failure: "any other failure (e.g. the endpoint is in use)"
        case .damagedStore: "the store is not an SQLite database (cut short, overwritten) or corrupt"
        case .dataDirectory: "data_directory is not a directory (or cannot be created)"
        case .readOnlyStore: "the store or its folder is not writable (read-only mount, permissions)"
        case .storeLocked: "another process has the store open; PostgreSQL: another instance took the lease"
        case .configuration: "configuration error (the file, a file it names, the secret key file)"
        case .foreignStore: "the store file belongs to another program (left unchanged)"
        case .newerStore: "the store was written by a newer referrald (left unchanged)"
        case .storeRolledBack: "the store holds less than it acknowledged (see \"Store recovery\")"
        case .databaseUnavailable: "PostgreSQL store: no read-write server among store.postgresql.hosts answered"
        }
    }

    /// The exit code for an error thrown while starting.
    public init(startFailure error: any Error) {
        switch error {
        case is ConfigurationError: self = .configuration
        case let error as BrokerStoreError:
            switch error.kind {
            case .notADirectory: self = .dataDirectory
            case .readOnly: self = .readOnlyStore
            case .locked: self = .storeLocked
            case .damaged: self = .damagedStore
            case .foreign: self = .foreignStore
            case .newer: self = .newerStore
            case .rolledBack: self = .storeRolledBack
            case .other: self = .failure
            }
        case is LeaseLost: self = .storeLocked
        case let error as PostgresStoreError:
            switch error.kind {
            case .unavailable: self = .databaseUnavailable
            case .misconfigured: self = .configuration
            case .newer: self = .newerStore
            case .incompatible: self = .foreignStore
            case .fenced: self = .storeLocked
            case .statement, .unsupported: self = .failure
            }
        default: self = .failure
        }
    }

    /// The table of codes, one per line ("  78  configuration error ...").
    public static var table: String {
        allCases.sorted { $0.rawValue < $1.rawValue }
            .map { "  \(String($0.rawValue).padding(toLength: 4, withPad: " ", startingAt: 0))\($0.meaning)" }
            .joined(separator: "\n")
    }
}
