extension DeliveryScheduler {
    /// A receipt is durable (the batch that wrote it committed): queue it for its sender's sessions, or, when the
    /// sender's memory is full or receipts wait before it in the store, only count it (read later, in id order).
    /// Nothing is told to a node before it is durable.
    public mutating func receiptStored(_ receipt: ReceiptInfo, now: Millis) {
        let node = ref(receipt.sender)
        guard nodes[Int(node)].receipts[receipt.id] == nil else { return }
        let inMemory = nodes[Int(node)].receipts.count
        guard nodes[Int(node)].receiptWindow.admits(receipt.id, inMemory: inMemory, capacity: config.receiptMemory)
        else { return }
        _ = keepReceipt(receipt, node: node)
    }

    /// The sender confirmed a receipt (RECEIPT-ACK).
    public mutating func confirmReceipt(node name: String, receipt id: Int64, now: Millis) -> AckResult {
        guard let node = lookup(name) else { return .unknown }
        guard let receipt = nodes[Int(node)].receipts.removeValue(forKey: id) else {
            if nodes[Int(node)].confirmedReceipts.contains(id) { return .alreadySettled }
            // Not read from the store yet (after a restart): it is sent again once loaded, and confirmed then.
            return id <= lastReceiptId && nodes[Int(node)].receiptWindow.mayHold(id) ? .notLoaded : .unknown
        }
        if let session = receipt.sentInSession, nodes[Int(node)].session?.id == session {
            nodes[Int(node)].session?.receiptsOut.remove(id)
        }
        nodes[Int(node)].confirmedReceipts.insert(id)
        dirty.insert(node)
        effects.append(.persist(.receiptConfirmed(id: id, at: now)))
        return .applied
    }
}
