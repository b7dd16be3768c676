extension ConnectionLoop {
    /// A WELCOME's `store` epoch (1/RBP §7.2): a new one means the broker's operator accepted the loss of messages
    /// it had acknowledged. The accepted messages without every receipt go back to the outbox queue and are sent
    /// again, same id and content (recipients that had one drop the copy by (from, id)); their ids are logged.
    func noteBrokerStore(_ epoch: String) {
        let loss: BrokerStoreLoss?
        do {
            loss = try store.noteBrokerStore(epoch)
        } catch {
            logger.error("cannot record the broker's store epoch", metadata: ["error": "\(error)"])
            return
        }
        guard let loss else { return }
        // The requeued entries sit before the scheduler's cursor: load the outbox again from its start.
        if !loss.requeued.isEmpty { scheduler = OutboxScheduler() }
        logger.warning(
            """
            the broker's store has a new epoch: its operator accepted the loss of messages it had acknowledged; \
            this node's accepted messages without a receipt from every recipient are sent again
            """,
            metadata: ["count": "\(loss.requeued.count)", "ids": "\(loss.requeued.prefix(100).joined(separator: ","))"])
        if !loss.withoutBody.isEmpty {
            let ids = loss.withoutBody.prefix(100).joined(separator: ",")
            logger.error(
                """
                messages accepted by the broker's lost store without a receipt from every recipient, whose bodies \
                this node no longer holds (accepted before it kept them): send them again
                """,
                metadata: ["count": "\(loss.withoutBody.count)", "ids": "\(ids)"])
        }
    }
}
