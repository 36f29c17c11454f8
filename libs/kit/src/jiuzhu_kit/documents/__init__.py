"""Documents attached to aggregates: a content-addressed store (store.py), what the bytes may be
(sniff.py), the document type codelist (codelist.py), the table (table.py) and the routes every
aggregate gets (api.py)."""
