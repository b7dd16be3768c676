import Testing

@testable import Broker

/// When the store thread gives memory back: once idle after work, never between busy batches, at most once per
/// interval, and not again without new work.
@Suite struct IdleMemoryReleaseTests {
    /// Whether `takeDue` said yes at each of `times` (in order).
    func taken(_ release: inout IdleMemoryRelease, at times: [Int64]) -> [Bool] {
        times.map { release.takeDue(now: $0) }
    }

    @Test func nothingToReleaseBeforeAnyWork() {
        var release = IdleMemoryRelease(idleMillis: 1_000, intervalMillis: 10_000)
        #expect(release.dueAt == nil)
        let answers = taken(&release, at: [1_000_000])
        #expect(answers == [false])
    }

    @Test func releasesOnceIdleAfterWork() {
        var release = IdleMemoryRelease(idleMillis: 1_000, intervalMillis: 10_000)
        release.worked(now: 50_000)
        #expect(release.dueAt == 51_000)
        let answers = taken(&release, at: [50_999, 51_000, 90_000])
        // Done at 51_000: nothing more until new work.
        #expect(answers == [false, true, false])
        #expect(release.dueAt == nil)
    }

    @Test func busyBatchesPushTheReleaseBack() {
        var release = IdleMemoryRelease(idleMillis: 1_000, intervalMillis: 10_000)
        var answers: [Bool] = []
        for now in stride(from: Int64(50_000), through: 55_000, by: 500) {
            release.worked(now: now)
            answers += taken(&release, at: [now + 400])
        }
        #expect(!answers.contains(true))
        let idle = taken(&release, at: [56_000])
        #expect(idle == [true])
    }

    @Test func atMostOncePerInterval() {
        var release = IdleMemoryRelease(idleMillis: 1_000, intervalMillis: 10_000)
        release.worked(now: 50_000)
        let first = taken(&release, at: [51_000])
        release.worked(now: 52_000)
        #expect(release.dueAt == 61_000)
        let second = taken(&release, at: [53_000, 61_000])
        #expect(first == [true])
        #expect(second == [false, true])
    }
}
