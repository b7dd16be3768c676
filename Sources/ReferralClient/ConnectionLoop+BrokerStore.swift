extension ConnectionLoop {
    /// A WELCOME's `store` epoch (1/RBP §7.2): a new one means the broker's operator accepted the loss of messages
    /// it had acknowledged. The accepted messages without every receipt are named in the log, so the operator can
    /// have them sent again (their bodies are no longer in the outbox once accepted).
    func noteBrokerStore(_ epoch: String) {
        let lost: [String]?
        do {
            lost = try store.noteBrokerStore(epoch)
        } catch {
            logger.error("cannot record the broker's store epoch", metadata: ["error": "\(error)"])
            return
        }
        guard let lost else { return }
        logger.error(
            """
            the broker's store has a new epoch: its operator accepted the loss of messages it had acknowledged; \
            messages of this node it accepted and has not receipted to every recipient may be lost: send them again
            """,
            metadata: ["count": "\(lost.count)", "ids": "\(lost.prefix(100).joined(separator: ","))"])
    }
}
