print("referral-bench: not yet")
