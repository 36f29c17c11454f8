"""Rules as dated, cited data in one format for every service (see model.py, book.py)."""
