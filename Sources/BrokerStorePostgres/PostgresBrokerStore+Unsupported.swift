import StoreModel

// The parts of `BrokerStoring` still to be written for PostgreSQL (issue 12, slice 2). Each moves out of this file
// into one of its own (`PostgresBrokerStore+Run.swift`, `+Reads.swift`, …) when it is implemented; the conformance
// suite says which remain.
extension PostgresBrokerStore: BrokerStoring {
    public func run(_ units: [StoreUnit]) throws -> [UnitResult] { throw unsupported("run") }
    public func lastReceiptId() throws -> Int64 { throw unsupported("lastReceiptId") }
    public func backup(to path: String) throws -> Int64 { throw unsupported("backup") }
    public func purgeBodies(_ step: PurgeStep) throws -> PurgeStepResult { throw unsupported("purgeBodies") }
}
