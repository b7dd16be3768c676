/// A binary min-heap. The scheduler's timers and ready queues use it with lazy deletion:
/// an entry carries the generation of its delivery, and a popped entry whose generation no
/// longer matches is stale and skipped.
struct MinHeap<Element: Comparable>: Sendable where Element: Sendable {
    private var items: [Element] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var capacity: Int { items.capacity }
    var min: Element? { items.first }

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        if items.isEmpty && items.capacity > capacityKeptWhenEmpty { items = [] }
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }
}
