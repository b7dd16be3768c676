// AgencyDirectory: who is who, where, and who may say what.
//
// Pure (no sockets, no clocks): the broker loads these values at start and on reload, and asks
// them questions on its hot path.
//
// - `Table/`: the administrative division table (`DivisionTable`), Fujian's bundled.
// - `Directory/`: the operator's node directory (`Directory`, `DirectoryEntry`, `Agency`,
//   `NodeKind`), loaded and validated from JSON; `DemoDirectory` for dev runs.
// - `Routing/`: recipient addresses (`Address`), their resolution (`Resolution`), supervisors
//   and escalation chains.
// - `Policy/`: which agencies may send which message kinds (`Policy`).
// - `Support/`: the shared error type, the reading of JSON files (over ReferralProtocol's strict
//   reader), value grammars.
