extension DeliveryScheduler {
    /// A receipt is durable (the batch that wrote it committed, or it was loaded at a restart): queue it for its
    /// sender's sessions. Nothing is told to a node before it is durable.
    public mutating func receiptStored(_ receipt: ReceiptInfo, now: Millis) {
        let node = ref(receipt.sender)
        guard nodes[Int(node)].receipts[receipt.id] == nil else { return }
        nodes[Int(node)].receipts[receipt.id] = PendingReceipt(info: receipt)
        nodes[Int(node)].unsentReceipts.push(ReceiptOrder(id: receipt.id, generation: 0))
        dirty.insert(node)
    }

    /// The sender confirmed a receipt (RECEIPT-ACK).
    public mutating func confirmReceipt(node name: String, receipt id: Int64, now: Millis) -> AckResult {
        guard let node = lookup(name) else { return .unknown }
        guard let receipt = nodes[Int(node)].receipts.removeValue(forKey: id) else {
            return nodes[Int(node)].confirmedReceipts.contains(id) ? .alreadySettled : .unknown
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
