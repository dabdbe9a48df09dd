"""The rules of the one-stop counter. Plain Python: nothing here imports Qt or SQLite."""
