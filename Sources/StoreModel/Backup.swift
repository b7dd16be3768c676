/// Why a backup was refused before anything was written (ADMIN-1 BACKUP_REFUSED): the path is relative, its
/// directory is missing or not writable, or the file exists.
public struct BackupRefused: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
