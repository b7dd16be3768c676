// referral-bench: starts a real `referrald`, drives real ReferralNode outboxes and inboxes against it, and
// measures throughput, latency and fsyncs per message. See BENCHMARKS.md at the package root.

/// Inside an async function the async `AsyncParsableCommand.main()` is chosen over the synchronous one.
func runBench() async {
    await BenchCommand.main()
}

await runBench()
