import Foundation
import SQLiteRaw

extension ExclusiveFileLock {
    /// The lock on `<store>.lock`, held while a `ReferralNode` has its store open, so that two processes never run
    /// one node (1/RBP §7.1: they would take each other's session over and over). Throws `storeInUse` at once when
    /// another process holds it.
    static func nodeStore(at storePath: String) throws -> ExclusiveFileLock {
        let path = storePath + ".lock"
        try NodeStore.createFolder(of: storePath, operation: "lock \(path)")
        do {
            return try ExclusiveFileLock(path: path)
        } catch {
            guard case .system(_, let code) = error else { throw ReferralClientError.storeInUse(storePath) }
            throw ReferralClientError.store(operation: "lock \(path)", cause: String(cString: strerror(code)))
        }
    }
}
