// The SQLite store is the first backend of the store protocol (its members are implemented in the other files).
extension BrokerStore: BrokerStoring {}
