print("referrald: not yet")
