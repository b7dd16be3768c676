// Broker: see the module's files.
