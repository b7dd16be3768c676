/// A Swift dictionary or array keeps its capacity after removals. The scheduler's maps and heaps fill up to a
/// node's window (8,192 by default) during a drain and are empty afterwards; holding on to that storage would keep
/// megabytes per drained node for nothing, so once empty it is given back. A small capacity is kept, so a steady
/// trickle of messages does not reallocate on every one.
let capacityKeptWhenEmpty = 1_024

extension Dictionary {
    /// Frees the storage when the dictionary is empty and was large.
    mutating func releaseStorageIfEmpty() {
        if isEmpty && capacity > capacityKeptWhenEmpty { self = [:] }
    }
}
