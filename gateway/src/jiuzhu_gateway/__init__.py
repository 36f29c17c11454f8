"""Jiuzhu gateway: the one public entrance (routing, auth, API keys, limits, merged OpenAPI)."""

SCHEMA = "gateway"
VERSION = "0.2.0"
SERVICES = ("staffing", "procurement", "evaluation")  # upstream names, also the /api/<name> prefixes
