import BrokerStore

extension PollLoop {
    func overdueObject(_ record: DeadlineRecord) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id, "item": record.item, "due_at": record.dueAt, "level": record.level,
        ]
        if let caseId = record.caseId { object["case"] = caseId }
        if let region = record.region { object["region"] = region }
        if let agency = record.agency { object["agency"] = agency }
        if let risk = record.risk { object["risk"] = risk }
        return object
    }
}
