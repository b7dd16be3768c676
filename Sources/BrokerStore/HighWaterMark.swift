import Foundation
import ReferralProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How far the store has got, kept OUTSIDE the database: the store's epoch, the newest audit record (id and hash)
/// and the highest seq. SQLite keeps commits in the `-wal` file until a checkpoint; a `-wal` deleted, truncated or
/// left behind by a careless copy (or a store file restored from a backup) takes acknowledged messages with it
/// without a word. The mark remembers what was acknowledged, so that such a store is refused at start
/// (`BrokerStoreError.Kind.rolledBack`) instead of silently reusing seqs and serving a shorter audit chain.
struct HighWaterMark: Sendable, Hashable {
    /// 16 random octets naming the store (`store_identity`); a new one after an accepted roll-back.
    var epoch: [UInt8]
    /// The newest audit record's id and hash.
    var auditId: Int64
    var auditHash: [UInt8]
    /// The highest seq ever given to a message.
    var seq: Int64

    /// Whether the store described by `self` holds at least what `other` says was acknowledged.
    func covers(_ other: HighWaterMark) -> Bool {
        epoch == other.epoch && auditId >= other.auditId && seq >= other.seq
    }
}

/// The mark's file, `<data_directory>/broker.highwater` (a name no `broker.sqlite*` copy takes along): two
/// 128-octet slots written alternately, each `magic(8) generation(8) epoch(16) auditId(8) auditHash(32) seq(8)`
/// (integers little-endian) followed by the SHA-256 of those 80 octets. A torn write spoils one slot only; the
/// valid slot with the higher generation is the mark. The file is allocated at creation, so a write
/// (`pwrite` + `fdatasync`, once per group commit that moved the mark) never needs a new block on a full disk.
final class HighWaterMarkFile {
    let path: String
    private let fd: Int32
    private var generation: UInt64

    private static let magic: [UInt8] = Array("RBHWM01\0".utf8)
    private static let slotSize = 128
    private static let payloadSize = 80

    /// The mark file of the store at `storePath`.
    static func path(forStore storePath: String) -> String {
        (storePath as NSString).deletingPathExtension + ".highwater"
    }

    /// The mark in the file at `path`, nil when there is no file; throws when the file exists but holds no
    /// valid slot (damaged).
    static func read(path: String) throws -> HighWaterMark? {
        guard let data = FileManager.default.contents(atPath: path) else {
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            throw markError(path, "cannot be read", kind: .readOnly)
        }
        guard let (mark, _) = newestSlot(Array(data)) else {
            throw markError(path, "is damaged (no valid slot); see deploy/README.md, \"Store recovery\"", kind: .damaged)
        }
        return mark
    }

    /// Opens the file, creating it with `initial` in both slots (synced, with its folder) when it does not exist.
    init(path: String, initial: HighWaterMark) throws {
        self.path = path
        let existing = try Self.read(path: path)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.markError(path, "cannot be opened: \(String(cString: strerror(errno)))") }
        if existing == nil {
            generation = 0
            try write(initial)
            try write(initial)
            let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
            if folder >= 0 {
                _ = fsync(folder)
                close(folder)
            }
        } else {
            var bytes = [UInt8](repeating: 0, count: 2 * Self.slotSize)
            _ = pread(fd, &bytes, bytes.count, 0)
            generation = Self.newestSlot(bytes)?.generation ?? 0
        }
    }

    deinit { close(fd) }

    /// Writes `mark` into the older slot and syncs it (data only: the file's size never changes).
    func write(_ mark: HighWaterMark) throws {
        let next = generation + 1
        var slot = Self.magic
        slot += Self.littleEndian(next)
        slot += Self.padded(mark.epoch, 16)
        slot += Self.littleEndian(UInt64(bitPattern: mark.auditId))
        slot += Self.padded(mark.auditHash, 32)
        slot += Self.littleEndian(UInt64(bitPattern: mark.seq))
        slot += SHA256.hash(slot)
        slot += [UInt8](repeating: 0, count: Self.slotSize - slot.count)
        let offset = off_t(Int(next % 2) * Self.slotSize)
        let written = slot.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard written == slot.count else {
            throw Self.markError(path, "cannot be written: \(String(cString: strerror(errno)))")
        }
        guard fdatasync(fd) == 0 else {
            throw Self.markError(path, "cannot be synced: \(String(cString: strerror(errno)))")
        }
        generation = next
    }

    private static func newestSlot(_ bytes: [UInt8]) -> (mark: HighWaterMark, generation: UInt64)? {
        var best: (mark: HighWaterMark, generation: UInt64)?
        for index in 0..<2 {
            let start = index * slotSize
            guard bytes.count >= start + payloadSize + 32 else { continue }
            let payload = Array(bytes[start..<start + payloadSize])
            guard Array(payload[0..<8]) == magic,
                SHA256.hash(payload) == Array(bytes[start + payloadSize..<start + payloadSize + 32])
            else { continue }
            let generation = integer(payload, 8)
            let mark = HighWaterMark(
                epoch: Array(payload[16..<32]), auditId: Int64(bitPattern: integer(payload, 32)),
                auditHash: Array(payload[40..<72]), seq: Int64(bitPattern: integer(payload, 72)))
            if best == nil || generation > best!.generation { best = (mark, generation) }
        }
        return best
    }

    private static func integer(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }

    private static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    private static func padded(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
        Array((bytes + [UInt8](repeating: 0, count: count)).prefix(count))
    }

    static func markError(_ path: String, _ problem: String, kind: BrokerStoreError.Kind = .other) -> BrokerStoreError {
        BrokerStoreError(path: path, operation: "high-water mark", cause: "\(path) \(problem)", kind: kind)
    }
}
