import CSHA256

/// SHA-256 as specified in FIPS 180-4, written here so the codec needs no Foundation or crypto
/// library. Whole blocks are compressed with the CPU's SHA instructions (x86 SHA-NI, `CSHA256`) when it has
/// them, by the portable Swift code below otherwise; both give the same digest.
public enum SHA256 {
    /// Whether this process compresses with SHA-NI (checked once).
    static let accelerated: Bool = csha256_has_shani() == 1

    /// The digest computed with the portable code only (tests compare it with `hash`).
    static func portableHash(_ bytes: [UInt8]) -> [UInt8] {
        var stream = Stream(accelerated: false)
        stream.update(bytes)
        return stream.finalize()
    }

    /// The 32-octet digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var stream = Stream()
        stream.update(bytes)
        return stream.finalize()
    }

    /// The digest of `first || second` (concatenated), without building the concatenation.
    public static func hash(_ first: [UInt8], _ second: [UInt8]) -> [UInt8] {
        var stream = Stream()
        stream.update(first)
        stream.update(second)
        return stream.finalize()
    }

    /// Lowercase hexadecimal, two digits per octet.
    public static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (k, byte) in bytes.enumerated() {
                out[2 * k] = JSONWriter.hexDigit(byte >> 4)
                out[2 * k + 1] = JSONWriter.hexDigit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    /// Incremental hashing: `update` any number of times, then `finalize` once. The state and the partial block
    /// are inline (tuples), so a digest costs no heap allocation but its result.
    struct Stream {
        typealias Words = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        typealias Block = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

        private var state: Words = (
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
        )
        /// The first `pendingCount` octets (fewer than 64) are not yet compressed.
        private var pending: Block = (0, 0, 0, 0, 0, 0, 0, 0)
        private var pendingCount = 0
        private var length: UInt64 = 0  // octets hashed so far
        private let accelerated: Bool

        init(accelerated: Bool = SHA256.accelerated) {
            self.accelerated = accelerated
        }

        mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            length &+= UInt64(bytes.count)
            var offset = 0
            if pendingCount > 0 {
                let take = min(64 - pendingCount, bytes.count)
                let at = pendingCount
                withUnsafeMutableBytes(of: &pending) {
                    $0.baseAddress!.advanced(by: at).copyMemory(from: base, byteCount: take)
                }
                pendingCount += take
                offset = take
                guard pendingCount == 64 else { return }
                let block = pending
                withUnsafeBytes(of: block) { compress(blocks: $0) }
                pendingCount = 0
            }
            let whole = (bytes.count - offset) / 64 * 64
            if whole > 0 { compress(blocks: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + whole])) }
            offset += whole
            let rest = bytes.count - offset
            if rest > 0 {
                withUnsafeMutableBytes(of: &pending) {
                    $0.baseAddress!.copyMemory(from: base + offset, byteCount: rest)
                }
                pendingCount = rest
            }
        }

        /// Appends `uint64-big-endian(count) || bytes`: the `item` of the content digest.
        mutating func updateItem(_ bytes: [UInt8]) {
            var count = UInt64(bytes.count).bigEndian
            withUnsafeBytes(of: &count) { update($0) }
            update(bytes)
        }

        mutating func finalize() -> [UInt8] {
            let bitLength = length &* 8
            // 0x80, `padding` zeros, the bit length (64 bits big-endian): at most 1 + 63 + 8 octets, on the stack.
            let padding = (64 + 56 - Int((length + 1) % 64)) % 64
            let tailCount = 1 + padding + 8
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { tail in
                tail.initialize(repeating: 0)
                tail[0] = 0x80
                for k in 0..<8 {
                    tail[1 + padding + k] = UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * k))
                }
                update(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: tail[0..<tailCount])))
            }
            precondition(pendingCount == 0)
            let words = state
            return [UInt8](unsafeUninitializedCapacity: 32) { digest, count in
                withUnsafeBytes(of: words) { raw in
                    for k in 0..<8 {
                        let word = raw.load(fromByteOffset: 4 * k, as: UInt32.self)
                        digest[4 * k] = UInt8(truncatingIfNeeded: word >> 24)
                        digest[4 * k + 1] = UInt8(truncatingIfNeeded: word >> 16)
                        digest[4 * k + 2] = UInt8(truncatingIfNeeded: word >> 8)
                        digest[4 * k + 3] = UInt8(truncatingIfNeeded: word)
                    }
                }
                count = 32
            }
        }

        /// Compresses whole 64-octet blocks into the state (FIPS 180-4 §6.2.2).
        private mutating func compress(blocks: UnsafeRawBufferPointer) {
            if accelerated {
                let count = blocks.count / 64
                guard count > 0, let base = blocks.baseAddress else { return }
                withUnsafeMutableBytes(of: &state) { h in
                    csha256_compress_shani(
                        h.baseAddress!.assumingMemoryBound(to: UInt32.self), base.assumingMemoryBound(to: UInt8.self),
                        count)
                }
                return
            }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                SHA256.k.withUnsafeBufferPointer { k in
                    withUnsafeMutableBytes(of: &state) { raw in
                        let h = UnsafeMutableBufferPointer(
                            start: raw.baseAddress!.assumingMemoryBound(to: UInt32.self), count: 8)
                        var blockStart = 0
                        while blockStart < blocks.count {
                            for t in 0..<16 {
                                w[t] = UInt32(
                                    bigEndian: blocks.loadUnaligned(fromByteOffset: blockStart + 4 * t, as: UInt32.self)
                                )
                            }
                            for t in 16..<64 {
                                let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                                let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                                w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                            }
                            var a = h[0]
                            var b = h[1]
                            var c = h[2]
                            var d = h[3]
                            var e = h[4]
                            var f = h[5]
                            var g = h[6]
                            var hh = h[7]
                            for t in 0..<64 {
                                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                                let ch = (e & f) ^ (~e & g)
                                let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
                                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                                let maj = (a & b) ^ (a & c) ^ (b & c)
                                let t2 = s0 &+ maj
                                hh = g
                                g = f
                                f = e
                                e = d &+ t1
                                d = c
                                c = b
                                b = a
                                a = t1 &+ t2
                            }
                            h[0] &+= a
                            h[1] &+= b
                            h[2] &+= c
                            h[3] &+= d
                            h[4] &+= e
                            h[5] &+= f
                            h[6] &+= g
                            h[7] &+= hh
                            blockStart += 64
                        }
                    }
                }
            }
        }
    }

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
    static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
