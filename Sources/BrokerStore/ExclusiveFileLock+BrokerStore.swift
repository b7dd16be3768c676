import SQLiteRaw

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension ExclusiveFileLock {
    /// The lock on `<store>.lock`, taken before the broker's store is opened and held until it is closed: a second
    /// broker on the same data directory is refused at once, before it reads or writes anything. (SQLite's own
    /// lock, `locking_mode=EXCLUSIVE`, would only make it wait `busy_timeout` and then fail its writes.)
    static func brokerStore(at storePath: String) throws(BrokerStoreError) -> ExclusiveFileLock {
        let path = storePath + ".lock"
        do {
            return try ExclusiveFileLock(path: path)
        } catch {
            guard case .system(let operation, let code) = error else {
                throw BrokerStoreError(
                    path: storePath, operation: "lock",
                    cause: "another process has this store open (it holds \(path)): stop it, or give this broker "
                        + "its own data_directory",
                    kind: .locked)
            }
            let notWritable = operation == "open" && (code == EROFS || code == EACCES)
            throw BrokerStoreError(
                path: storePath, operation: "lock",
                cause: (operation == "open" ? "cannot create \(path): " : "flock \(path): ")
                    + String(cString: strerror(code))
                    + (notWritable ? " (the folder must be writable by referrald)" : ""),
                kind: notWritable ? .readOnly : .other)
        }
    }
}
