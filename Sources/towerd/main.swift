print("towerd")
