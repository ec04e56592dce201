# (package marker)
