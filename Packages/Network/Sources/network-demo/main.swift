print("network-demo: not yet")
