"""Jiuzhu procurement: Purchase plans, the procurement workflow, contractors and debarment, contracts, payments, takeover, disclosure, OCDS."""

SCHEMA = "procurement"
VERSION = "0.1.0"
