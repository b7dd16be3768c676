import StoreModel

// The second backend of the store protocol: writes in `+Run.swift` and the batch files, reads in `+Deliveries`,
// `+Deadlines`, `+Trail`, `+Repair`, `+Aggregates` and `+Audit`; the conformance suite pins their meaning to SQLite's.
extension PostgresBrokerStore: BrokerStoring {}
