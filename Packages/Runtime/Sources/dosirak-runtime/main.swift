print("dosirak-runtime")
