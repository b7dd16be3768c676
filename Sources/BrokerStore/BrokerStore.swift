// BrokerStore: see the module's files.
