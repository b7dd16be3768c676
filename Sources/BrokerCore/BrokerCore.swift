// BrokerCore: see the module's files.
