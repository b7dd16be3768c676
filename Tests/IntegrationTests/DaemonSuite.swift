import Testing

/// Every suite that starts the real `referrald` is nested in this one, which runs them one at a time: each
/// test starts processes and sockets of its own, the machine has few cores, and the daemons' timers are short.
@Suite("referrald end to end", .serialized, .timeLimit(.minutes(2)))
struct DaemonSuite {}
