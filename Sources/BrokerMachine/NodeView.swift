import CaseCore
import ReferralProtocol
import StoreModel

/// What one node may see of a case and of the overdue items (1/RBP §7.14, visibility). Pure: it filters what the
/// store read for ADMIN CASE and OVERDUE, so that a node's answer never holds more than the rule allows.
///
/// - A node sees a case when it is its referrer or service, sent or received one of its messages, or is the party
///   of one of its open deadlines. Otherwise the case is NOT_FOUND, exactly as a case that does not exist.
/// - Of a case it sees the status members, the deadlines whose party it is or that await something of a message
///   it sent, and the events of the messages it sent (all) or received (those without a recipient, and its own).
/// - Of the overdue items it sees those whose party it is, those armed by a message it sent, and those of the
///   cases it refers.
public enum NodeView {
    /// The case as `node` may see it, nil when it may not see it at all.
    public static func caseView(_ info: CaseInfo, for node: String) -> CaseView? {
        let sent = Set(info.events.filter { $0.sender == node }.map(\.seq))
        let received = Set(info.events.filter { $0.recipient == node }.map(\.seq)).subtracting(sent)
        let deadlines = info.deadlines.compactMap { view($0, for: node, caseId: nil) }
        let party = info.record.map { $0.referrer == node || $0.service == node } ?? false
        guard party || !sent.isEmpty || !received.isEmpty || !deadlines.isEmpty else { return nil }
        let events = info.events.filter { entry in
            sent.contains(entry.seq)
                || (received.contains(entry.seq) && (entry.recipient == nil || entry.recipient == node))
        }
        let record = info.record
        return CaseView(
            caseId: info.caseId, status: record?.status, attempt: record.map { Int64($0.attempt) },
            referrer: record?.referrer, service: record?.service, openedAt: record?.openedAt,
            updatedAt: record?.updatedAt, deadlines: deadlines,
            events: events.map {
                EventView(
                    at: $0.at, event: $0.event.rawValue, seq: $0.seq, id: $0.messageId, from: $0.sender,
                    recipient: $0.recipient, attempt: $0.attempt.map(Int64.init))
            },
            truncated: info.deadlinesTruncated)
    }

    /// The overdue items `node` may see, oldest due first, at most `limit`.
    public static func overdueView(
        _ records: [DeadlineRecord], referrers: [String: String], for node: String, limit: Int
    ) -> OverdueView {
        let visible = records.compactMap { record -> DeadlineView? in
            let refers = record.caseId.map { referrers[$0] == node } ?? false
            return view(record, for: node, caseId: record.caseId, always: refers)
        }
        return OverdueView(items: Array(visible.prefix(limit)), truncated: visible.count > limit)
    }

    /// The deadline as a node sees it, nil when it concerns another node only (or its item cannot be read).
    static func view(_ record: DeadlineRecord, for node: String, caseId: String?, always: Bool = false) -> DeadlineView?
    {
        guard let awaited = Awaited(encoded: record.item) else { return nil }
        guard always || awaited.party == node || record.notice?.sender == node else { return nil }
        var view = DeadlineView(
            id: record.id, caseId: caseId, awaiting: .answer, party: awaited.party, dueAt: record.dueAt,
            level: Int64(record.level), risk: record.risk)
        switch awaited {
        case .delivery(let seq, _): (view.awaiting, view.seq) = (.delivery, seq)
        case .answer: view.awaiting = .answer
        case .followUpVisit(let number, _): (view.awaiting, view.number) = (.visit, Int64(number))
        }
        return view
    }

    /// The answer cut to fit in `maxHeader` octets (a node accepts no larger header, 1/RBP §7.2): the oldest events
    /// go first, then the latest deadlines or items; `truncated` then says so.
    public static func fitted(_ answer: Answer, maxHeader: Int) -> Answer {
        var answer = answer
        while Codec.encode(.answer(answer))[2].count > maxHeader {
            switch answer.result {
            case .caseView(var view):
                if !view.events.isEmpty {
                    view.events.removeFirst(max(1, view.events.count / 4))
                } else if !view.deadlines.isEmpty {
                    view.deadlines.removeLast(max(1, view.deadlines.count / 4))
                } else {
                    return answer
                }
                view.truncated = true
                answer.result = .caseView(view)
            case .overdue(var view):
                guard !view.items.isEmpty else { return answer }
                view.items.removeLast(max(1, view.items.count / 4))
                view.truncated = true
                answer.result = .overdue(view)
            }
        }
        return answer
    }
}
