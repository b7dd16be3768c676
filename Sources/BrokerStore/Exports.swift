// The shared records are part of this module's API: code that imports BrokerStore sees them too.
@_exported import StoreModel
