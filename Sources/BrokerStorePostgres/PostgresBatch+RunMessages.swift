import PostgresNIO
import StoreModel

// The messages of a run of plain units: one INSERT of every key's first occurrence, and (only when some key was
// already stored) one SELECT of those keys; then each accept's result decided in unit order.
extension PostgresBatch {
    /// Stores the run's messages under the seqs the run gave them; each accept's result by its seq. A key repeated
    /// inside the run is a duplicate or CONFLICT of its first occurrence, as it would be one by one. Every seq is
    /// used up, stored or not (as SQLite's AUTOINCREMENT).
    mutating func storeMessages(_ items: [(index: Int, item: PostgresPlainRun.Item)]) throws -> [Int64: AcceptResult] {
        let accepts: [(message: NewMessage, seq: Int64)] = items.compactMap {
            if case .accept(let unit, let seq) = $0.item { return (unit.message, seq) }
            return nil
        }
        guard let last = accepts.last else { return [:] }
        var firstOfKey: [MessageKey: (seq: Int64, message: NewMessage)] = [:]
        var messages = Self.newMessageRows()
        for (message, seq) in accepts where firstOfKey[MessageKey(message)] == nil {
            firstOfKey[MessageKey(message)] = (seq, message)
            Self.addMessage(message, seq: seq, to: &messages)
        }
        let stored = try Self.insertMessages(messages, session)
        let existing = try storedKeys(firstOfKey.values.filter { !stored.contains($0.seq) }.map(\.message))
        var results: [Int64: AcceptResult] = [:]
        for (message, seq) in accepts {
            let key = MessageKey(message)
            guard let first = firstOfKey[key] else { continue }
            if stored.contains(first.seq) {
                results[seq] =
                    seq == first.seq
                    ? .stored(seq: seq)
                    : Self.answer(
                        message,
                        toStored: (first.seq, first.message.digest, first.message.recipients.joined(separator: ",")))
            } else if let row = existing[key] {
                results[seq] = Self.answer(message, toStored: row)
            } else {
                throw PostgresStoreError(
                    operation: "run", cause: "message insert ignored but no row holds its key", kind: .statement)
            }
        }
        seqUsedWithoutRow = !stored.contains(last.seq)
        return results
    }

    /// The stored rows (seq, digest, recipients) of `messages`' keys, by key: one statement.
    private func storedKeys(_ messages: [NewMessage]) throws -> [MessageKey: (Int64, [UInt8], String)] {
        var keys = PostgresValueRows("text", "text")
        for message in messages {
            keys.append {
                $0.append(message.sender)
                $0.append(message.messageId)
            }
        }
        var found: [MessageKey: (Int64, [UInt8], String)] = [:]
        for answer in try session.run(
            keys,
            {
                "SELECT sender, message_id, seq, digest, recipients FROM messages WHERE (sender, message_id) IN (\($0))"
            })
        {
            for row in answer.rows {
                let (sender, messageId, seq, digest, recipients) = try row.decode(
                    (String, String, Int64, ByteBuffer?, String).self)
                found[MessageKey(sender: sender, messageId: messageId)] =
                    (seq, digest.map { Array(buffer: $0) } ?? [], recipients)
            }
        }
        return found
    }

    /// What a message whose key is stored as (seq, digest, comma-joined recipients) is: a duplicate when the digests
    /// are equal (with the recipients stored at the first acceptance, not today's resolution), else a CONFLICT.
    static func answer(_ message: NewMessage, toStored row: (seq: Int64, digest: [UInt8], recipients: String))
        -> AcceptResult
    {
        guard row.digest == message.digest else { return .conflict(existingSeq: row.seq) }
        return .duplicate(seq: row.seq, recipients: row.recipients.split(separator: ",").count)
    }
}

/// A message's key: (sender, id).
struct MessageKey: Hashable {
    let sender: String
    let messageId: String

    init(sender: String, messageId: String) {
        self.sender = sender
        self.messageId = messageId
    }

    init(_ message: NewMessage) {
        self.init(sender: message.sender, messageId: message.messageId)
    }
}
