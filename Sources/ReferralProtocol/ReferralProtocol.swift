// ReferralProtocol: see the module's files.
