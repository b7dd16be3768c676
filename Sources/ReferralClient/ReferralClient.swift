// ReferralClient: see the module's files.
