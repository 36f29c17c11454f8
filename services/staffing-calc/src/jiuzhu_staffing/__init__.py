"""Jiuzhu staffing-calc: Policy rules as versioned, cited data: staffing ratios, pay progression, working funds, budgets, calculation tables, compliance."""

SCHEMA = "staffing"
VERSION = "0.1.0"
