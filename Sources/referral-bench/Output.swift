#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a line to stderr with write(2): no buffering, no exception, and an error (closed pipe) is ignored, so
/// that progress output can never stop the bench before it has cleaned up.
func printError(_ line: String) {
    let text = Array((line + "\n").utf8)
    text.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
