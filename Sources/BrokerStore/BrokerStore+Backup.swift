import Foundation
import GRDB
import Glibc
import StoreModel

extension BrokerStore {
    /// Writes a consistent copy of the store to `path` (absolute, must not exist) with `VACUUM INTO` on this
    /// store's own connection, so no second connection appears; the broker's writes wait while it runs. The copy
    /// goes to a hidden temporary name beside `path`, is fsynced, then linked to `path` (link, unlike rename,
    /// never replaces a file that appeared meanwhile) and the directory fsynced. Returns the copy's size.
    public func backup(to path: String) throws -> Int64 {
        let directory = try Self.checkBackupTarget(path)
        let name = (path as NSString).lastPathComponent
        let temporary = "\(directory)/.\(name).\(UUID().uuidString).partial"
        defer { unlink(temporary) }
        // VACUUM INTO gives the copy the auto_vacuum mode asked for last: INCREMENTAL, so a store made before v11
        // becomes one whose purged pages are given back (restore the copy). The live store keeps its mode (only
        // VACUUM changes it).
        try write("backup") { db in
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM INTO ?", arguments: [temporary])
        }
        try Self.syncFile(temporary)
        guard link(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST { throw BackupRefused(description: "\(path) exists") }
            throw BrokerStoreError(path: self.path, operation: "backup", cause: "link to \(path): \(reason)")
        }
        try Self.syncFile(directory)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
        return size?.int64Value ?? 0
    }

    /// The target's directory, once the target is known to be writable there and not to exist.
    static func checkBackupTarget(_ path: String) throws(BackupRefused) -> String {
        guard path.hasPrefix("/") else { throw BackupRefused(description: "\(path) is not an absolute path") }
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else { throw BackupRefused(description: "the directory \(directory) does not exist") }
        guard access(directory, W_OK) == 0 else {
            throw BackupRefused(description: "the directory \(directory) is not writable")
        }
        var status = stat()
        guard lstat(path, &status) != 0 else { throw BackupRefused(description: "\(path) exists") }
        return directory
    }

    /// fsync of a file or a directory (the directory: so that the new name survives a crash).
    static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { Glibc.close(descriptor) }
            throw BrokerStoreError(path: path, operation: "backup", cause: "fsync: \(reason)")
        }
        Glibc.close(descriptor)
    }
}
