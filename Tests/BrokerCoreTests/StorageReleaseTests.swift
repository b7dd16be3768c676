import ReferralProtocol
import Testing

@testable import BrokerCore

/// The scheduler's maps and heaps give their storage back once a drain has emptied them (they keep their capacity
/// otherwise: megabytes per drained node).
@Suite struct StorageReleaseTests {
    @Test func anEmptiedDictionaryGivesItsStorageBack() {
        var map = Dictionary(uniqueKeysWithValues: (0..<5_000).map { ($0, $0) })
        for key in 0..<4_999 { map[key] = nil }
        map.releaseStorageIfEmpty()
        #expect(map.capacity >= 5_000)
        map[4_999] = nil
        map.releaseStorageIfEmpty()
        #expect(map.capacity < capacityKeptWhenEmpty)
    }

    @Test func aSmallDictionaryKeepsItsStorage() {
        var map = Dictionary(uniqueKeysWithValues: (0..<100).map { ($0, $0) })
        let capacity = map.capacity
        map.removeAll(keepingCapacity: true)
        map.releaseStorageIfEmpty()
        #expect(map.capacity == capacity)
    }

    @Test func anEmptiedHeapGivesItsStorageBack() {
        var heap = MinHeap<Int>()
        for value in 0..<5_000 { heap.push(value) }
        while heap.pop() != nil {}
        #expect(heap.capacity < capacityKeptWhenEmpty)
    }

    @Test func aDrainedBacklogLeavesNoDeliveryStorage() {
        var h = Harness()
        for seq in 1...3_000 { h.accept(Int64(seq), to: "hospital") }
        h.connect("hospital", window: 500)
        var acked = 0
        while acked < 3_000 {
            let sent = h.delivered()
            #expect(!sent.isEmpty)
            if sent.isEmpty { return }
            for delivery in sent {
                let result = h.scheduler.ack(node: "hospital", seq: delivery.seq, now: h.now)
                #expect(result == .applied)
                acked += 1
            }
        }
        _ = h.step()
        #expect(h.scheduler.deliveries.isEmpty)
        #expect(h.scheduler.deliveries.capacity < capacityKeptWhenEmpty)
    }
}
