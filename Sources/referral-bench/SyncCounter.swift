import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the fdatasync(2)/fsync(2) calls that libsqlite3 makes in this process, i.e. the syncs of the nodes'
/// stores (the broker is another process and is counted through its STATUS counters).
///
/// How: `install()` rewrites libsqlite3's GOT slots for `fdatasync` and `fsync` (the addresses its calls jump
/// through) to point at counting wrappers, which then call libc's functions (the technique of "PLT hooks").
/// SQLite on Linux syncs with `fdatasync`: one per WAL commit with `synchronous=FULL`, plus those of WAL
/// checkpoints. Nothing else in the process is affected. If the slots cannot be found (not glibc/ELF x86-64,
/// SQLite linked statically), `isActive` is false and the report says "n/a".
enum SyncCounter {
    static let calls = Atomic<Int>(0)
    private static let installed = Atomic<Int>(0)

    static var count: Int { calls.load(ordering: .relaxed) }
    static var isActive: Bool { installed.load(ordering: .relaxed) > 0 }

    /// Patches libsqlite3 (once; call before any store is opened). Returns the number of GOT slots rewritten.
    @discardableResult
    static func install() -> Int {
        #if canImport(Glibc) && arch(x86_64)
            guard installed.load(ordering: .relaxed) == 0 else { return installed.load(ordering: .relaxed) }
            let patched =
                GOTPatch.patch(library: "libsqlite3.so.0", symbol: "fdatasync", with: countingFdatasync)
                + GOTPatch.patch(library: "libsqlite3.so.0", symbol: "fsync", with: countingFsync)
            installed.store(patched, ordering: .relaxed)
            return patched
        #else
            return 0
        #endif
    }
}

#if canImport(Glibc) && arch(x86_64)
    typealias SyncFunction = @convention(c) (Int32) -> Int32

    /// libc's own functions (RTLD_NEXT from this executable, which defines neither).
    private func libc(_ name: String) -> SyncFunction {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: -1), name) ?? dlsym(nil, name) else {
            fatalError("referral-bench: libc has no \(name)")
        }
        return unsafeBitCast(symbol, to: SyncFunction.self)
    }

    private nonisolated(unsafe) let libcFdatasync: SyncFunction = libc("fdatasync")
    private nonisolated(unsafe) let libcFsync: SyncFunction = libc("fsync")

    private let countingFdatasync: SyncFunction = { fd in
        SyncCounter.calls.add(1, ordering: .relaxed)
        return libcFdatasync(fd)
    }

    private let countingFsync: SyncFunction = { fd in
        SyncCounter.calls.add(1, ordering: .relaxed)
        return libcFsync(fd)
    }

    /// Rewrites the GOT slots of one imported function in one loaded shared library (ELF64, x86-64 relocations).
    private enum GOTPatch {
        static func patch(library: String, symbol: String, with replacement: SyncFunction) -> Int {
            // On glibc a dlopen handle is the library's `struct link_map`: load address and dynamic section.
            guard let handle = dlopen(library, RTLD_NOW | RTLD_NOLOAD) else { return 0 }
            defer { dlclose(handle) }
            let map = handle.assumingMemoryBound(to: link_map.self).pointee
            guard let dynamic = map.l_ld else { return 0 }
            let base = UInt(map.l_addr)

            // glibc relocates these pointers in place on x86-64; add the base if it did not.
            func address(_ value: UInt64) -> UInt { UInt(value) < base ? base + UInt(value) : UInt(value) }
            var symtab: UInt = 0
            var strtab: UInt = 0
            var tables: [(start: UInt, bytes: Int)] = []
            var jmprel: UInt = 0
            var pltrelsz = 0
            var rela: UInt = 0
            var relasz = 0
            var entry = UnsafePointer<Elf64_Dyn>(dynamic)
            while entry.pointee.d_tag != Int64(DT_NULL) {
                let value = entry.pointee.d_un.d_ptr
                switch entry.pointee.d_tag {
                case Int64(DT_SYMTAB): symtab = address(value)
                case Int64(DT_STRTAB): strtab = address(value)
                case Int64(DT_JMPREL): jmprel = address(value)
                case Int64(DT_PLTRELSZ): pltrelsz = Int(value)
                case Int64(DT_RELA): rela = address(value)
                case Int64(DT_RELASZ): relasz = Int(value)
                default: break
                }
                entry += 1
            }
            guard symtab != 0, strtab != 0 else { return 0 }
            if jmprel != 0 { tables.append((jmprel, pltrelsz)) }
            if rela != 0 { tables.append((rela, relasz)) }

            let jumpSlot: UInt64 = 7  // R_X86_64_JUMP_SLOT
            let globDat: UInt64 = 6  // R_X86_64_GLOB_DAT
            let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
            var patched = 0
            for table in tables {
                let relocations = UnsafePointer<Elf64_Rela>(bitPattern: table.start)!
                for index in 0..<(table.bytes / MemoryLayout<Elf64_Rela>.stride) {
                    let relocation = relocations[index]
                    let type = relocation.r_info & 0xffff_ffff
                    guard type == jumpSlot || type == globDat else { continue }
                    let symbolIndex = Int(relocation.r_info >> 32)
                    let entry = UnsafePointer<Elf64_Sym>(bitPattern: symtab)![symbolIndex]
                    let name = UnsafePointer<CChar>(bitPattern: strtab + UInt(entry.st_name))!
                    guard strcmp(name, symbol) == 0 else { continue }
                    let slot = base + UInt(relocation.r_offset)
                    // The slot may sit in the read-only RELRO region: make its page writable (and leave it so).
                    guard
                        mprotect(
                            UnsafeMutableRawPointer(bitPattern: slot & ~(page - 1)), Int(page), PROT_READ | PROT_WRITE)
                            == 0
                    else { continue }
                    UnsafeMutablePointer<UInt>(bitPattern: slot)!.pointee = unsafeBitCast(replacement, to: UInt.self)
                    patched += 1
                }
            }
            return patched
        }
    }
#endif
