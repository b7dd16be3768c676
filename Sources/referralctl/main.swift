print("referralctl: not yet")
